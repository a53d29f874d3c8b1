#!/usr/bin/env bash
# gpu-run.sh - runs weft's GPU tests, sanitizer runs and benchmarks from
# .gpu-bundle/ (made by scripts/gpu-bundle.sh) on a GPU machine that cannot
# build weft: one stage per call, each ending well inside 10 minutes.
#
# Why: the GPU machines lent to sessions run one command of at most 10
# minutes and return the end of its output and the files under $OUT. So
# every stage here runs against a time budget, gives every command its own
# timeout (one hang cannot eat the stage; what did not fit is listed as NOT
# RUN with the command that runs it), writes the whole log under $OUT, and
# prints its PASS/FAIL/SKIP table last.
#
#   scripts/gpu-run.sh all-quick        smoke run, under 3 minutes: one test per
#                                       area with WEFT_TEST_QUICK=1, the tools
#   scripts/gpu-run.sh tests [GLOB...]  every ctest -L gpu test with its variant's
#                                       environment (the bundle's tests.tsv), or
#                                       those whose name matches a GLOB
#   scripts/gpu-run.sh sanitize [GLOB...]  docs/TESTING.md's compute-sanitizer
#                                       runs (memcheck/..., initcheck/..., racecheck/...)
#   scripts/gpu-run.sh bench            weft-kbench, weft-perf on device buffers
#                                       (staged and WEFT_CUDA_IPC=1), nccl-perf
#
# Logs: $OUT/STAGE.log and $OUT/STAGE-summary.txt (OUT defaults to
# ./gpu-out); bench also writes $OUT/bench-tables.md (the side-by-side
# tables) and $OUT/bench-json.tar.gz. Exit status: 0 when nothing failed, 1
# when something failed or timed out, 3 when something did not fit the
# budget, 2 on a setup error (no bundle, glibc too old).
#
# Settings (environment): WEFT_GPU_BUDGET (seconds for the stage: 540, or
# 170 for all-quick), WEFT_GPU_TEST_TIMEOUT (one test, 300),
# WEFT_GPU_SANITIZE_TIMEOUT (one sanitizer run, 150; twice that for
# test_device_procs), WEFT_GPU_BENCH_ITERS, _WARMUP, _MAX, _ROUNDS (the
# sweeps: 10, 3, 1G, 1), WEFT_NCCL_LIB_DIR (where libnccl.so.2 is, when
# NCCL's pip package is not found).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUNDLE=$ROOT/.gpu-bundle
BIN=$BUNDLE/bin
OUT=${OUT:-$ROOT/gpu-out}
STAGE=${1:-}
[[ $# -gt 0 ]] && shift

# set -e stops at the first unexpected failure; this says where.
trap 'printf "gpu-run: error: line %d: a command exited %d\n" "$LINENO" "$?" >&2' ERR
die() { printf 'gpu-run: error: %s\n' "$*" >&2; exit 2; }

case "$STAGE" in
    all-quick) BUDGET=${WEFT_GPU_BUDGET:-170} ;;
    tests|sanitize|bench) BUDGET=${WEFT_GPU_BUDGET:-540} ;;
    -h|--help|"") sed -n '2,/^set -Eeuo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown stage '$STAGE' (all-quick, tests, sanitize, bench)" ;;
esac
[[ -d $BIN && -r $BUNDLE/MANIFEST ]] ||
    die "no bundle in $BUNDLE: run scripts/gpu-bundle.sh where weft builds, and carry .gpu-bundle"

