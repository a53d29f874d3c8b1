# Multi-rank correctness tests (tests/multirank): collectives checked
# bit-exactly, with guard bytes, on communicators of 1..8 ranks - as
# threads, as one thread driving every rank through a group, and as
# processes (forked, or re-executed and joined through weft_comm_init_env);
# each forced algorithm; shared memory and sockets; two emulated nodes; a
# rank killed in the middle of a collective.
#
# Labels: every test has "multirank", plus "threads" (ranks in one
# process) or "procs" (one process per rank).  `ctest -L multirank`.
# Each entry runs with WEFT_TIMEOUT=60 (a hang fails instead of stalling)
# and MR_PROC_TIMEOUT=200 (a rank process still alive then is killed);
# a watchdog ends every program 60 s after that.
set(MR_DIR ${CMAKE_CURRENT_SOURCE_DIR}/multirank)

add_library(mr_harness STATIC ${MR_DIR}/mr_harness.c ${MR_DIR}/mr_data.c ${MR_DIR}/mr_coll.c)
target_link_libraries(mr_harness PUBLIC weft_internal Threads::Threads)
target_include_directories(mr_harness PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})

foreach(prog mr_sweep mr_p2p mr_edge mr_nodes mr_kill)
  add_executable(${prog} ${MR_DIR}/${prog}.c)
  target_link_libraries(${prog} PRIVATE mr_harness)
endforeach()

# Under sanitizers (WEFT_SANITIZE, scripts/sanitize.sh) the same code runs
# 3x (ASan) to 15x (TSan) slower: what they look for -- races, leaks, bad
# accesses -- lives in the transports and the executor, which every
# datatype and op shares, so the sweeps there check three datatypes and
# three ops (mr_sweep takes the last of repeated options), and the limits
# are four times longer.
set(MR_SAN_ARGS "")
set(MR_TIMEOUT 300)
set(MR_PROC_TIMEOUT 200)
if(WEFT_SANITIZE)
  set(MR_SAN_ARGS --dtypes float32,int8,float16 --ops sum,avg,max)
  set(MR_TIMEOUT 1200)
  set(MR_PROC_TIMEOUT 1000)
endif()

# mr_add(<name> <label> "<VAR=value;...>" <command...>)
function(mr_add name label env)
  set(cmd ${ARGN})
  list(GET cmd 0 prog)
  if(prog STREQUAL "mr_sweep")
    list(APPEND cmd ${MR_SAN_ARGS})
  endif()
  add_test(NAME multirank/${name} COMMAND ${cmd})
  set_tests_properties(multirank/${name} PROPERTIES
    LABELS "multirank;${label}" TIMEOUT ${MR_TIMEOUT} SKIP_RETURN_CODE 77
    ENVIRONMENT "WEFT_TIMEOUT=60;MR_PROC_TIMEOUT=${MR_PROC_TIMEOUT};${env}")
endfunction()

# --- the sweep: the full matrix with ranks in one process --------------------
# Every collective x datatype x op x count {0,1,7,1000,10007,262147} x in
# place or not x roots {0, n/2, n-1}.  "group": weft_comm_init_all, one
# thread; "threads": one thread per rank; "threads-sock": all over TCP.
foreach(n 1 2 3 4 5 8)
  mr_add(sweep/group/n${n} threads "" mr_sweep --mode group --nranks ${n})
  mr_add(sweep/threads/n${n} threads "" mr_sweep --mode threads --nranks ${n})
  mr_add(sweep/threads-sock/n${n} threads "WEFT_SHM_DISABLE=1"
         mr_sweep --mode threads --nranks ${n})
endforeach()

# --- the sweep with processes: a reduced matrix --------------------------------
set(MR_REDUCED --dtypes float32,int8,bfloat16,float64 --ops sum,avg,max,prod
               --counts 0,1,10007,262147 --nranks 2,3,4)
