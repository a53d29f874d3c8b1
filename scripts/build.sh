#!/usr/bin/env bash
# Configures and builds weft in build/ (RelWithDebInfo, warnings as errors).
# Extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_WERROR=ON "$@" >/dev/null
cmake --build build -j"$jobs"
