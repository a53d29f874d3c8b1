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
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nccl.h>

#include "bench.h"
#include "bench_cuda.h"

#define NCCL_PERF_EXIT_SKIP 77

/* What the ranks share: the means to meet and to combine two numbers. */
typedef struct {
    int nranks;
    pthread_barrier_t barrier;
    double *doubles;  /* one slot per rank */
    uint64_t *counts; /* one slot per rank */
} nccl_team_t;

typedef struct {
    const bench_opts_t *opts;
    nccl_team_t *team;
    ncclComm_t comm;
    int rank, device, status;
    const char *note;
    bench_cuda_t *gpu;
    bench_mem_t mem;
} nccl_rank_t;

static const ncclDataType_t nccl_types[BENCH_NUM_TYPES] = {
    [BENCH_INT8] = ncclInt8,       [BENCH_UINT8] = ncclUint8,       [BENCH_INT32] = ncclInt32,
    [BENCH_UINT32] = ncclUint32,   [BENCH_INT64] = ncclInt64,       [BENCH_UINT64] = ncclUint64,
    [BENCH_FLOAT16] = ncclFloat16, [BENCH_BFLOAT16] = ncclBfloat16, [BENCH_FLOAT32] = ncclFloat32,
    [BENCH_FLOAT64] = ncclFloat64,
};

static const ncclRedOp_t nccl_ops[BENCH_NUM_OPS] = {[BENCH_SUM] = ncclSum,
                                                    [BENCH_PROD] = ncclProd,
                                                    [BENCH_MIN] = ncclMin,
                                                    [BENCH_MAX] = ncclMax,
                                                    [BENCH_AVG] = ncclAvg};

static int nccl_fail(const nccl_rank_t *n, const char *what, ncclResult_t rc)
{
    fprintf(stderr, "error: nccl-perf rank %d: %s: %s (%s)\n", n->rank, what,
            ncclGetErrorString(rc), ncclGetLastError(n->comm));
    return -1;
}

static int nccl_prepare(void *ctx, const bench_size_t *size, bench_bufs_t *bufs)
{
    return 0;
}

static ncclResult_t nccl_sendrecv(nccl_rank_t *n, const bench_size_t *size,
                                  const bench_bufs_t *bufs, ncclDataType_t dt, cudaStream_t s)
{
    int nranks = n->team->nranks;
    ncclGroupStart();
    ncclSend(bufs->send, size->count, dt, (n->rank + 1) % nranks, n->comm, s);
    ncclRecv(bufs->recv, size->count, dt, (n->rank + nranks - 1) % nranks, n->comm, s);
    return ncclGroupEnd();
}

static int nccl_run(void *ctx, const bench_size_t *size, const bench_bufs_t *bufs)
{
    nccl_rank_t *n = ctx;
    ncclDataType_t dt = nccl_types[size->type];
    ncclRedOp_t op = nccl_ops[size->op];
    cudaStream_t s = (cudaStream_t)bench_cuda_stream(n->gpu);
    ncclResult_t rc;
    switch (n->opts->coll) {
    case BENCH_ALLGATHER:
        rc = ncclAllGather(bufs->send, bufs->recv, size->send_count, dt, n->comm, s);
        break;
    case BENCH_REDUCESCATTER:
        rc = ncclReduceScatter(bufs->send, bufs->recv, size->recv_count, dt, op, n->comm, s);
        break;
    case BENCH_BROADCAST:
        rc = ncclBroadcast(bufs->send, bufs->recv, size->count, dt, size->root, n->comm, s);
        break;
    case BENCH_REDUCE:
        rc = ncclReduce(bufs->send, bufs->recv, size->count, dt, op, size->root, n->comm, s);
        break;
    case BENCH_SENDRECV:
        rc = nccl_sendrecv(n, size, bufs, dt, s);
        break;
    default:
        rc = ncclAllReduce(bufs->send, bufs->recv, size->count, dt, op, n->comm, s);
        break;
    }
    return rc == ncclSuccess ? 0 : nccl_fail(n, bench_coll_name(n->opts->coll), rc);
}

/* The stream drained, and NCCL saw no error on the communicator. */
static int nccl_sync(void *ctx)
{
    nccl_rank_t *n = ctx;
    ncclResult_t async = ncclSuccess, rc;
    if (bench_cuda_sync(n->gpu) != 0)
        return -1;
    rc = ncclCommGetAsyncError(n->comm, &async);
    if (rc != ncclSuccess)
        return nccl_fail(n, "ncclCommGetAsyncError", rc);
    return async == ncclSuccess ? 0 : nccl_fail(n, "a collective on the stream", async);
}

static int nccl_barrier(void *ctx)
{
    nccl_rank_t *n = ctx;
    pthread_barrier_wait(&n->team->barrier);
    return 0;
}

/* Every rank posts its value, all read all, and the second barrier keeps a
 * fast rank's next post from overwriting a slot still being read. */
static int nccl_max_double(void *ctx, double *value)
{
    nccl_rank_t *n = ctx;
    nccl_team_t *t = n->team;
    t->doubles[n->rank] = *value;
    pthread_barrier_wait(&t->barrier);
    for (int r = 0; r < t->nranks; r++)
        *value = t->doubles[r] > *value ? t->doubles[r] : *value;
    pthread_barrier_wait(&t->barrier);
    return 0;
}

