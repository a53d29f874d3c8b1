/*
 * weft-perf: the bandwidth and latency benchmark of weft, in the shape of
 * nccl-tests (size, count, type, redop, root, time, algbw, busbw, #wrong)
 * plus the algorithm weft chose for each row.
 *
 *   weft-perf allreduce -t 4 -b 8 -e 64M          4 ranks as threads
 *   weft-perf allreduce -t 2 -m device             GPU buffers, stream-ordered
 *   mpirun -np 4 weft-perf allgather               one rank per process
 *   WEFT_RANK=r WEFT_NRANKS=n WEFT_ROOT=host:port weft-perf reduce
 *   weft-perf --config                             the WEFT_* variables
 *
 * Under a launcher (WEFT_RANK, OpenMPI, Slurm with several tasks, torchrun)
 * each process is one rank and joins through weft_comm_init_env; otherwise
 * -t N ranks run as threads of this process (4 by default).  The harness in
 * perf/bench (shared with mpi-perf and gloo-perf) does the sweep, the
 * timing and the bit-exact check; this file only says how weft runs each
 * collective.
 *
 * -m device (the default where the build has CUDA and a GPU is present) puts
 * the buffers in the rank's GPU memory and runs each collective on a stream
 * of the rank's own (perf/bench/bench_cuda.c): the timed ones are issued
 * back to back and the clock stops when the stream has drained. Ranks share
 * GPU 0 unless there are several, then rank r (as a thread) or local rank r
 * (under a launcher) uses GPU r % ngpus; weft_comm_init_rank binds the
 * communicator to the GPU current when it runs, so the GPU is chosen first.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft.h>

#include "bench.h"
#include "bench_cuda.h"
#include "reduce/reduce.h"

/* The exit status of -m device where there is no GPU: ctest's "skipped". */
#define PERF_EXIT_NO_GPU 77

typedef struct {
    int threads;        /* -t */
    const char *algo;   /* -a */
    int verbose;        /* -v */
    const char *memory; /* -m: "host", "device", or NULL for the default */
    int device;         /* the buffers are device memory */
    int ngpus;          /* with device: how many the ranks spread over */
} perf_opts_t;

typedef struct {
    const bench_opts_t *opts;
    const perf_opts_t *popts;
    weft_comm_t comm;
    int rank, nranks;
    const char *algo; /* of the last measured collective (a static name) */
    int status;
    bench_cuda_t *gpu; /* with -m device: the rank's GPU and stream */
    bench_mem_t mem;
} perf_rank_t;

static int perf_fail(perf_rank_t *p, const char *what, weft_status_t st)
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

static void perf_rank_main(perf_rank_t *p, const char *rank_kind)
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

typedef struct {
    perf_rank_t rank;
    const weft_unique_id_t *id;
} perf_thread_t;

/* -m device: makes the rank's GPU current in this thread, before the
 * communicator binds to it, and gives the rank its stream. */
static int perf_open_gpu(perf_rank_t *p, int local_rank)
{
    if (!p->popts->device)
        return 0;
    if (bench_cuda_open(local_rank % p->popts->ngpus, &p->gpu) != 0)
        return -1;
    bench_cuda_mem(p->gpu, &p->mem);
    return 0;
}

static void *perf_thread(void *arg)
{
    perf_thread_t *t = arg;
    weft_status_t st;
    if (perf_open_gpu(&t->rank, t->rank.rank) != 0) {
        t->rank.status = -1;
        return NULL;
    }
    st = weft_comm_init_rank(t->rank.nranks, t->id, t->rank.rank, &t->rank.comm);
    if (st != WEFT_OK) {
        perf_fail(&t->rank, "weft_comm_init_rank", st);
        t->rank.status = -1;
    } else {
        perf_rank_main(&t->rank, "threads");
        weft_comm_destroy(t->rank.comm);
    }
    bench_cuda_close(t->rank.gpu);
    return NULL;
}