# The copy to the GPU machine may not keep the execute bits.
chmod +x "$BIN"/* "$BUNDLE"/perf/*.sh 2>/dev/null || true
mkdir -p "$OUT"
LOG=$OUT/$STAGE.log
SUMMARY=$OUT/$STAGE-summary.txt
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
: >"$LOG"
DEADLINE=$((SECONDS + BUDGET))

# Results, one entry per item, in the order run.
R_NAME=() R_STATUS=() R_SECS=() R_NOTE=() R_LOG=()
record() { R_NAME+=("$1") R_STATUS+=("$2") R_SECS+=("$3") R_NOTE+=("$4") R_LOG+=("${5:-}"); }

# ---- the machine: paths, libraries, GPU ----------------------------------

log() { printf '%s\n' "$*" | tee -a "$LOG"; }

setup_paths() {
    local d
    for d in /usr/local/cuda/bin /usr/local/nvidia/bin; do
        [[ -d $d && :$PATH: != *:$d:* ]] && PATH=$PATH:$d
    done
    export PATH
    PY=$(command -v python3 || true)
    [[ -z $PY && -x /opt/torch/.venv/bin/python3 ]] && PY=/opt/torch/.venv/bin/python3
    NCCL_DIR=${WEFT_NCCL_LIB_DIR:-} NCCL_PIP=""
    if [[ -z $NCCL_DIR && -n $PY ]]; then
        # NCCL's pip package: nvidia/nccl/lib or wherever under nvidia/ it is.
        read -r NCCL_DIR NCCL_PIP < <("$PY" - <<'EOF' 2>/dev/null || true
import os, sys
try:
    import nvidia
except ImportError:
    sys.exit(0)
version = "?"
try:
    from importlib.metadata import version as v
    version = v("nvidia-nccl-cu13")
except Exception:
    pass
for base in list(nvidia.__path__):
    for root, _, files in os.walk(base):
        if "libnccl.so.2" in files:
            print(root, version)
            sys.exit(0)
EOF
        ) || true
    fi
    LD_LIBRARY_PATH=$BUNDLE/lib${NCCL_DIR:+:$NCCL_DIR}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    # libcuda.so.1 comes from the driver; add its folder if the loader would
    # not find it (the static CUDA runtime dlopens it).
    CUDA_LIB=""
    local -a dirs
    IFS=: read -r -a dirs <<<"$LD_LIBRARY_PATH"
    if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
        for d in "${dirs[@]}" /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
                 /usr/lib/x86_64-linux-gnu /usr/lib64; do
            if [[ -e $d/libcuda.so.1 ]]; then
                CUDA_LIB=$d
                [[ :$LD_LIBRARY_PATH: == *:$d:* ]] || LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$d
                break
            fi
        done
    else
        CUDA_LIB=$(ldconfig -p | awk '/libcuda\.so\.1 /{print $NF; exit}')
    fi
    export LD_LIBRARY_PATH
    # No hwloc plugins: the bundle's libhwloc must not load another hwloc's
    # (weft needs none of them: hwloc's own Linux backend reads sysfs).
    mkdir -p "$TMP/no-hwloc-plugins"
    export HWLOC_PLUGINS_PATH=$TMP/no-hwloc-plugins
    SANITIZER=$(command -v compute-sanitizer || true)
}

# Stops at once if this glibc is older than the bundle's binaries need.
check_glibc() {
    local need have
    need=$(sed -n 's/^glibc needed: //p' "$BUNDLE/MANIFEST")
    have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}' || true)
    log "glibc: $have here, $need needed by the bundle"
    if [[ -n $need && -n $have && $(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1) != "$need" ]]; then
        die "glibc $have is older than the $need the bundle was built for: build it on an older distribution"
    fi
}

describe_machine() {
    log "gpu-run $STAGE: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -n), $(nproc) cores, repo $ROOT"
    log "bundle: $(sed -n 2p "$BUNDLE/MANIFEST")"
    GPU_OK=0 GPU_NAME="none"
    if command -v nvidia-smi >/dev/null && nvidia-smi -L >"$TMP/smi" 2>&1 && grep -q '^GPU ' "$TMP/smi"; then
        GPU_OK=1
        GPU_NAME=$(sed -n '1s/^GPU 0: \(.*\) (UUID.*/\1/p' "$TMP/smi")
        tee -a "$LOG" <"$TMP/smi"
        log "driver: $(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1 || true)," \
            "CUDA (driver) $(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -1 || true)"
        nvidia-smi >>"$LOG" 2>&1 || true
    else
        log "nvidia-smi -L: no GPU ($(head -1 "$TMP/smi" 2>/dev/null || echo 'nvidia-smi not found'))"
    fi
    log "nvcc: $(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p' || true)" \
        "$(command -v nvcc || echo '(not found)')"
    log "libcuda.so.1: ${CUDA_LIB:-not found (the binaries will report no driver)}"
    log "NCCL: ${NCCL_DIR:-no pip package found (nccl-perf uses its runpath, if anything)}${NCCL_PIP:+ (nvidia-nccl-cu13 $NCCL_PIP)}"
    log "compute-sanitizer: ${SANITIZER:-not found}"
    log "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    check_glibc
}

