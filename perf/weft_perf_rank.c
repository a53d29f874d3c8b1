/*
 * One rank of weft-perf: the bench_comm_t through which the harness
 * (perf/bench) runs weft's collectives, meets the other ranks and combines
 * the times and the #wrong counts, and the rank's run of the harness with
 * its header note (weft's version, the reduction kernels, WEFT_ALGO, the
 * GPU).
 *
 * With -m device the collectives are stream-ordered: perf_run queues each
 * on the rank's stream and returns, and perf_sync, which the harness calls
 * before it reads the clock or the output, drains the stream and asks the
 * communicator whether a collective failed after it returned. The algo
 * column is weft_comm_last_algo's name, kept as a pointer since perf_run is
 * inside the timed loop.
 */
#include <stdio.h>
#include <string.h>

#include "weft_perf.h"
#include "reduce/reduce.h"

int perf_fail(perf_rank_t *p, const char *what, weft_status_t st)
{
    fprintf(stderr, "error: weft-perf rank %d: %s: %s: %s\n", p->rank, what,
            weft_status_string(st), weft_last_error());
    return -1;
}

static int perf_prepare(void *ctx, const bench_size_t *size, bench_bufs_t *bufs)
{
    return 0;
}

/* The stream of a device collective; NULL, the host path, otherwise. */
static weft_stream_t perf_stream(const perf_rank_t *p)
{
    return p->gpu != NULL ? bench_cuda_stream(p->gpu) : NULL;
}

static weft_status_t perf_sendrecv(perf_rank_t *p, const bench_size_t *size,
                                   const bench_bufs_t *bufs)
{
    weft_datatype_t dt = (weft_datatype_t)size->type;
    weft_stream_t stream = perf_stream(p);
    if (p->nranks == 1) {
        size_t bytes = size->count * weft__dtype_size(dt);
        if (p->gpu == NULL)
            memcpy(bufs->recv, bufs->send, bytes);
        else if (bench_cuda_copy(p->gpu, bufs->recv, bufs->send, bytes) != 0)
            return WEFT_ERR_CUDA;
        return WEFT_OK;
    }
    weft_group_start();
    weft_send(bufs->send, size->count, dt, (p->rank + 1) % p->nranks, p->comm, stream);
    weft_recv(bufs->recv, size->count, dt, (p->rank + p->nranks - 1) % p->nranks, p->comm, stream);
    return weft_group_end();
}

static int perf_run(void *ctx, const bench_size_t *size, const bench_bufs_t *bufs)
{
    perf_rank_t *p = ctx;
    weft_datatype_t dt = (weft_datatype_t)size->type;
    weft_op_t op = (weft_op_t)size->op;
    weft_stream_t s = perf_stream(p);
    weft_status_t st;
    switch (p->opts->coll) {
    case BENCH_ALLGATHER:
        st = weft_allgather(bufs->send, bufs->recv, size->send_count, dt, p->comm, s);
        break;
    case BENCH_REDUCESCATTER:
        st = weft_reduce_scatter(bufs->send, bufs->recv, size->recv_count, dt, op, p->comm, s);
        break;
    case BENCH_BROADCAST:
        st = weft_broadcast(bufs->send, bufs->recv, size->count, dt, size->root, p->comm, s);
        break;
    case BENCH_REDUCE:
        st = weft_reduce(bufs->send, bufs->recv, size->count, dt, op, size->root, p->comm, s);
        break;
    case BENCH_SENDRECV: st = perf_sendrecv(p, size, bufs); break;
    default: st = weft_allreduce(bufs->send, bufs->recv, size->count, dt, op, p->comm, s); break;
    }
    if (st != WEFT_OK)
        return perf_fail(p, bench_coll_name(p->opts->coll), st);
    /* A pointer, not a copy: this runs inside the timed loop. */
    p->algo = p->opts->coll == BENCH_SENDRECV ? "direct" : weft_comm_last_algo(p->comm);
    return 0;
}

/* -m device: the stream drained, and no collective on it failed after it
 * returned. */
