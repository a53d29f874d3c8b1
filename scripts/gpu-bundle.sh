#!/usr/bin/env bash
# gpu-bundle.sh - builds weft's CUDA binaries here and packs them into
# .gpu-bundle/, for a GPU machine that cannot build weft itself.
#
# Why: the GPU machines lent to some sessions have CUDA, a driver, CMake and
# Python with NCCL's pip package, but no network and none of weft's -dev
# dependencies (cJSON, which CMake requires, hwloc), so weft cannot be
# configured there. The binaries are built here instead and travel in the
# working tree (.gpu-bundle is ignored by git: name it in the tool's carry
# list), together with every shared library they load that a bare Linux
# lacks. scripts/gpu-run.sh runs them there, one stage per command.
#
#   scripts/gpu-bundle.sh [--strip]
#
# Builds build-gpu/ (WEFT_CUDA=ON, RelWithDebInfo; cmake is rerun each time,
# only the targets the bundle holds), then writes .gpu-bundle/:
#   bin/      the programs ctest -L gpu runs, weft-perf, weft-kbench, nccl-perf
#   lib/      the shared libraries they need beyond glibc, libstdc++ and
#             libgcc_s (libcjson, libhwloc, libudev here); libcuda comes from
#             the driver there and libnccl from NCCL's pip package, so
#             neither is carried
#   perf/     compare.sh and compare.py, as of this build
#   tests.tsv the GPU tests as ctest registers them: name, binary,
#             arguments, environment, ctest's timeout (from ctest itself)
#   MANIFEST  commit, build settings, the glibc the binaries need, files
# Debug info is kept unless the bundle would pass 48 MiB (or --strip says
# so): the working tree travels too, 64 MiB in all. Fails above 60 MiB.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-gpu
CONFIGURE_LOG=$BUILD/gpu-bundle-configure.log
BUNDLE=$ROOT/.gpu-bundle
LIMIT_MIB=60
STRIP_ABOVE_MIB=48

# target name -> path under build-gpu: the tools here, the GPU tests
# (test_cuda_reduce, ..., test_device_procs) added from ctest -L gpu.
declare -A TARGET_PATH=(
    [weft-perf]=perf/weft-perf
    [weft-kbench]=perf/cuda/weft-kbench
    [nccl-perf]=perf/baselines/nccl-perf
)
TEST_TARGETS=()

# Libraries any x86-64 Linux with a CUDA driver has: never carried. libcuda
# must come from the driver there; libnccl is too large (NCCL's pip package).
SYSTEM_LIBS='^(linux-vdso|ld-linux|libc|libm|libpthread|libdl|librt|libutil|libresolv|libstdc\+\+|libgcc_s|libcuda|libnvidia-ml|libnccl)\.'

say() { printf 'gpu-bundle: %s\n' "$*"; }
die() { printf 'gpu-bundle: error: %s\n' "$*" >&2; exit 1; }

strip_debug=0
case "${1:-}" in
    --strip) strip_debug=1 ;;
    "") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (usage: scripts/gpu-bundle.sh [--strip])" ;;
esac

configure() {
    say "configuring $BUILD (WEFT_CUDA=ON, RelWithDebInfo)"
    mkdir -p "$BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DWEFT_CUDA=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        >"$CONFIGURE_LOG" 2>&1 || { cat "$CONFIGURE_LOG" >&2; die "cmake failed"; }
    grep -E '^-- weft:' "$CONFIGURE_LOG" || true
}

build() {
    local targets=("${TEST_TARGETS[@]}" weft-perf weft-kbench)
    if make -C "$BUILD" help | grep -x '\.\.\. nccl-perf' >/dev/null; then
        targets+=(nccl-perf)
    else
        say "nccl-perf is not configured (no NCCL found here): the bundle has no NCCL baseline"
    fi
    say "building ${targets[*]} (nice -n 19 make -j2)"
    nice -n 19 make --no-print-directory -C "$BUILD" -j2 "${targets[@]}"
}

# Copies each binary into bin/ and each library it needs that the base
# system lacks into lib/ (ldd lists the whole closure, libudev under hwloc).
copy_binaries_and_libs() {
    local name path line lib target
    for name in "${!TARGET_PATH[@]}"; do
        path=$BUILD/${TARGET_PATH[$name]}
        [[ -x $path ]] || { [[ $name == nccl-perf ]] && continue; die "$path was not built"; }
        cp "$path" "$BUNDLE/bin/$name"
        while read -r line; do
            # "libcjson.so.1 => /lib/x86_64-linux-gnu/libcjson.so.1 (0x...)"
            [[ $line == *'=>'* ]] || continue
            lib=${line%% *}
            [[ $lib =~ $SYSTEM_LIBS ]] && continue
            target=$(awk '{print $3}' <<<"$line")
            [[ $target == not ]] && die "$name needs $lib, which is not found here"
            [[ -e $BUNDLE/lib/$lib ]] || cp -L "$target" "$BUNDLE/lib/$lib"
        done < <(ldd "$path")
    done
}

