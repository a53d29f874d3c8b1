#!/usr/bin/env bash
# The second command of the README: builds weft and runs the whole test
# suite (unit tests, the schedule verifier, multi-rank tests as threads and
# processes, emulated nodes, failure injection). Tests that need hardware
# this machine lacks are reported as skipped. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
exec ctest --output-on-failure -j2 "$@"