# Every bundled binary's libraries resolve (libnccl only for nccl-perf,
# which may lack it): the one check that needs no GPU.
check_libraries() {
    local b missing=""
    for b in "$BIN"/*; do
        missing+=$( (ldd "$b" 2>&1 || true) | awk -v b="${b##*/}" '/not found/{printf " %s:%s", b, $1}')
    done
    if [[ $missing == " nccl-perf:libnccl.so.2" ]]; then
        log "libnccl.so.2 not found: nccl-perf cannot run (WEFT_NCCL_LIB_DIR=...)"
        missing=""
    fi
    if [[ -n $missing ]]; then
        log "libraries not found:$missing"
        record "libraries" FAIL 0 "not found:$missing"
    else
        log "libraries: every bundled binary's resolve (ldd)"
        record "libraries" PASS 0 "ldd: all resolve"
    fi
}

# ---- running one item ----------------------------------------------------

# run_item NAME CAP_S COMMAND...: runs COMMAND (stdin closed) under a timeout
# of CAP_S or what is left of the stage's budget, output to the terminal,
# the stage log and the item's own log; records PASS (0), SKIP (77),
# TIMEOUT (124, or 137 once the cap has passed: killed after the grace) or
# FAIL.
run_item() {
    local name=$1 cap=$2
    shift 2
    local left=$((DEADLINE - SECONDS - 25))
    if ((left < 20)); then
        record "$name" "NOT RUN" 0 "stage budget spent"
        return 0
    fi
    ((cap > left)) && cap=$left
    local item_log=$TMP/item.${#R_NAME[@]}.log start=$SECONDS rc=0
    : >"$item_log"
    log ""
    log "==== $name: $* (timeout ${cap} s)"
    timeout -k 20 "$cap" "$@" </dev/null 2>&1 | tee -a "$LOG" "$item_log" || rc=$?
    local secs=$((SECONDS - start)) last
    last=$(grep -v '^[[:space:]]*$' "$item_log" | tail -1 | sed 's/^[^ ]*: SKIPPED: //' | cut -c1-90 || true)
    local why="exit $rc"
    ((rc > 128)) && why+=" (SIG$(kill -l $((rc - 128)) 2>/dev/null || echo '?'))"
    if ((rc == 124 || (rc == 137 && secs >= cap))); then
        record "$name" TIMEOUT "$secs" "killed after $cap s" "$item_log"
    elif ((rc == 0)); then
        record "$name" PASS "$secs" "$last" "$item_log"
    elif ((rc == 77)); then
        record "$name" SKIP "$secs" "$last" "$item_log"
    else
        record "$name" FAIL "$secs" "$why: $last" "$item_log"
    fi
    log "==== $name: ${R_STATUS[-1]} (exit $rc, $secs s)"
}

skip_item() { record "$1" SKIP 0 "$2"; }

# ---- stages ----------------------------------------------------------------

# selected NAME [GLOB...]: whether NAME matches one of the GLOBs (or none given).
selected() {
    local name=$1 pat
    shift
    (($# == 0)) && return 0
    for pat in "$@"; do
        # shellcheck disable=SC2053 # the pattern is a glob on purpose
        [[ $name == $pat ]] && return 0
    done
    return 1
}

# tests: tests.tsv in three passes: the thread tests, then the process tests
# on the GPU, then the host self-check (it needs no GPU: least news here).
test_pass() {
    case $1 in
        */host) echo 3 ;;
        *test_device_procs*) echo 2 ;;
        *) echo 1 ;;
    esac
}