static int nccl_sum_u64(void *ctx, uint64_t *value)
{
    nccl_rank_t *n = ctx;
    nccl_team_t *t = n->team;
    uint64_t sum = 0;
    t->counts[n->rank] = *value;
    pthread_barrier_wait(&t->barrier);
    for (int r = 0; r < t->nranks; r++)
        sum += t->counts[r];
    pthread_barrier_wait(&t->barrier);
    *value = sum;
    return 0;
}

static int nccl_supports(void *ctx, bench_coll_t coll, bench_type_t type, bench_op_t op,
                         int in_place)
{
    int floating = type == BENCH_FLOAT16 || type == BENCH_BFLOAT16 || type == BENCH_FLOAT32 ||
                   type == BENCH_FLOAT64;
    if (coll == BENCH_SENDRECV && in_place)
        return 0;
    return !(op == BENCH_AVG && floating);
}

static void *nccl_rank_thread(void *arg)
{
    nccl_rank_t *n = arg;
    bench_comm_t comm = {.rank = n->rank,
                         .nranks = n->team->nranks,
                         .ctx = n,
                         .prepare = nccl_prepare,
                         .run = nccl_run,
                         .barrier = nccl_barrier,
                         .max_double = nccl_max_double,
                         .sum_u64 = nccl_sum_u64,
                         .supports = nccl_supports,
                         .mem = &n->mem,
                         .sync = nccl_sync};
    bench_label_t label = {.tool = "nccl-perf", .rank_kind = "threads", .algo = "nccl"};
    char note[480];
    if (bench_cuda_open(n->device, &n->gpu) != 0) {
        n->status = -1;
        return NULL;
    }
    bench_cuda_mem(n->gpu, &n->mem);
    snprintf(note, sizeof(note), "%s, device memory on GPU %d: %s", n->note, n->device,
             bench_cuda_name(n->gpu));
    label.note = note;
    n->status = bench_run(n->opts, &comm, &label);
    bench_cuda_close(n->gpu);
    return NULL;
}

/* --- setup ----------------------------------------------------------------- */

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

/* Starts one thread per rank over communicators made by ncclCommInitAll. */
static int nccl_run_ranks(const bench_opts_t *opts, nccl_team_t *team, int ngpus, const char *note)
{
    int n = team->nranks, status = 0;
    ncclComm_t *comms = calloc((size_t)n, sizeof(*comms));
    int *devices = calloc((size_t)n, sizeof(*devices));
    nccl_rank_t *ranks = calloc((size_t)n, sizeof(*ranks));
    pthread_t *tids = calloc((size_t)n, sizeof(*tids));
    ncclResult_t rc;

    if (comms == NULL || devices == NULL || ranks == NULL || tids == NULL) {
        fprintf(stderr, "error: nccl-perf: out of memory\n");
        status = 3;
        goto out_free;
    }
    for (int r = 0; r < n; r++)
        devices[r] = r % ngpus;
    rc = ncclCommInitAll(comms, n, devices);
    if (rc != ncclSuccess) {
        fprintf(stderr, "error: nccl-perf: ncclCommInitAll of %d ranks on %d GPU%s: %s (%s)\n", n,
                ngpus, ngpus == 1 ? "" : "s", ncclGetErrorString(rc), ncclGetLastError(NULL));
        status = 3;
        goto out_free;
    }
    for (int r = 0; r < n; r++) {
        ranks[r] = (nccl_rank_t){.opts = opts,
                                 .team = team,
                                 .comm = comms[r],
                                 .rank = r,
                                 .device = devices[r],
                                 .note = note};
        if (pthread_create(&tids[r], NULL, nccl_rank_thread, &ranks[r]) != 0) {
            fprintf(stderr, "error: nccl-perf: cannot start thread %d\n", r);
            exit(3); /* the started ranks would wait for this one forever */
        }
    }
    for (int r = 0; r < n; r++) {
        pthread_join(tids[r], NULL);
        if (ranks[r].status < 0)
            status = 3;
        else if (ranks[r].status > 0 && status == 0)
            status = 1;
        ncclCommDestroy(comms[r]);
    }

out_free:
    free(tids);
    free(ranks);
    free(devices);
    free(comms);
    return status;
}

static int nccl_handle(void *ctx, int opt, const char *arg)
{
    int *threads = ctx;
    *threads = atoi(arg);
    return opt == 't' && *threads >= 1 && *threads <= 1024 ? 0 : -1;
}

/* The team's barrier and slots around the run. */
static int nccl_team_run(const bench_opts_t *opts, int nranks, int ngpus, const char *note)
{
    nccl_team_t team = {.nranks = nranks};
    int status = 3;

    team.doubles = calloc((size_t)nranks, sizeof(*team.doubles));
    team.counts = calloc((size_t)nranks, sizeof(*team.counts));
    if (team.doubles != NULL && team.counts != NULL &&
        pthread_barrier_init(&team.barrier, NULL, (unsigned)nranks) == 0) {
        status = nccl_run_ranks(opts, &team, ngpus, note);
        pthread_barrier_destroy(&team.barrier);
    } else {
        fprintf(stderr, "error: nccl-perf: cannot set up %d ranks\n", nranks);
    }
    free(team.counts);
    free(team.doubles);
    return status;
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