mr_add(sweep/fork procs "" mr_sweep --mode fork ${MR_REDUCED})
mr_add(sweep/exec procs "" mr_sweep --mode exec ${MR_REDUCED})
mr_add(sweep/fork-copy0 procs "WEFT_SHM_SINGLE_COPY=0" mr_sweep --mode fork ${MR_REDUCED})
mr_add(sweep/exec-sock procs "WEFT_SHM_DISABLE=1" mr_sweep --mode exec ${MR_REDUCED})
# Tiny FIFOs and an odd pipeline slice: eager messages wrap the rings.
mr_add(sweep/fork-smallfifo procs
       "WEFT_SHM_SINGLE_COPY=0;WEFT_SHM_SLOT_BYTES=4096;WEFT_SHM_NSLOTS=2;WEFT_CHUNK_BYTES=12345"
       mr_sweep --mode fork --nranks 3,4 --dtypes int8,float16,float64 --ops sum,avg,max
       --counts 1,7,10007,262147)

# --- each algorithm forced (weft_comm_last_algo must name it) -----------------
set(MR_ALGO_DTYPES --dtypes int8,int32,uint64,float16,bfloat16,float32,float64
                   --nranks 2,3,4,5,8)
mr_add(algo/ring threads "WEFT_ALGO=ring" mr_sweep --mode group ${MR_ALGO_DTYPES})
mr_add(algo/rd threads "WEFT_ALGO=rd" mr_sweep --mode group ${MR_ALGO_DTYPES}
       --colls allreduce,allgather)
mr_add(algo/rabenseifner threads "WEFT_ALGO=rabenseifner" mr_sweep --mode group
       ${MR_ALGO_DTYPES} --colls allreduce,reduce_scatter)
mr_add(algo/oneshot threads "WEFT_ALGO=oneshot" mr_sweep --mode group ${MR_ALGO_DTYPES}
       --colls allreduce)
mr_add(algo/twoshot threads "WEFT_ALGO=twoshot" mr_sweep --mode group ${MR_ALGO_DTYPES}
       --colls allreduce)
# As processes: every message through the shm FIFO, none single-copy.
mr_add(algo/oneshot-fork procs "WEFT_ALGO=oneshot" mr_sweep --mode fork ${MR_REDUCED}
       --colls allreduce)
mr_add(algo/twoshot-fork procs "WEFT_ALGO=twoshot" mr_sweep --mode fork ${MR_REDUCED}
       --colls allreduce)
mr_add(algo/tree threads "WEFT_ALGO=tree" mr_sweep --mode group ${MR_ALGO_DTYPES}
       --colls broadcast,reduce)
mr_add(algo/chain threads "WEFT_ALGO=chain" mr_sweep --mode group ${MR_ALGO_DTYPES}
       --colls broadcast,reduce)

# --- slicing knobs: pipeline slices and socket stripes that split elements ----
set(MR_KNOB_MATRIX --nranks 3 --dtypes int8,float16,bfloat16,float64 --ops sum,avg,min
                   --counts 7,1000,10007,262147)
mr_add(knobs/shm-slices threads
       "WEFT_CHUNK_BYTES=1000;WEFT_SHM_SLOT_BYTES=4096;WEFT_SHM_NSLOTS=2;WEFT_SHM_SINGLE_COPY_MIN_BYTES=1"
       mr_sweep --mode threads ${MR_KNOB_MATRIX})
mr_add(knobs/sock-stripes threads
       "WEFT_SHM_DISABLE=1;WEFT_SOCKET_NSOCKS=3;WEFT_SOCKET_MIN_STRIPE_BYTES=1001;WEFT_CHUNK_BYTES=1000"
       mr_sweep --mode threads ${MR_KNOB_MATRIX})

# --- send/recv, barrier ordering, split ---------------------------------------
set(MR_P2P_N --nranks 1,2,3,4,5,8)
mr_add(p2p/threads threads "" mr_p2p --mode threads ${MR_P2P_N})
mr_add(p2p/group threads "" mr_p2p --mode group ${MR_P2P_N})
mr_add(p2p/threads-sock threads "WEFT_SHM_DISABLE=1" mr_p2p --mode threads ${MR_P2P_N})
mr_add(p2p/fork procs "" mr_p2p --mode fork ${MR_P2P_N})
mr_add(p2p/exec procs "" mr_p2p --mode exec --nranks 2,3,5)
mr_add(p2p/exec-ompi procs "MR_LAUNCHER=ompi" mr_p2p --mode exec --nranks 3)
mr_add(p2p/exec-torchrun procs "MR_LAUNCHER=torchrun" mr_p2p --mode exec --nranks 3)
mr_add(p2p/fork-sock procs "WEFT_SHM_DISABLE=1" mr_p2p --mode fork --nranks 2,3,5)

