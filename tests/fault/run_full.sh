#!/bin/sh
# run_full.sh - the full fault-injection run behind docs/RELIABILITY.md:
# 100 random trials of each fault (kill, sockclose, stop, abort) over 4 to 8
# ranks and every transport available here, each printing its counted
# table.  Usage: tests/fault/run_full.sh [BUILD_DIR] [TRIALS]   (defaults:
# build, 100).  Takes about 15 minutes on 2 cores; exits non-zero if any
# count is off (a hang, a rank that got no error, a slow abort, a leak).
set -u
build=${1:-build}
trials=${2:-100}
prog=$build/tests/fault_inject
if [ ! -x "$prog" ]; then
    echo "run_full.sh: $prog not found; build first (cmake --build $build)" >&2
    exit 2
fi
status=0
run() { # run <WEFT_TIMEOUT> <args...>
    t=$1
    shift
    echo "== WEFT_TIMEOUT=$t fault_inject $* --trials $trials"
    WEFT_DEBUG=ERROR WEFT_TIMEOUT=$t "$prog" "$@" --trials "$trials" --quiet || status=1
}
run 10 --kind kill --seed 101 --transports shm,sock,nodes
run 10 --kind sockclose --seed 102 --transports sock,nodes
run 3 --kind stop --seed 103 --transports shm,sock,nodes
run 10 --kind abort --seed 104 --transports shm,sock,nodes,threads
exit $status
