# Fault tests (tests/fault): weft_comm_shrink after a rank is killed and on
# a healthy communicator, and the fault-injection suite (fault_inject): a
# rank killed at a random point, a transport socket shut down, a rank
# stopped against the timeout, abort from a second thread -- counting hangs,
# survivors that got an error, and the time from the fault to each error.
# Here a short version (a few trials per kind); tests/fault/run_full.sh runs
# the 100-trial version (docs/RELIABILITY.md).  `ctest -L fault`.
set(FAULT_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fault)
add_library(fault_util STATIC ${FAULT_DIR}/fault_util.c)
target_link_libraries(fault_util PUBLIC mr_harness)

add_executable(fault_shrink ${FAULT_DIR}/fault_shrink.c)
target_link_libraries(fault_shrink PRIVATE fault_util)
add_executable(fault_inject ${FAULT_DIR}/fault_inject.c ${FAULT_DIR}/fault_rank.c
               ${FAULT_DIR}/fault_threads.c)
target_link_libraries(fault_inject PRIVATE fault_util)

# fault_add(<name> "<VAR=value;...>" <command...>)
function(fault_add name env)
  add_test(NAME fault/${name} COMMAND ${ARGN})
  set_tests_properties(fault/${name} PROPERTIES LABELS "fault;procs" TIMEOUT 240
    ENVIRONMENT "WEFT_TIMEOUT=10;${env}")
endfunction()

# --- shrink: the dead rank is old rank 0 (the bootstrap root) or the last ---
foreach(victim 0 -1)
  fault_add(shrink/shm-v${victim} "" fault_shrink --nranks 4 --victim ${victim} --when during)
  fault_add(shrink/sock-v${victim} "WEFT_SHM_DISABLE=1"
            fault_shrink --nranks 4 --victim ${victim} --when between)
  fault_add(shrink/nodes-v${victim} "" fault_shrink --nranks 5 --victim ${victim} --nodes
            --when during)
endforeach()
fault_add(shrink/healthy "" fault_shrink --nranks 4 --healthy 1)
fault_add(shrink/healthy-sock "WEFT_SHM_DISABLE=1" fault_shrink --nranks 3 --healthy 0)
fault_add(shrink/disagree "" fault_shrink --nranks 5 --disagree)

# --- injection, short: a few random trials per kind over every transport ------
# (the full run: tests/fault/run_full.sh, 100 trials each).  kill and
# sockclose detect the fault through the peers; stop only through the
# timeout, hence WEFT_TIMEOUT=2 there.
fault_add(inject/kill "" fault_inject --kind kill --trials 12 --seed 11 --quiet)
fault_add(inject/sockclose "" fault_inject --kind sockclose --trials 8 --seed 12
          --transports sock,nodes --quiet)
fault_add(inject/stop "WEFT_TIMEOUT=2" fault_inject --kind stop --trials 6 --seed 13 --quiet)
fault_add(inject/abort "" fault_inject --kind abort --trials 12 --seed 14
          --transports shm,sock,nodes,threads --quiet)
