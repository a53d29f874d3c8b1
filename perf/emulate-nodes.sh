#!/usr/bin/env bash
# Runs a command as one rank of a job whose ranks are split into emulated
# nodes of RANKS_PER_NODE consecutive ranks each: it sets WEFT_HOSTID from
# the launcher's rank, so that ranks of different "nodes" talk over TCP
# sockets and ranks of one node over shared memory, all on this machine.
#
#   mpirun -np 4 perf/emulate-nodes.sh 2 build/perf/weft-perf allreduce
set -euo pipefail
per_node=${1:?usage: emulate-nodes.sh RANKS_PER_NODE command...}
shift
rank=${WEFT_RANK:-${OMPI_COMM_WORLD_RANK:-${SLURM_PROCID:-${RANK:-}}}}
if [ -z "$rank" ]; then
  echo "emulate-nodes.sh: no rank in the environment (run it under a launcher)" >&2
  exit 2
fi
export WEFT_HOSTID="emulated-node$((rank / per_node))"
exec "$@"