stage_tests() {
    local cap_all=${WEFT_GPU_TEST_TIMEOUT:-300} pass name bin args envs ctest_cap cap
    local -a argv envv
    for pass in 1 2 3; do
        while IFS=$'\t' read -r -u 3 name bin args envs ctest_cap; do
            [[ $name == \#* || $(test_pass "$name") != "$pass" ]] && continue
            selected "$name" "$@" || continue
            argv=() envv=()
            [[ $args != - ]] && read -r -a argv <<<"$args"
            [[ $envs != - ]] && read -r -a envv <<<"$envs"
            cap=$((ctest_cap < cap_all ? ctest_cap : cap_all))
            run_item "$name" "$cap" env "${envv[@]}" "$BIN/$bin" "${argv[@]}"
        done 3<"$BUNDLE/tests.tsv"
    done
    [[ ${#R_NAME[@]} -gt 1 ]] || die "no test in tests.tsv matches: $*"
}

# sanitize: docs/TESTING.md's list with WEFT_TEST_QUICK=1, memcheck first
# (the most to learn per minute), then initcheck, then racecheck. Errors
# found make compute-sanitizer exit 86 (its default leaves the status alone).
stage_sanitize() {
    local cap=${WEFT_GPU_SANITIZE_TIMEOUT:-150} t
    local -a cs=("$SANITIZER" --error-exitcode 86)
    local -a items=(
        "memcheck/test_cuda_reduce|--tool memcheck --leak-check full|test_cuda_reduce"
        "memcheck/test_device_coll|--tool memcheck|test_device_coll"
        "memcheck/test_device_order|--tool memcheck|test_device_order"
        "memcheck/test_device_errors|--tool memcheck|test_device_errors"
        "memcheck/test_device_procs|--target-processes all --tool memcheck|test_device_procs --nranks 1,3"
        "memcheck/test_device_procs/ipc|--target-processes all --tool memcheck|test_device_procs --nranks 2,3"
        "initcheck/test_cuda_divide|--tool initcheck|test_cuda_divide"
        "racecheck/test_cuda_reduce|--tool racecheck|test_cuda_reduce"
        "racecheck/test_device_coll|--tool racecheck|test_device_coll"
        "racecheck/test_device_order|--tool racecheck|test_device_order"
        "racecheck/test_device_errors|--tool racecheck|test_device_errors"
    )
    local item name tool cmd
    local -a toolv cmdv envv
    for item in "${items[@]}"; do
        IFS='|' read -r name tool cmd <<<"$item"
        selected "$name" "$@" || continue
        if [[ -z $SANITIZER ]]; then skip_item "$name" "compute-sanitizer not found"; continue; fi
        if ((!GPU_OK)); then skip_item "$name" "no GPU (nvidia-smi -L)"; continue; fi
        read -r -a toolv <<<"$tool"
        read -r -a cmdv <<<"$cmd"
        envv=(WEFT_TEST_QUICK=1)
        [[ $name == */ipc ]] && envv+=(WEFT_CUDA_IPC=1)
        t=$cap
        [[ $name == */test_device_procs* ]] && t=$((cap * 2))
        run_item "$name" "$t" env "${envv[@]}" "${cs[@]}" "${toolv[@]}" "$BIN/${cmdv[0]}" "${cmdv[@]:1}"
    done
    [[ ${#R_NAME[@]} -gt 1 ]] || die "no sanitizer run matches: $*"
}

# compare NAME CAP ROUNDS WEFT_NAME WEFT_CMD BASE_NAME BASE_CMD: perf/compare.sh
# (the bundle's copy), Markdown, every run's own table copied to the log.
# The table itself (compare.sh's stdout, after every run) also goes to
# $OUT/bench-tables.md, printed again before the summary.
compare() {
    local name=$1 cap=$2 rounds=$3
    run_item "$name" "$cap" "$BUNDLE/perf/compare.sh" --markdown --verbose --rounds "$rounds" \
        --timeout $((cap / (2 * rounds) + 5)) --weft-name "$4" --weft "$5" --base-name "$6" --base "$7"
    [[ ${R_STATUS[-1]} == PASS ]] || return 0
    {
        printf '### %s\n\n' "$name"
        awk '/, median of [0-9]+ rounds? per size$/ {on = 1} on {print} /^geometric mean over/ {on = 0}' \
            "${R_LOG[-1]}"
        printf '\n'
    } >>"$TABLES"
}

# bench: PERFORMANCE.md's GPU commands, fewer iterations and rounds so that
# the whole stage fits one command (WEFT_GPU_BENCH_* to change).
stage_bench() {
    local iters=${WEFT_GPU_BENCH_ITERS:-10} warm=${WEFT_GPU_BENCH_WARMUP:-3}
    local max=${WEFT_GPU_BENCH_MAX:-1G} rounds=${WEFT_GPU_BENCH_ROUNDS:-1}
    local json=$TMP/json perf=$BIN/weft-perf nccl=$BIN/nccl-perf n nccl_ok=0
    mkdir -p "$json"
    TABLES=$OUT/bench-tables.md
    printf '# weft GPU benchmarks: %s, %s\n\n' "$GPU_NAME" "$(date -u +%Y-%m-%d)" >"$TABLES"
    log "bench: sweeps 8 B..$max with -n $iters -w $warm, $rounds round(s); latency -n 10000 -w 100," \
        "3 rounds (PERFORMANCE.md: -n 20 -w 5, 3 and 5 rounds; fewer here to fit 10 minutes)"
    run_item "kbench 256M float32 x2" 90 "$BIN/weft-kbench" -b 256M -n 2
    run_item "kbench 256M bfloat16 x8" 90 "$BIN/weft-kbench" -b 256M -n 8 -d bfloat16
    local gpu_status=${R_STATUS[-2]} why=${R_NOTE[-2]}
    if [[ -x $nccl ]]; then
        run_item "nccl-perf 1 rank (NCCL version)" 60 "$nccl" allreduce -t 1 -b 8 -e 8
        R_NOTE[-1]=$(grep -o -m1 'NCCL [0-9][0-9.]*[^,;]*' "${R_LOG[-1]}" || echo "${R_NOTE[-1]}")
    else
        skip_item "nccl-perf" "not in the bundle (no NCCL where it was built)"
    fi
    if [[ $gpu_status == SKIP ]]; then
        for n in 2 4; do
            skip_item "latency 8 B, $n ranks: ipc vs staged" "$why"
            skip_item "sweep $n ranks: ipc vs staged" "$why"
        done
        return 0
    fi
    if [[ -x $nccl ]]; then
        # exits 77 where NCCL (< 2.30) cannot put two ranks on one GPU
        run_item "nccl-perf 2 ranks on one GPU" 60 "$nccl" allreduce -t 2 -b 8 -e 8 -n 1 -w 1
        [[ ${R_STATUS[-1]} == PASS ]] && nccl_ok=1
    fi
    for n in 2 4; do
        compare "latency 8 B, $n ranks: ipc vs staged" 120 3 \
            ipc "env WEFT_CUDA_IPC=1 $perf allreduce -m device -t $n -b 8 -e 8 -n 10000 -w 100" \
            staged "$perf allreduce -m device -t $n -b 8 -e 8 -n 10000 -w 100"
    done
    for n in 2 4; do
        compare "sweep $n ranks: ipc vs staged" 200 "$rounds" \
            ipc "env WEFT_CUDA_IPC=1 $perf allreduce -m device -t $n -b 8 -e $max -n $iters -w $warm -J $json/weft-ipc-$n.json" \
            staged "$perf allreduce -m device -t $n -b 8 -e $max -n $iters -w $warm -J $json/weft-staged-$n.json"
    done
    if ((nccl_ok)); then
        for n in 2 4; do
            compare "latency 8 B, $n ranks: ipc vs nccl" 120 3 \
                ipc "env WEFT_CUDA_IPC=1 $perf allreduce -m device -t $n -b 8 -e 8 -n 10000 -w 100" \
                nccl "$nccl allreduce -t $n -b 8 -e 8 -n 10000 -w 100"
            compare "sweep $n ranks: ipc vs nccl" 200 "$rounds" \
                ipc "env WEFT_CUDA_IPC=1 $perf allreduce -m device -t $n -b 8 -e $max -n $iters -w $warm" \
                nccl "$nccl allreduce -t $n -b 8 -e $max -n $iters -w $warm"
        done
    elif [[ -x $nccl ]]; then
        log "NCCL cannot run 2 ranks on one GPU here (needs 2.30+): no NCCL side by side"
    fi
    if compgen -G "$json/*.json" >/dev/null; then
        tar -C "$json" -czf "$OUT/bench-json.tar.gz" .
    fi
}

# all-quick: does the bundle work at all? One item per area, quick counts.
stage_all_quick() {
    export WEFT_TEST_QUICK=1
    run_item "kernels: test_cuda_reduce" 60 "$BIN/test_cuda_reduce"
    run_item "threads: test_device_coll" 60 "$BIN/test_device_coll"
    run_item "processes: test_device_procs --nranks 2" 60 env WEFT_TIMEOUT=60 \
        "$BIN/test_device_procs" --nranks 2
    run_item "ipc: test_device_procs --nranks 2" 60 env WEFT_TIMEOUT=60 \
        WEFT_CUDA_IPC=1 WEFT_CUDA_IPC_BYTES=65536 "$BIN/test_device_procs" --nranks 2
    run_item "weft-kbench 64M" 30 "$BIN/weft-kbench" -b 64M -n 2 -r 5
    run_item "weft-perf device, 2 ranks, 8 B..1 MiB" 30 "$BIN/weft-perf" allreduce -m device \
        -t 2 -b 8 -e 1M -n 5 -w 1
    if [[ -x $BIN/nccl-perf ]]; then
        run_item "nccl-perf 1 rank (NCCL version)" 30 "$BIN/nccl-perf" allreduce -t 1 -b 8 -e 8
    else
        skip_item "nccl-perf" "not in the bundle"
    fi
    if [[ -z $SANITIZER ]]; then
        skip_item "compute-sanitizer memcheck" "compute-sanitizer not found"
    elif ((!GPU_OK)); then
        skip_item "compute-sanitizer memcheck" "no GPU (nvidia-smi -L)"
    else
        run_item "compute-sanitizer memcheck test_cuda_divide" 60 \
            "$SANITIZER" --error-exitcode 86 --tool memcheck "$BIN/test_cuda_divide"
    fi
}

# ---- the summary, printed last ---------------------------------------------

print_failures() {
    local i
    for i in "${!R_NAME[@]}"; do
        [[ ${R_STATUS[i]} == FAIL || ${R_STATUS[i]} == TIMEOUT ]] || continue
        [[ -n ${R_LOG[i]} && -s ${R_LOG[i]} ]] || continue
        printf '\n---- %s: %s, the last lines (all of it in %s) ----\n' \
            "${R_NAME[i]}" "${R_STATUS[i]}" "$LOG"
        tail -n 15 "${R_LOG[i]}" | cut -c1-200
    done
}

print_summary() {
    local i s pass=0 fail=0 skip=0 tout=0 notrun=0 notrun_names=""
    printf '\n==== gpu-run %s: %s, %s; bundle %s ====\n' "$STAGE" "$GPU_NAME" "$(uname -n)" \
        "$(sed -n '2s/^commit \([0-9a-f]*\).*/\1/p' "$BUNDLE/MANIFEST")"
    printf '%-8s %5s  %-44s %s\n' RESULT SECS ITEM NOTE
    for i in "${!R_NAME[@]}"; do
        s=${R_STATUS[i]}
        printf '%-8s %5s  %-44s %s\n' "$s" "${R_SECS[i]}" "${R_NAME[i]}" "${R_NOTE[i]}"
        case $s in
            PASS) pass=$((pass + 1)) ;;
            FAIL) fail=$((fail + 1)) ;;
            SKIP) skip=$((skip + 1)) ;;
            TIMEOUT) tout=$((tout + 1)) ;;
            *) notrun=$((notrun + 1)) notrun_names+=" '${R_NAME[i]}'" ;;
        esac
    done
    printf '%s: %d PASS, %d FAIL, %d TIMEOUT, %d SKIP, %d NOT RUN in %d s; log %s\n' \
        "$STAGE" "$pass" "$fail" "$tout" "$skip" "$notrun" "$SECONDS" "$LOG"
    if ((notrun)) && [[ $STAGE == tests || $STAGE == sanitize ]]; then
        printf 'not run (budget), next call: scripts/gpu-run.sh %s%s\n' "$STAGE" "$notrun_names"
    elif ((notrun)); then
        printf 'not run (budget): WEFT_GPU_BUDGET=%d or fewer items\n' "$BUDGET"
    fi
    if ((fail + tout)); then return 1; fi
    if ((notrun)); then return 3; fi
}

main() {
    setup_paths
    describe_machine
    check_libraries
    case "$STAGE" in
        all-quick) stage_all_quick ;;
        tests) stage_tests "$@" ;;
        sanitize) stage_sanitize "$@" ;;
        bench) stage_bench ;;
    esac
    local rc=0
    if [[ -n ${TABLES:-} && $(wc -l <"$TABLES") -gt 2 ]]; then
        printf '\n' && tee -a "$LOG" <"$TABLES"
    fi
    print_failures | tee -a "$LOG"
    print_summary >"$SUMMARY" || rc=$?
    tee -a "$LOG" <"$SUMMARY"
    # A file over 16 MiB does not come back from the device tool.
    if [[ $(stat -c %s "$LOG") -gt $((15 << 20)) ]]; then gzip -f "$LOG"; fi
    exit "$rc"
}

main "$@"
