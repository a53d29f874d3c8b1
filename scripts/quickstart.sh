#!/usr/bin/env bash
# The first command of the README: installs what is missing, builds weft and
# runs the default benchmark: all-reduce of float32 on host memory, 4 ranks
# as threads, 8 B to 64 MiB, every result checked bit for bit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/perf/weft-perf allreduce -t 4 -b 8 -e 64M
