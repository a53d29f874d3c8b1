#!/bin/sh
# run.sh - build the topology parser's libFuzzer target with clang
# (AddressSanitizer + UndefinedBehaviorSanitizer) and run it for a bounded
# time, seeded with the real system files and tests/fuzz/seeds/.
#
#   tests/fuzz/run.sh [SECONDS] [OUTDIR]      defaults: 30, ./build-fuzz
#
# Needs clang with libFuzzer (Debian: clang and libclang-rt-dev of the same
# version) and the library's dependencies (libcjson-dev; libhwloc-dev is
# used when pkg-config finds it).  New inputs that grow coverage go to
# OUTDIR/corpus; a crashing input is written as OUTDIR/crash-* and the
# script exits non-zero.  Replay one with: OUTDIR/fuzz_topo FILE
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-30}
out=${2:-$root/build-fuzz}
cc=${CC:-clang}

mkdir -p "$out/corpus"
hwloc_flags=""
if pkg-config --exists hwloc; then
    hwloc_flags="-DWEFT_HAVE_HWLOC=1 $(pkg-config --cflags --libs hwloc)"
fi
# shellcheck disable=SC2086 # the flag lists are word lists
"$cc" -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root/include" -I"$root/src" $(pkg-config --cflags libcjson) \
    "$root"/src/topology/*.c "$root"/src/util/*.c "$here/fuzz_topo.c" \
    -o "$out/fuzz_topo" $(pkg-config --libs libcjson) $hwloc_flags -lm -lpthread -ldl -lrt

# The first directory receives new inputs; the systems and the small
# seeds (each feature of the format once) are read-only.
cd "$out"
exec ./fuzz_topo -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -dict="$here/topo.dict" -print_final_stats=1 corpus "$here/seeds" "$root/topology/systems"
