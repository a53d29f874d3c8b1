/*
 * nccl-perf: weft-perf -m device's benchmark through NCCL, the baseline that
 * weft's device-buffer figures are set against (perf/compare.sh).
 *
 *   nccl-perf allreduce -t 2 -b 8 -e 1G          2 ranks, as threads
 *
 * Ranks are threads of this process (-t, by default one per GPU); their
 * communicators come from one ncclCommInitAll, and rank r drives GPU
 * r % ngpus, as weft-perf's threads do. Buffers are cudaMalloc'ed, each
 * rank runs its collectives on its own stream, and the harness times them
 * as it times weft-perf -m device: -n collectives issued back to back, the
 * clock stopped when the stream has drained (perf/bench). The data, the
 * bit-exact check and the output are the harness's too.
 *
 * Several ranks on one GPU need NCCL 2.30 or later with
 * NCCL_MULTI_RANK_GPU_ENABLE=1 (older versions refuse a duplicate GPU);
 * nccl-perf sets the variable where it is unset, and with an older NCCL it
 * says so and exits 77 (skipped), as it does where there is no GPU.
 *
 * NCCL runs every collective, type and op of the harness, except average of
 * floating types: NCCL scales each input by 1/n before it sums, which rounds
 * differently from the exact sum divided once that the check expects.
 *
 * This file reads the command line, finds NCCL's version and the GPUs, and
 * decides whether the run can go ahead; nccl_perf_team.c starts the ranks
 * and nccl_perf_rank.c runs each rank's collectives for the harness.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nccl_perf.h"

#define NCCL_PERF_EXIT_SKIP 77

/* "2.28.9" from ncclGetVersion's code (X*1000+Y*100+Z up to 2.8, then
 * X*10000+Y*100+Z), and the code in the second form, for comparisons. */
static int nccl_version(char *text, size_t len)
{
    int code = 0, major, minor, patch;
    ncclGetVersion(&code);
    if (code < 10000) {
        major = code / 1000, minor = code / 100 % 10, patch = code % 100;
    } else {
        major = code / 10000, minor = code / 100 % 100, patch = code % 100;
    }
    snprintf(text, len, "%d.%d.%d", major, minor, patch);
    return major * 10000 + minor * 100 + patch;
}

/* Several ranks on one GPU: NCCL 2.30 and NCCL_MULTI_RANK_GPU_ENABLE=1, or
 * the run is skipped. Returns 0 or the exit status. */
static int nccl_check_sharing(int nranks, int ngpus, const char *version, int code)
{
    const char *enable;
    if (nranks <= ngpus)
        return 0;
    if (code < 23000) {
        printf("nccl-perf: SKIPPED: NCCL %s cannot put %d ranks on %d GPU%s; several ranks on one "
               "GPU need NCCL 2.30 or later with NCCL_MULTI_RANK_GPU_ENABLE=1\n",
               version, nranks, ngpus, ngpus == 1 ? "" : "s");
        return NCCL_PERF_EXIT_SKIP;
    }
    setenv("NCCL_MULTI_RANK_GPU_ENABLE", "1", 0); /* where the user left it unset */
    enable = getenv("NCCL_MULTI_RANK_GPU_ENABLE");
    if (strcmp(enable, "1") != 0) {
        printf("nccl-perf: SKIPPED: %d ranks on %d GPU%s need NCCL_MULTI_RANK_GPU_ENABLE=1 (it "
               "is %s)\n",
               nranks, ngpus, ngpus == 1 ? "" : "s", enable);
        return NCCL_PERF_EXIT_SKIP;
    }
    return 0;
}

static int nccl_handle(void *ctx, int opt, const char *arg)
{
    int *threads = ctx;
    *threads = atoi(arg);
    return opt == 't' && *threads >= 1 && *threads <= 1024 ? 0 : -1;
}

int main(int argc, char **argv)
{
    int threads = 0, ngpus, code, rc;
    char why[160] = "", version[32], note[200];
    bench_extra_opts_t extra = {"t:", nccl_handle, &threads,
                                "  -t NRANKS    ranks as threads of this process (default: one "
                                "per GPU);\n"
                                "               more ranks than GPUs need NCCL 2.30 or later\n"};
    bench_opts_t opts;

    rc = bench_parse_args(argc, argv, "nccl-perf", &extra, 1, &opts);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    code = nccl_version(version, sizeof(version));
    ngpus = bench_cuda_gpus(why, sizeof(why));
    if (ngpus == 0) {
        printf("nccl-perf: SKIPPED: NCCL %s, no GPU: %s\n", version, why);
        return NCCL_PERF_EXIT_SKIP;
    }
    if (threads == 0)
        threads = ngpus;
    rc = nccl_check_sharing(threads, ngpus, version, code);
    if (rc != 0)
        return rc;
    snprintf(note, sizeof(note),
             "nccl-perf: NCCL %s, %d rank%s on %d GPU%s (rank r on GPU r %% %d)%s", version,
             threads, threads == 1 ? "" : "s", ngpus, ngpus == 1 ? "" : "s", ngpus,
             threads > ngpus ? ", NCCL_MULTI_RANK_GPU_ENABLE=1" : "");
    return nccl_team_run(&opts, threads, ngpus, note);
}