# tests.tsv from ctest's own view of the label gpu: the runner there has no
# ctest to ask (no build tree), and this keeps it in step with
# tests/gpu/CMakeLists.txt without a second copy of the variants. The
# binaries the tests run become TEST_TARGETS, built and bundled.
write_test_list() {
    local list=$BUILD/gpu-bundle-targets.tsv
    (cd "$BUILD" && ctest --show-only=json-v1 -L gpu) | python3 -c '
import json, os, sys
build, targets = sys.argv[1], sys.argv[2]
tests = [t for t in json.load(sys.stdin)["tests"] if t.get("command")]
with open(targets, "w") as out:
    for t in tests:
        cmd = t["command"][0]
        if not cmd.startswith(build + "/"):
            sys.exit("gpu-bundle: %s runs %s, not a program of %s (is WEFT_CUDA off?)"
                     % (t["name"], cmd, build))
        out.write("%s\t%s\n" % (os.path.basename(cmd), os.path.relpath(cmd, build)))
print("# name\tbinary\targs\tenvironment\tctest timeout (s)")
for t in tests:
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    cmd = t["command"]
    # "-" for an empty cell: read splits on runs of tabs
    cells = [t["name"], os.path.basename(cmd[0]), " ".join(cmd[1:]) or "-",
             " ".join(props.get("ENVIRONMENT", [])) or "-", str(int(props.get("TIMEOUT", 1500)))]
    if any("\t" in c for c in cells):
        sys.exit("gpu-bundle: a tab in " + t["name"])
    print("\t".join(cells))
' "$BUILD" "$list" >"$BUNDLE/tests.tsv"
    local n name path
    n=$(grep -vc '^#' "$BUNDLE/tests.tsv")
    say "tests.tsv: $n GPU tests from ctest -L gpu"
    [[ $n -gt 0 ]] || die "ctest lists no gpu test in $BUILD"
    while IFS=$'\t' read -r name path; do
        if [[ -z ${TARGET_PATH[$name]:-} ]]; then
            TARGET_PATH[$name]=$path
            TEST_TARGETS+=("$name")
        fi
    done <"$list"
}

# The newest GLIBC_x.y that any bundled file needs, for gpu-run.sh to check.
glibc_needed() {
    objdump -T "$BUNDLE"/bin/* "$BUNDLE"/lib/* 2>/dev/null |
        grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sed 's/GLIBC_//' | sort -uV | tail -1
}

size_mib() { du -sb "$1" | awk '{printf "%.1f", $1 / 1048576}'; }

write_manifest() {
    local nccl_h nccl_version=none
    nccl_h=$(sed -n 's/^WEFT_NCCL_INCLUDE_DIR:PATH=//p' "$BUILD/CMakeCache.txt")/nccl.h
    if [[ -x $BUNDLE/bin/nccl-perf && -r $nccl_h ]]; then
        nccl_version=$(awk '/#define NCCL_(MAJOR|MINOR|PATCH) /{v = v (v ? "." : "") $3} END {print v}' "$nccl_h")
    fi
    {
        echo "weft GPU bundle, built $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -m)"
        echo "commit $(git -C "$ROOT" rev-parse --short HEAD)," \
             "$(git -C "$ROOT" status --porcelain -- src include tests perf cmake CMakeLists.txt | wc -l)" \
             "files differ from it under src include tests perf cmake"
        echo "build: $BUILD (RelWithDebInfo, WEFT_CUDA=ON), debug info $([[ $strip_debug == 1 ]] && echo stripped || echo kept)"
        grep -E '^-- weft: WEFT_(CUDA|HWLOC|NCCL)=' "$CONFIGURE_LOG" | sed 's/^-- /  /'
        echo "nccl-perf built against NCCL $nccl_version"
        echo "glibc needed: $(glibc_needed)"
        echo "files:"
        (cd "$BUNDLE" && find . -type f ! -name MANIFEST | sort | sed 's|^\./||' |
            while read -r f; do printf '  %-28s %9d  %s\n' "$f" "$(stat -c %s "$f")" \
                "$(sha256sum "$f" | cut -c1-16)"; done)
    } >"$BUNDLE/MANIFEST"
}

main() {
    cd "$ROOT"
    command -v cmake >/dev/null || die "cmake not found"
    [[ -x /usr/local/cuda/bin/nvcc ]] || command -v nvcc >/dev/null ||
        die "nvcc not found: this script builds weft's CUDA code"
    rm -rf "$BUNDLE"
    mkdir -p "$BUNDLE/bin" "$BUNDLE/lib" "$BUNDLE/perf"
    configure
    write_test_list
    build
    copy_binaries_and_libs
    cp perf/compare.sh perf/compare.py "$BUNDLE/perf/"

    local mib
    mib=$(size_mib "$BUNDLE")
    if [[ $strip_debug == 0 ]] && awk -v m="$mib" -v l="$STRIP_ABOVE_MIB" 'BEGIN {exit !(m > l)}'; then
        say "$mib MiB with debug info, over $STRIP_ABOVE_MIB MiB: stripping it"
        strip_debug=1
    fi
    if [[ $strip_debug == 1 ]]; then
        strip --strip-debug "$BUNDLE"/bin/* "$BUNDLE"/lib/*
    fi
    write_manifest
    cat "$BUNDLE/MANIFEST"

    mib=$(size_mib "$BUNDLE")
    local tree_mib
    tree_mib=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null |
        tail -1 | awk '{printf "%.1f", $1 / 1048576}')
    say "bundle: $BUNDLE, $mib MiB (limit $LIMIT_MIB MiB); the rest of the working tree: $tree_mib MiB"
    awk -v m="$mib" -v l="$LIMIT_MIB" 'BEGIN {exit !(m > l)}' &&
        die "the bundle is $mib MiB, over $LIMIT_MIB MiB"
    awk -v m="$mib" -v t="$tree_mib" 'BEGIN {exit !(m + t > 64)}' &&
        say "warning: bundle + working tree = more than 64 MiB, more than the device tool carries"
    say "done. On the GPU machine (carry .gpu-bundle): scripts/gpu-run.sh all-quick|tests|sanitize|bench"
}

main "$@"
