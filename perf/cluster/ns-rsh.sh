#!/bin/sh
# ns-rsh.sh - OpenMPI's "remote shell" into a node of perf/cluster/cluster.sh.
#
# Why: the emulated nodes are network namespaces on this machine, not hosts
# with an ssh daemon.  mpirun starts its daemon (orted) on every other node
# through `plm_rsh_agent HOST COMMAND...`, as it would through ssh; this
# script is that agent: it enters the namespace named HOST (HOST is the
# node's name, <prefix>-node<i>) and a new UTS namespace whose hostname is
# HOST, and runs COMMAND there through sh -c, joined by spaces as ssh would.
# The own hostname matters: OpenMPI names its session directory and shared
# memory segments after the host, and two "nodes" that shared a hostname
# would share them.
#
# How: cluster.sh mpi passes `--mca plm_rsh_agent <this file>`; nobody runs it
# by hand.  It only enters the namespaces of that cluster (<prefix>-node<N>,
# as `ip netns list` shows them), never anything else.
set -eu

# ssh-style options that OpenMPI may put before the host are ignored.
while [ $# -gt 0 ]; do
    case $1 in
    -*) shift ;;
    *) break ;;
    esac
done
[ $# -ge 2 ] || {
    echo "usage: ns-rsh.sh HOST COMMAND..." >&2
    exit 2
}
host=$1
shift

# cluster.sh passes its prefix in WEFTC_PREFIX (mpirun hands its
# environment down to this agent): only that cluster's nodes qualify.
case $host in
"${WEFTC_PREFIX:-weftc}"-node[0-9]*) ;;
*)
    echo "ns-rsh.sh: $host is not a node of the emulated cluster ${WEFTC_PREFIX:-weftc}" >&2
    exit 255
    ;;
esac
if ! ip netns list | awk '{print $1}' | grep -qx "$host"; then
    echo "ns-rsh.sh: no network namespace $host (is the cluster up?)" >&2
    exit 255
fi

# shellcheck disable=SC2016 # $0 and $1 are the inner shell's
exec ip netns exec "$host" unshare --uts \
    sh -c 'hostname "$0" && eval "$1"' "$host" "$*"
