#!/usr/bin/env bash
# Builds weft with sanitizers, each in its own build directory, and runs the
# tests under them; any report fails the run.
#
#   scripts/sanitize.sh [asan] [tsan]        default: both
#
#   asan  build-asan, WEFT_SANITIZE=address,undefined: the whole suite
#         (unit, multirank threads and processes) under AddressSanitizer
#         and UndefinedBehaviorSanitizer, whose undefined behaviour aborts.
#         LeakSanitizer runs with it at the exit of every process, so the
#         process tests (label procs: forked and exec'd ranks, launchers)
#         are the multi-process leak check.  test_verify proves schedules
#         up to 12 ranks instead of 64 (WEFT_VERIFY_MAX_N): pure arithmetic,
#         proved in full by the normal suite, and 10x slower here.
#   tsan  build-tsan, WEFT_SANITIZE=thread: the tests whose ranks are threads
#         of one process (label threads) and the threaded unit tests.
#
# Built without CUDA (-DWEFT_CUDA=OFF): nvcc does not take the sanitizer
# flags, and the gpu label skips on these machines anyway.
# Not run here: the fuzz label (tests/fuzz builds its own ASan+UBSan
# binaries), the emulated cluster (label cluster: root and namespaces, the
# same code paths as multirank/nodes) and install/consumer (it installs and
# links a plain consumer, which sanitizer runtimes do not allow; it skips).
# Suppressions, each with the reason it is a false positive, are in
# scripts/sanitize/*.supp.  Extra arguments after -- go to every ctest call.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
stages=()
ctest_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    asan | tsan) stages+=("$1") ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "usage: $0 [asan] [tsan] [-- ctest arguments]" >&2; exit 2 ;;
    esac
    shift
done
[ ${#stages[@]} -gt 0 ] || stages=(asan tsan)
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] && jobs=2

configure_build() { # dir sanitizer
    cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="-O1" -DCMAKE_CXX_FLAGS="-O1" \
        -DWEFT_SANITIZE="$2" -DWEFT_WERROR=ON -DWEFT_MPI=OFF -DWEFT_GLOO=OFF -DWEFT_CUDA=OFF \
        >/dev/null
    cmake --build "$1" -j"$jobs" >/dev/null
}

# Sanitizer runtimes map fixed ranges; kernels with large mmap randomness
# break TSan's (and sometimes ASan's) layout, so tests run without ASLR
# where setarch can turn it off.
norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
    norandom=(setarch "$(uname -m)" -R)
fi

run_asan() {
    echo "sanitize: building build-asan (address,undefined)"
    configure_build build-asan address,undefined
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=0:strict_string_checks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$root/scripts/sanitize/lsan.supp"
    echo "sanitize: the suite under ASan+UBSan+LSan"
    (cd build-asan && WEFT_VERIFY_MAX_N=12 "${norandom[@]}" ctest --output-on-failure -j"$jobs" \
        -LE "fuzz|cluster" "${ctest_args[@]}")
}

run_tsan() {
    echo "sanitize: building build-tsan (thread)"
    configure_build build-tsan thread
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/sanitize/tsan.supp"
    echo "sanitize: the threaded tests under TSan"
    (cd build-tsan && "${norandom[@]}" ctest --output-on-failure -j"$jobs" -L threads \
        "${ctest_args[@]}")
    (cd build-tsan && "${norandom[@]}" ctest --output-on-failure -j"$jobs" \
        -R "^unit/test_(bootstrap|foreign|net|api_errors|diag|mismatch|inherit)" \
        "${ctest_args[@]}")
}

start=$(date +%s)
for s in "${stages[@]}"; do
    "run_$s"
done
echo "sanitize: ${stages[*]}: no findings ($(( $(date +%s) - start )) s)"