# --- edge cases of communicators and groups (one process per case) ------------
mr_add(edge threads "WEFT_TIMEOUT=20" mr_edge)

# --- emulated nodes: ranks with different WEFT_HOSTID use sockets -------------
mr_add(nodes/2x2 procs "" mr_nodes --layout A,A,B,B)
mr_add(nodes/interleaved procs "" mr_nodes --layout A,B,A,B,C)
# Each inter-node phase of the hierarchical all-reduce forced, on 3 nodes
# (folded halving-doubling) and on uneven, interleaved nodes.
mr_add(nodes/hier procs "WEFT_ALGO=hier" mr_nodes --layout A,A,B,B,C,C,C)
mr_add(nodes/hier_hd procs "WEFT_ALGO=hier_hd" mr_nodes --layout A,A,B,B,C,C)
mr_add(nodes/hier_rd procs "WEFT_ALGO=hier_rd" mr_nodes --layout A,B,A,B,C,C,D)

# --- a rank killed with SIGKILL: every survivor fails within the timeout -------
foreach(when between during)
  mr_add(kill/shm-${when} procs "WEFT_TIMEOUT=10" mr_kill --when ${when})
  mr_add(kill/sock-${when} procs "WEFT_TIMEOUT=10;WEFT_SHM_DISABLE=1" mr_kill --when ${when})
endforeach()
mr_add(kill/shm-root procs "WEFT_TIMEOUT=10" mr_kill --when during --victim 0)
mr_add(kill/sock-root procs "WEFT_TIMEOUT=10;WEFT_SHM_DISABLE=1" mr_kill --when during --victim 0)

# --- self-tests: a corrupted byte or a skipped barrier must be reported -------
foreach(what result input guard poison)
  mr_add(selftest/${what} threads "MR_INJECT=${what}" mr_sweep --mode group --nranks 3
         --colls allgather,broadcast --dtypes int8 --counts 7)
  set_tests_properties(multirank/selftest/${what} PROPERTIES
    PASS_REGULAR_EXPRESSION "FAIL \\[group n=3 rank 0\\].*FAILED")
endforeach()
mr_add(selftest/barrier threads "MR_INJECT=barrier" mr_p2p --mode threads --nranks 3
       --tests barrier)
set_tests_properties(multirank/selftest/barrier PROPERTIES
  PASS_REGULAR_EXPRESSION "left barrier [0-9]+ when only [0-9]+ of 3 ranks had entered it")

# --- tests/unit/test_api_errors: "ranks disagree" must fail within 5 s ---------
if(TEST unit/test_api_errors)
  set_tests_properties(unit/test_api_errors PROPERTIES ENVIRONMENT "WEFT_TIMEOUT=5")
  add_test(NAME unit/test_api_errors/sock COMMAND test_api_errors)
  set_tests_properties(unit/test_api_errors/sock PROPERTIES LABELS unit TIMEOUT 120
    ENVIRONMENT "WEFT_TIMEOUT=5;WEFT_SHM_DISABLE=1")
endif()

# --- deadlines, signatures, hang reports (tests/unit/test_diag.c,
# test_mismatch*.c and test_inherit.c, run as unit tests over shm; here again
# over sockets and, for test_diag, with the full check from the environment) ----
if(TEST unit/test_diag)
  add_test(NAME unit/test_diag/sock COMMAND test_diag)
  add_test(NAME unit/test_diag/check1 COMMAND test_diag)
  set(WEFT_DIAG_SOCK_TESTS unit/test_diag/sock)
  foreach(t test_mismatch test_mismatch_spread test_inherit)
    if(TEST unit/${t})
      add_test(NAME unit/${t}/sock COMMAND ${t})
      list(APPEND WEFT_DIAG_SOCK_TESTS unit/${t}/sock)
    endif()
  endforeach()
  set_tests_properties(${WEFT_DIAG_SOCK_TESTS} PROPERTIES LABELS unit
    TIMEOUT 300 ENVIRONMENT "WEFT_TIMEOUT=60;WEFT_SHM_DISABLE=1")
  set_tests_properties(unit/test_diag/check1 PROPERTIES LABELS unit TIMEOUT 300
    ENVIRONMENT "WEFT_TIMEOUT=60;WEFT_CHECK=1")
endif()
