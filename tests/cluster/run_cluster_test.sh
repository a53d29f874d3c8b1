#!/usr/bin/env bash
# run_cluster_test.sh - the ctests cluster/2x2 and cluster/3x2: weft on an
# emulated cluster of 2 (or 3) nodes x 2 rails (perf/cluster/cluster.sh:
# network namespaces, one veth per rail, rate-limited with tc), every rank
# bound to its rail through WEFT_SOCKET_IFNAME.
#
# Why: only on separate nodes with separate rails can a test see that the
# hierarchical all-reduce sends each rank's share over that rank's own rail,
# and no more than the formula 2(N-1)/N x S/k says (tests/cluster/
# cluster_check.c has the details; it checks the results bit for bit too).
#
# What: brings the cluster up under a name of its own (so that it neither
# meets nor removes a cluster someone brought up by hand), runs
# cluster_check as every rank with WEFT_ALGO=hier and then with the tuner's
# choice, optionally a short weft-perf hier run through the same launcher,
# prints every rank's report, and removes the cluster -- always.
#
#   run_cluster_test.sh [--nodes N] CLUSTER_CHECK CLUSTER_SH [WEFT_PERF]
#
# (2 nodes by default; with 3 the ring between nodes cuts blocks unevenly,
# which the byte check then follows to the element.)
#
# Exit 0: passed; 1: failed; 77: cannot run here (not root, no `ip netns`,
# tc or unshare, or the kernel refuses namespaces, veth or tbf) -- ctest
# then reports the test as skipped.
set -euo pipefail

NODES=2
if [ "${1:-}" = --nodes ]; then
    NODES=$2
    shift 2
fi
usage="usage: run_cluster_test.sh [--nodes N] CLUSTER_CHECK CLUSTER_SH [WEFT_PERF]"
check=${1:?$usage}
cluster=${2:?$usage}
perf=${3:-}
readonly NODES RAILS=2 PREFIX="wt$$"

skip() {
    echo "SKIPPED: $*"
    exit 77
}

# Can this machine build the cluster at all?  A failure here is the
# machine's, not weft's: skip.  (Later failures are the test's.)
probe() {
    [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, veth pairs, tc)"
    local tool
    for tool in ip tc unshare setsid timeout; do
        command -v "$tool" >/dev/null || skip "$tool is not installed"
    done
    ip netns list >/dev/null 2>&1 || skip "\`ip netns\` is not available"
    local ns="wtprobe$$" a="wtp$$a" b="wtp$$b" why=""
    if ! ip netns add "$ns" 2>/dev/null; then
        why="cannot create a network namespace"
    elif ! ip link add "$a" type veth peer name "$b" 2>/dev/null; then
        why="cannot create a veth pair"
    elif ! tc qdisc add dev "$a" root tbf rate 10gbit burst 1mb latency 20ms 2>/dev/null; then
        why="tc cannot add a tbf qdisc (sch_tbf missing?)"
    elif ! ip netns exec "$ns" unshare --uts true 2>/dev/null; then
        why="cannot enter a namespace with a UTS namespace of its own"
    fi
    ip link del "$a" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    [ -z "$why" ] || skip "$why"
}

cleanup() {
    "$cluster" --prefix "$PREFIX" down || true
}

# Runs one job on every rank; prints every rank's output; fails on any
# failure.  $1: a name for the log directory, rest: cluster.sh run's command.
job() {
    local name=$1 rc=0 f
    shift
    echo "=== $name"
    "$cluster" --prefix "$PREFIX" --timeout 150 --out "$LOGS/$name" run -- "$@" \
        >/dev/null || rc=$?
    for f in "$LOGS/$name"/rank*.out; do
        cat "$f"
    done
    if [ "$rc" -ne 0 ]; then
        for f in "$LOGS/$name"/rank*.err; do
            [ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
        done
        echo "FAILED: $name (logs in $LOGS/$name)"
        return 1
    fi
}

main() {
    probe
    [ -x "$check" ] || { echo "no test program $check"; exit 1; }
    LOGS=$(mktemp -d /tmp/weft-cluster-test.XXXXXX)
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$cluster" --prefix "$PREFIX" --nodes "$NODES" --rails "$RAILS" \
        --rate 10gbit --burst 1mb up
    export WEFT_TIMEOUT=60
    local status=0
    WEFT_ALGO=hier job hier "$check" --nodes "$NODES" --rails "$RAILS" --algo hier || status=1
    (unset WEFT_ALGO; job auto "$check" --nodes "$NODES" --rails "$RAILS" --algo auto) ||
        status=1
    if [ -n "$perf" ]; then
        # weft-perf under the launcher: checked rows, bytes between nodes.
        WEFT_ALGO=hier job weft-perf "$perf" allreduce -b 4M -e 4M -n 3 -w 1 -a hier -v ||
            status=1
    fi
    if [ "$status" -eq 0 ]; then
        rm -rf "$LOGS"
        echo "PASSED: cluster/${NODES}x${RAILS}"
    fi
    return "$status"
}

main
