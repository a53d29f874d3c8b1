/*
 * mpi-perf: weft-perf's benchmark through MPI, the baseline that weft's
 * numbers are set against (see docs/PERFORMANCE.md and perf/compare.sh).
 *
 *   mpirun -np 4 mpi-perf allreduce -b 8 -e 64M
 *   mpirun -np 4 --mca btl tcp,self mpi-perf allgather   (TCP only, as across nodes)
 *
 * One rank per process, on MPI_COMM_WORLD. all-reduce is MPI_Allreduce,
 * all-gather MPI_Allgather and reduce-scatter MPI_Reduce_scatter_block, all
 * out of place; which algorithm runs inside is the MPI library's choice (for
 * OpenMPI, the tuned collective component's decision rules), so the algo
 * column only says "mpi". Every integer and floating type that MPI names is
 * measured; float16 is not, since MPI has no half type (the MPI names of
 * the types and ops are mpi_perf_types.c). The harness (bench.c) does the
 * rest, identically for gloo-perf.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_perf.h"

typedef struct {
    bench_coll_t coll;
    MPI_Comm comm;
} mpi_bench_t;

static int mpi_bench_error(const char *what, int rc)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0, rank = -1;

    MPI_Error_string(rc, text, &len);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    fprintf(stderr, "error: rank %d: %s: %s\n", rank, what, text);
    return -1;
}

static int mpi_bench_prepare(void *ctx, const bench_size_t *size, bench_bufs_t *bufs)
{
    /* MPI counts are ints: 2^31 - 1 elements at most per call. */
    if (size->count > INT_MAX) {
        fprintf(stderr, "error: %zu elements is more than an MPI count holds\n", size->count);
        return -1;
    }
    return 0;
}

static int mpi_bench_run(void *ctx, const bench_size_t *size, const bench_bufs_t *bufs)
{
    mpi_bench_t *m = ctx;
    MPI_Datatype dtype = mpi_bench_dtype(size->type);
    MPI_Op op = mpi_bench_op(size->op);
    int rc, rank;

    switch (m->coll) {
    case BENCH_ALLGATHER:
        rc = MPI_Allgather(bufs->send, (int)size->send_count, dtype, bufs->recv,
                           (int)size->send_count, dtype, m->comm);
        break;
    case BENCH_REDUCESCATTER:
        rc = MPI_Reduce_scatter_block(bufs->send, bufs->recv, (int)size->recv_count, dtype, op,
                                      m->comm);
        break;
    case BENCH_BROADCAST:
        /* MPI broadcasts in one buffer: the root's data is its input. */
        MPI_Comm_rank(m->comm, &rank);
        if (rank == size->root)
            memcpy(bufs->recv, bufs->send, size->count * bench_type_size(size->type));
        rc = MPI_Bcast(bufs->recv, (int)size->count, dtype, size->root, m->comm);
        break;
    case BENCH_REDUCE:
        rc = MPI_Reduce(bufs->send, bufs->recv, (int)size->count, dtype, op, size->root, m->comm);
        break;
    case BENCH_ALLREDUCE:
    default:
        rc = MPI_Allreduce(bufs->send, bufs->recv, (int)size->count, dtype, op, m->comm);
        break;
    }
    return rc == MPI_SUCCESS ? 0 : mpi_bench_error(bench_coll_name(m->coll), rc);
}

static int mpi_bench_barrier(void *ctx)
{
    mpi_bench_t *m = ctx;
    int rc = MPI_Barrier(m->comm);

    return rc == MPI_SUCCESS ? 0 : mpi_bench_error("MPI_Barrier", rc);
}

static int mpi_bench_max_double(void *ctx, double *value)
{
    mpi_bench_t *m = ctx;
    int rc = MPI_Allreduce(MPI_IN_PLACE, value, 1, MPI_DOUBLE, MPI_MAX, m->comm);

    return rc == MPI_SUCCESS ? 0 : mpi_bench_error("MPI_Allreduce (time)", rc);
}

static int mpi_bench_sum_u64(void *ctx, uint64_t *value)
{
    mpi_bench_t *m = ctx;
    int rc = MPI_Allreduce(MPI_IN_PLACE, value, 1, MPI_UINT64_T, MPI_SUM, m->comm);

    return rc == MPI_SUCCESS ? 0 : mpi_bench_error("MPI_Allreduce (#wrong)", rc);
}

/* MPI has no float16/bfloat16 type, no average op; sendrecv and in-place
 * runs are not measured through it. */
static int mpi_bench_supports(void *ctx, bench_coll_t coll, bench_type_t type, bench_op_t op,
                              int in_place)
{
    return coll != BENCH_SENDRECV && !in_place && op != BENCH_AVG &&
           mpi_bench_dtype(type) != MPI_DATATYPE_NULL;
}

static int mpi_bench_main(const bench_opts_t *opts)
{
    mpi_bench_t m = {.coll = opts->coll, .comm = MPI_COMM_WORLD};
    bench_comm_t comm = {.ctx = &m,
                         .prepare = mpi_bench_prepare,
                         .run = mpi_bench_run,
                         .barrier = mpi_bench_barrier,
                         .max_double = mpi_bench_max_double,
                         .sum_u64 = mpi_bench_sum_u64,
                         .algo = NULL,
                         .supports = mpi_bench_supports};
    bench_label_t label = {.tool = "mpi-perf", .rank_kind = "processes", .algo = "mpi"};
    int version, subversion;
    char library[MPI_MAX_LIBRARY_VERSION_STRING];
    char note[MPI_MAX_LIBRARY_VERSION_STRING + 64];
    int len;

    MPI_Comm_rank(m.comm, &comm.rank);
    MPI_Comm_size(m.comm, &comm.nranks);
    /* The first line of the library's own description ("Open MPI v4.1.4, ..."). */
    MPI_Get_version(&version, &subversion);
    MPI_Get_library_version(library, &len);
    library[strcspn(library, ",\n")] = '\0';
    snprintf(note, sizeof(note), "mpi-perf: %s (MPI %d.%d)", library, version, subversion);
    label.note = note;

    switch (bench_run(opts, &comm, &label)) {
    case 0:
        return 0;
    case 1:
        return 1;
    default:
        return 3;
    }
}

int main(int argc, char **argv)
{
    bench_opts_t opts;
    int rc, rank = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    /* Every rank parses (they all need the options); only rank 0 talks. */
    rc = bench_parse_args(argc, argv, "mpi-perf", NULL, rank == 0, &opts);
    if (rc == 0)
        rc = mpi_bench_main(&opts);
    else
        rc = rc > 0 ? 0 : 2;
    /* A rank that failed alone would leave the others waiting in a
     * collective; MPI's default error handler aborts on MPI errors, this
     * covers ours (a failed allocation). */
    if (rc == 3)
        MPI_Abort(MPI_COMM_WORLD, rc);
    MPI_Finalize();
    return rc;
}
