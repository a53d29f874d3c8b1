#!/usr/bin/env bash
# Compares two benchmark commands side by side (weft-perf against a baseline
# such as perf/baselines' mpi-perf or gloo-perf): runs them alternately,
# keeps the median per size, prints time, busbw and their ratios as a plain
# or Markdown table. The work is done by compare.py next to this script
# (python3, standard library only); see `perf/compare.sh --help`.
exec python3 "$(dirname "${BASH_SOURCE[0]}")/compare.py" "$@"