static int perf_threads(const bench_opts_t *opts, const perf_opts_t *popts)
{
    int n = popts->threads;
    weft_unique_id_t id;
    perf_thread_t *ts = calloc((size_t)n, sizeof(*ts));
    pthread_t *tids = calloc((size_t)n, sizeof(*tids));
    weft_status_t st = weft_get_unique_id(&id);
    int status = 0;
    if (ts == NULL || tids == NULL || st != WEFT_OK) {
        fprintf(stderr, "error: weft-perf: cannot start: %s\n", weft_last_error());
        free(ts);
        free(tids);
        return 3;
    }
    for (int r = 0; r < n; r++) {
        ts[r] = (perf_thread_t){{.opts = opts, .popts = popts, .rank = r, .nranks = n}, &id};
        if (pthread_create(&tids[r], NULL, perf_thread, &ts[r]) != 0) {
            fprintf(stderr, "error: weft-perf: cannot start thread %d\n", r);
            exit(3);
        }
    }
    for (int r = 0; r < n; r++) {
        pthread_join(tids[r], NULL);
        if (ts[r].rank.status < 0)
            status = 3;
        else if (ts[r].rank.status > 0 && status == 0)
            status = 1;
    }
    free(ts);
    free(tids);
    return status;
}

static int perf_processes(const bench_opts_t *opts, const perf_opts_t *popts)
{
    perf_rank_t p = {.opts = opts, .popts = popts};
    weft_status_t st;
    if (perf_open_gpu(&p, bench_cuda_local_rank()) != 0)
        return 3;
    st = weft_comm_init_env(&p.comm);
    if (st != WEFT_OK) {
        fprintf(stderr, "error: weft-perf: weft_comm_init_env: %s\n", weft_last_error());
        bench_cuda_close(p.gpu);
        return 3;
    }
    weft_comm_rank(p.comm, &p.rank);
    weft_comm_size(p.comm, &p.nranks);
    perf_rank_main(&p, "processes");
    weft_comm_destroy(p.comm);
    bench_cuda_close(p.gpu);
    return p.status < 0 ? 3 : p.status;
}

static int perf_handle(void *ctx, int opt, const char *arg)
{
    perf_opts_t *po = ctx;
    switch (opt) {
    case 't':
        po->threads = atoi(arg);
        return po->threads >= 1 && po->threads <= 1024 ? 0 : -1;
    case 'a': po->algo = arg; return 0;
    case 'v': po->verbose = 1; return 0;
    case 'm':
        po->memory = arg;
        return strcmp(arg, "host") == 0 || strcmp(arg, "device") == 0 ? 0 : -1;
    default: return -1;
    }
}

/* A launcher that starts one process per rank has set one of these. */
static int perf_launched(void)
{
    const char *slurm = getenv("SLURM_NTASKS");
    return getenv("WEFT_RANK") != NULL || getenv("OMPI_COMM_WORLD_RANK") != NULL ||
           (getenv("RANK") != NULL && getenv("WORLD_SIZE") != NULL) ||
           (slurm != NULL && atoi(slurm) > 1);
}

/* Settles -m: device by default where there is a GPU; -m device without
 * one is an error naming the option. Returns 0 or an exit status. */
static int perf_choose_memory(perf_opts_t *po)
{
    char why[160] = "";
    if (po->memory != NULL && strcmp(po->memory, "host") == 0)
        return 0; /* the runtime is not even asked */
    po->ngpus = bench_cuda_gpus(why, sizeof(why));
    po->device = po->ngpus > 0;
    if (po->device || po->memory == NULL)
        return 0;
    fprintf(stderr, "error: weft-perf: -m device: no GPU to put the buffers on: %s\n", why);
    return PERF_EXIT_NO_GPU;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--config") == 0) {
        weft_config_print(stdout);
        return 0;
    }
    perf_opts_t popts = {.threads = 4};
    bench_extra_opts_t extra = {"t:a:vm:", perf_handle, &popts,
                                "  -t NRANKS    ranks as threads of this process (default 4; "
                                "ignored under a launcher)\n"
                                "  -a ALGO      force an algorithm: ring, rd, rabenseifner, "
                                "tree, chain (sets WEFT_ALGO)\n"
                                "  -v           print the bytes sent within and between nodes\n"
                                "  -m MEMORY    host, or device: buffers in the rank's GPU, "
                                "collectives on a\n"
                                "               stream (default device where the build has "
                                "CUDA and a GPU is\n"
                                "               present; -m device without a GPU exits 77)\n"
                                "  --config     print every WEFT_* variable with its default "
                                "and help\n"};
    int launched = perf_launched();
    bench_opts_t opts;
    int rc = bench_parse_args(argc, argv, "weft-perf", &extra, 1, &opts);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    rc = perf_choose_memory(&popts);
    if (rc != 0)
        return rc;
    /* Before any weft call: the configuration is read once. */
    if (popts.algo != NULL)
        setenv("WEFT_ALGO", popts.algo, 1);
    return launched ? perf_processes(&opts, &popts) : perf_threads(&opts, &popts);
}
