#!/bin/sh
# run.sh - build weft's libFuzzer targets with clang (AddressSanitizer +
# UndefinedBehaviorSanitizer + coverage) and run them for a bounded time.
#
#   tests/fuzz/run.sh [SECONDS] [OUTDIR] [TARGET...]   build, then run each
#                                         target (default: all) SECONDS each
#   tests/fuzz/run.sh --build OUTDIR      build only (ctest's fuzz/build)
#   tests/fuzz/run.sh --run SECONDS OUTDIR TARGET   run one built target
#
# Defaults: 30 seconds, ./build-fuzz.  Targets: fuzz_topo (topology files),
# fuzz_wire (bootstrap header, collectives, hello replies), fuzz_gate (the
# rendezvous' hello checks), fuzz_sock (socket transport hello, piece
# header, and a failed peer's last bytes: pieces and its failure frame),
# fuzz_uid (unique ids), fuzz_launch (launcher variables,
# host:port), fuzz_config (WEFT_* values), fuzz_ipc (CUDA IPC handle
# messages).  Built without CUDA (-DWEFT_CUDA=OFF): nvcc does not take the
# sanitizer flags, and the parsers are plain C.
#
# Each target starts from tests/fuzz/seeds/<name minus fuzz_>/ (committed;
# every crash ever found is kept there as a regression seed) and its
# dictionary tests/fuzz/<target>.dict; inputs that grow coverage go to
# OUTDIR/corpus/<target>.  A crash, leak or sanitizer report stops the run,
# writes the input as OUTDIR/artifacts/<target>-crash-*, and exits non-zero;
# replay it with OUTDIR/tests/fuzz/<target> FILE.
#
# Needs clang with libFuzzer (Debian: clang and libclang-rt-dev of the same
# version; scripts/install-deps.sh installs them).  Without them it exits
# 77, which ctest reports as skipped.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cc=${CC:-clang}
all="fuzz_topo fuzz_wire fuzz_gate fuzz_sock fuzz_uid fuzz_launch fuzz_config fuzz_ipc"

# 0 if clang can build and link a libFuzzer program here.
have_libfuzzer() {
    command -v "$cc" >/dev/null 2>&1 || return 1
    probe=$(mktemp -d)
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
        >"$probe/p.c"
    ok=0
    "$cc" -fsanitize=fuzzer,address "$probe/p.c" -o "$probe/p" >/dev/null 2>&1 || ok=1
    rm -rf "$probe"
    return $ok
}

skip_without_libfuzzer() {
    if ! have_libfuzzer; then
        echo "fuzz: SKIPPED: $cc with libFuzzer is not available" \
             "(install clang and libclang-rt-dev: scripts/install-deps.sh)"
        exit 77
    fi
}

build() {
    out=$1
    skip_without_libfuzzer
    mkdir -p "$out"
    jobs=$(nproc 2>/dev/null || echo 2)
    [ "$jobs" -gt 2 ] && jobs=2
    CC="$cc" cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="-O1 -g" \
        -DWEFT_FUZZ=ON -DWEFT_SANITIZE=address,undefined -DWEFT_BUILD_TESTS=OFF \
        -DWEFT_MPI=OFF -DWEFT_GLOO=OFF -DWEFT_CUDA=OFF >"$out/configure.log" 2>&1 ||
        { cat "$out/configure.log"; exit 1; }
    cmake --build "$out" -j"$jobs" --target fuzz_all >"$out/build.log" 2>&1 ||
        { tail -40 "$out/build.log"; exit 1; }
    echo "fuzz: built $all in $out"
}

run_one() {
    seconds=$1 out=$2 target=$3
    bin="$out/tests/fuzz/$target"
    if [ ! -x "$bin" ]; then
        skip_without_libfuzzer
        echo "fuzz: $bin is not built (run: $0 --build $out)"
        exit 1
    fi
    name=${target#fuzz_}
    mkdir -p "$out/corpus/$target" "$out/artifacts" "$here/seeds/$name"
    dict=""
    [ -f "$here/$target.dict" ] && dict="-dict=$here/$target.dict"
    extra=""
    [ "$target" = fuzz_topo ] && extra="$root/topology/systems"
    # Quiet logs: strangers' refusals are WARN lines, one per input.
    # shellcheck disable=SC2086 # dict and extra are optional words
    WEFT_DEBUG=ERROR WEFT_TIMEOUT=5 "$bin" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$out/artifacts/$target-" $dict \
        "$out/corpus/$target" "$here/seeds/$name" $extra
}

case "${1:-}" in
--build)
    build "${2:?usage: $0 --build OUTDIR}"
    ;;
--run)
    run_one "${2:?usage: $0 --run SECONDS OUTDIR TARGET}" "${3:?OUTDIR}" "${4:?TARGET}"
    ;;
*)
    seconds=${1:-30}
    out=${2:-$root/build-fuzz}
    [ $# -ge 2 ] && shift 2 || shift $#
    targets=${*:-$all}
    build "$out"
    for t in $targets; do
        echo "fuzz: $t for $seconds s"
        run_one "$seconds" "$out" "$t"
    done
    ;;
esac
