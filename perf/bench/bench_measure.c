/*
 * One row of the sweep measured: the time and the check of one size (see
 * bench.c for the sweep around it and bench.h for the division of labour
 * with the tools).
 *
 * Per size: every rank writes its input, runs -w collectives untimed, meets
 * the others at a barrier, then times -n collectives back to back. The time
 * of the row is the mean per collective, the maximum over the ranks (the
 * slowest rank is when the collective is done), as nccl-tests reports it.
 * Stream-ordered collectives (a tool with sync()) are timed the same way:
 * the -n are issued back to back and the clock stops when sync() says the
 * last one has completed, so the mean is wall time per collective.
 * With -c 1 the input is written again, the output poisoned, one more
 * collective run, and its output compared bit for bit with the expected one;
 * #wrong is the number of mismatched elements summed over the ranks.
 */
#include <stdio.h>
#include <time.h>

#include "bench_internal.h"

static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Warm-up, barrier, -n timed collectives; the mean time in us, max over ranks. */
static int bench_time_row(const bench_opts_t *opts, const bench_comm_t *comm,
                          const bench_size_t *size, const bench_bufs_t *bufs, double *time_us_p)
{
    double start, time_us;

    for (int i = 0; i < opts->warmup; i++)
        if (comm->run(comm->ctx, size, bufs) != 0)
            return -1;
    if (bench_mem_sync(comm) != 0 || comm->barrier(comm->ctx) != 0)
        return -1;
    start = bench_now();
    for (int i = 0; i < opts->iters; i++)
        if (comm->run(comm->ctx, size, bufs) != 0)
            return -1;
    if (bench_mem_sync(comm) != 0)
        return -1;
    time_us = (bench_now() - start) * 1e6 / opts->iters;
    if (comm->max_double(comm->ctx, &time_us) != 0)
        return -1;
    *time_us_p = time_us;
    return 0;
}

/* One more collective on fresh input and poisoned output; wrong elements
 * summed over the ranks.  The output is poisoned before the input is
 * written, since in place the input lies inside it. */
static int bench_check_row(const bench_opts_t *opts, const bench_comm_t *comm,
                           const bench_size_t *size, const bench_memory_t *mem,
                           const bench_bufs_t *bufs, uint64_t *wrong_p)
{
    size_t out_bytes = size->recv_count * bench_type_size(size->type);
    uint64_t wrong;

    if (bench_mem_poison(comm, bufs->result, out_bytes) != 0 ||
        bench_mem_write_input(opts, comm, size, mem, bufs->send) != 0)
        return -1;
    if (comm->barrier(comm->ctx) != 0 || comm->run(comm->ctx, size, bufs) != 0 ||
        bench_mem_sync(comm) != 0)
        return -1;
    if (bench_mem_count_wrong(opts, comm, size, mem, bufs->result, &wrong) != 0)
        return -1;
    if (comm->sum_u64(comm->ctx, &wrong) != 0)
        return -1;
    *wrong_p = wrong;
    return 0;
}

/* Where send and receive buffers start: separate, or in place (the send
 * buffer is the rank's slice of the receive buffer, or the reverse). */
static void bench_place(const bench_opts_t *opts, const bench_size_t *size, int rank,
                        const bench_bufs_t *base, bench_bufs_t *bufs)
{
    size_t elem = bench_type_size(size->type);

    *bufs = *base;
    if (!opts->in_place)
        return;
    if (opts->coll == BENCH_ALLGATHER)
        bufs->send = (char *)base->recv + (size_t)rank * size->send_count * elem;
    else if (opts->coll == BENCH_REDUCESCATTER)
        bufs->recv = (char *)base->send + (size_t)rank * size->recv_count * elem;
    else
        bufs->send = base->recv;
    bufs->result = bufs->recv;
}

int bench_measure_row(const bench_opts_t *opts, const bench_comm_t *comm,
                      const bench_size_t *size, const bench_memory_t *mem, bench_row_t *row_p)
{
    bench_row_t row = {.bytes = size->bytes,
                       .count = size->count,
                       .type = size->type,
                       .op = size->op,
                       .root = opts->coll == BENCH_BROADCAST || opts->coll == BENCH_REDUCE
                                   ? size->root
                                   : -1,
                       .wrong = -1};
    bench_bufs_t bufs;
    uint64_t wrong;

    bench_place(opts, size, comm->rank, &mem->bufs, &bufs);
    if (comm->prepare(comm->ctx, size, &bufs) != 0 ||
        bench_mem_write_input(opts, comm, size, mem, bufs.send) != 0)
        return -1;
    if (bench_time_row(opts, comm, size, &bufs, &row.time_us) != 0)
        return -1;
    if (opts->check) {
        if (bench_check_row(opts, comm, size, mem, &bufs, &wrong) != 0)
            return -1;
        row.wrong = (int64_t)wrong;
    }
    row.algbw = (double)row.bytes / (row.time_us * 1e3);
    row.busbw = row.algbw * bench_busbw_factor(opts->coll, comm->nranks);
    snprintf(row.algo, sizeof(row.algo), "%s", comm->algo != NULL ? comm->algo(comm->ctx) : "");
    *row_p = row;
    return 0;
}