static int perf_sync(void *ctx)
{
    perf_rank_t *p = ctx;
    weft_status_t async = WEFT_OK, st;
    if (bench_cuda_sync(p->gpu) != 0)
        return -1;
    st = weft_comm_get_async_error(p->comm, &async);
    if (st != WEFT_OK)
        return perf_fail(p, "weft_comm_get_async_error", st);
    return async == WEFT_OK ? 0 : perf_fail(p, "a stream-ordered collective", async);
}

static int perf_barrier(void *ctx)
{
    perf_rank_t *p = ctx;
    weft_status_t st = weft_barrier(p->comm);
    return st == WEFT_OK ? 0 : perf_fail(p, "barrier", st);
}

static int perf_max_double(void *ctx, double *value)
{
    perf_rank_t *p = ctx;
    weft_status_t st = weft_allreduce(value, value, 1, WEFT_FLOAT64, WEFT_MAX, p->comm, NULL);
    return st == WEFT_OK ? 0 : perf_fail(p, "allreduce of the times", st);
}

static int perf_sum_u64(void *ctx, uint64_t *value)
{
    perf_rank_t *p = ctx;
    weft_status_t st = weft_allreduce(value, value, 1, WEFT_UINT64, WEFT_SUM, p->comm, NULL);
    return st == WEFT_OK ? 0 : perf_fail(p, "allreduce of #wrong", st);
}

static const char *perf_algo(void *ctx)
{
    const char *algo = ((perf_rank_t *)ctx)->algo;
    return algo != NULL ? algo : "";
}

/* weft runs everything; sendrecv is out of place by nature. */
static int perf_supports(void *ctx, bench_coll_t coll, bench_type_t type, bench_op_t op,
                         int in_place)
{
    return !(coll == BENCH_SENDRECV && in_place);
}

/* -v: bytes moved through shared memory and through sockets, summed over
 * the ranks, so that what crossed between nodes is measured. */
static void perf_report_counters(perf_rank_t *p)
{
    weft_comm_counters_t c;
    if (weft_comm_get_counters(p->comm, &c) != WEFT_OK)
        return;
    uint64_t v[4] = {c.intra_sent, c.intra_recv, c.inter_sent, c.inter_recv};
    if (weft_allreduce(v, v, 4, WEFT_UINT64, WEFT_SUM, p->comm, NULL) != WEFT_OK)
        return;
    if (p->rank == 0)
        printf("# bytes over all ranks: intra-node sent %llu recv %llu, inter-node sent %llu "
               "recv %llu\n",
               (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
               (unsigned long long)v[3]);
}

void perf_rank_main(perf_rank_t *p, const char *rank_kind)
{
    bench_comm_t comm = {.rank = p->rank,
                         .nranks = p->nranks,
                         .ctx = p,
                         .prepare = perf_prepare,
                         .run = perf_run,
                         .barrier = perf_barrier,
                         .max_double = perf_max_double,
                         .sum_u64 = perf_sum_u64,
                         .algo = perf_algo,
                         .supports = perf_supports,
                         .mem = p->gpu != NULL ? &p->mem : NULL,
                         .sync = p->gpu != NULL ? perf_sync : NULL};
    char note[400], gpu[320] = "";
    int version = 0;
    weft_get_version(&version);
    if (p->gpu != NULL)
        snprintf(gpu, sizeof(gpu), ", device memory on GPU %d of %d: %s",
                 bench_cuda_device(p->gpu), p->popts->ngpus, bench_cuda_name(p->gpu));
    snprintf(note, sizeof(note), "weft-perf: weft %d.%d.%d, reduction kernels %s%s%s%s",
             version / 10000, version / 100 % 100, version % 100, weft__reduce_isa(),
             p->popts->algo ? ", WEFT_ALGO=" : "", p->popts->algo ? p->popts->algo : "", gpu);
    bench_label_t label = {.tool = "weft-perf", .rank_kind = rank_kind, .algo = "?", .note = note};
    p->status = bench_run(p->opts, &comm, &label);
    if (p->popts->verbose && p->status >= 0)
        perf_report_counters(p);
}
