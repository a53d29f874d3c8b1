/*
 * One rank of nccl-perf: the bench_comm_t through which the harness
 * (perf/bench) runs NCCL's collectives, and the rank's thread.
 *
 * The collectives are queued on the rank's stream (stream-ordered); the
 * harness calls nccl_sync before it reads the clock or the output, which
 * drains the stream and asks NCCL whether the communicator saw an error.
 * The ranks are threads of one process, so meeting (barrier) and combining
 * the times and the #wrong counts need no NCCL call: they go through the
 * team's pthread barrier and one slot per rank.
 */
#include <stdio.h>

#include "nccl_perf.h"

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

void *nccl_rank_thread(void *arg)
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
