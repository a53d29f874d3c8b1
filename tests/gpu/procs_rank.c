/*
 * procs_rank.c - one rank process of test_device_procs (procs_rank.h).
 *
 * The rank binds to GPU rank % count, joins with weft_comm_init_rank and
 * runs every collective x datatype x op (AVG included) x count {0, 1, 7,
 * 1000, 65537} (WEFT_TEST_QUICK=1 leaves out the last) x out of place and
 * in place, roots rotating, on device buffers.  Each case is
 * stream-ordered on the rank's one non-blocking stream, with no
 * synchronisation in between: the buffers' images (input, poison,
 * guards) are copied in, the collective is called, the buffers are
 * copied back; then the stream is synchronised and every byte read back
 * is compared with what procs_case.c computed on the host.  The host
 * images are pinned, so that the copies are as asynchronous as the
 * collective.  The first call is a one-element all-reduce that does real
 * work (a no-op as a communicator's first call is mr_edge's subject).
 *
 * on_host runs the same cases on host buffers with no CUDA call at all
 * (memcpy for the copies, stream NULL): the test checking itself -- its
 * layouts, NULLs, expected bytes -- against the host path, which the
 * multirank suite checks, so that it can run where there is no GPU.
 */
#include "procs_rank.h"
#include "gpu_test.h"
#include "procs_case.h"
#include "multirank/mr_data.h"

#include <cuda_runtime_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COUNT 65537
#define MAX_PRINTED 20

typedef struct {
    int rank, n, ndev, device;
    int on_host;    /* the test's self-check: host buffers, no CUDA call */
    char where[32]; /* "GPU 1", or "host buffers" */
    weft_comm_t comm;
    cudaStream_t stream;
    unsigned char *dev[2];             /* the areas, on the GPU */
    unsigned char *before[2], *got[2]; /* pinned: copied to and from dev */
    unsigned char *after[2];
    int failures, printed;
} rank_t;

/* One line on stderr in one write, so that the ranks' lines do not mix. */
static void say(const rank_t *rk, const char *kind, const char *fmt, va_list ap)
{
    char line[1024];
    int k = snprintf(line, sizeof(line), "%s [n=%d rank %d] ", kind, rk->n, rk->rank);
    vsnprintf(line + k, sizeof(line) - (size_t)k - 1, fmt, ap);
    size_t len = strlen(line);
    line[len++] = '\n';
    if (write(STDERR_FILENO, line, len) < 0)
        return;
}

static void fail(rank_t *rk, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(rank_t *rk, const char *fmt, ...)
{
    if (rk->printed++ >= MAX_PRINTED)
        return;
    va_list ap;
    va_start(ap, fmt);
    say(rk, "FAIL", fmt, ap);
    va_end(ap);
}

static void fatal(rank_t *rk, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void fatal(rank_t *rk, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(rk, "FATAL", fmt, ap);
    va_end(ap);
    fflush(NULL);
    _exit(code);
}

static void cuda_ok(rank_t *rk, cudaError_t err, const char *what)
{
    if (err != cudaSuccess)
        fatal(rk, PROCS_RANK_FAILED, "%s: %s (%s)", what, cudaGetErrorName(err),
              cudaGetErrorString(err));
}

/* Memory of the three kinds a rank uses; on_host, all of it is malloc's. */
typedef enum { MEM_DEVICE, MEM_PINNED, MEM_PLAIN } mem_t;

static unsigned char *mem_alloc(rank_t *rk, mem_t kind, size_t bytes)
{
    void *p = NULL;
    if (kind == MEM_DEVICE && !rk->on_host)
        cuda_ok(rk, cudaMalloc(&p, bytes), "cudaMalloc");
    else if (kind == MEM_PINNED && !rk->on_host)
        cuda_ok(rk, cudaMallocHost(&p, bytes), "cudaMallocHost");
    else if ((p = malloc(bytes)) == NULL)
        fatal(rk, PROCS_RANK_SETUP, "out of host memory (%zu bytes)", bytes);
    return p;
}

static void mem_free(rank_t *rk, mem_t kind, void *p)
{
    if (kind == MEM_DEVICE && !rk->on_host)
        cuda_ok(rk, cudaFree(p), "cudaFree");
    else if (kind == MEM_PINNED && !rk->on_host)
        cuda_ok(rk, cudaFreeHost(p), "cudaFreeHost");
    else
        free(p);
}

/* Queued on the rank's stream (on_host: done at once). */
static void copy(rank_t *rk, void *dst, const void *src, size_t bytes, enum cudaMemcpyKind kind)
{
    if (rk->on_host)
        memcpy(dst, src, bytes);
    else
        cuda_ok(rk, cudaMemcpyAsync(dst, src, bytes, kind, rk->stream),
                kind == cudaMemcpyHostToDevice ? "copying a case's buffers to the GPU"
                                               : "copying a case's buffers back");
}

static void setup(rank_t *rk, const weft_unique_id_t *id)
{
    if (!rk->on_host) {
        cuda_ok(rk, cudaGetDeviceCount(&rk->ndev), "cudaGetDeviceCount");
        if (rk->ndev <= 0)
            fatal(rk, PROCS_RANK_SETUP, "no GPU, though the probe found one");
        rk->device = rk->rank % rk->ndev;
        cuda_ok(rk, cudaSetDevice(rk->device), "cudaSetDevice (before weft_comm_init_rank)");
    }
    snprintf(rk->where, sizeof(rk->where), rk->on_host ? "host buffers" : "GPU %d", rk->device);
    weft_status_t st = weft_comm_init_rank(rk->n, id, rk->rank, &rk->comm);
    if (st != WEFT_OK)
        fatal(rk, PROCS_RANK_SETUP, "weft_comm_init_rank (%s): %s: %s", rk->where,
              weft_status_string(st), weft_last_error());
    if (!rk->on_host)
        cuda_ok(rk, cudaStreamCreateWithFlags(&rk->stream, cudaStreamNonBlocking),
                "cudaStreamCreateWithFlags");
    size_t cap = pc_area_bytes(rk->n, MAX_COUNT);
    for (int i = 0; i < 2; i++) {
        rk->dev[i] = mem_alloc(rk, MEM_DEVICE, cap);
        rk->before[i] = mem_alloc(rk, MEM_PINNED, cap);
        rk->got[i] = mem_alloc(rk, MEM_PINNED, cap);
        rk->after[i] = mem_alloc(rk, MEM_PLAIN, cap);
    }
}

static void teardown(rank_t *rk)
{
    if (!rk->on_host)
        cuda_ok(rk, cudaStreamSynchronize(rk->stream), "cudaStreamSynchronize");
    weft_status_t st = weft_comm_destroy(rk->comm);
    if (st != WEFT_OK) {
        rk->failures++;
        fail(rk, "weft_comm_destroy: %s: %s", weft_status_string(st), weft_last_error());
    }
    if (!rk->on_host)
        cuda_ok(rk, cudaStreamDestroy(rk->stream), "cudaStreamDestroy");
    for (int i = 0; i < 2; i++) {
        mem_free(rk, MEM_DEVICE, rk->dev[i]);
        mem_free(rk, MEM_PINNED, rk->before[i]);
        mem_free(rk, MEM_PINNED, rk->got[i]);
        mem_free(rk, MEM_PLAIN, rk->after[i]);
    }
}

static void run_case(rank_t *rk, const mr_case_t *c)
{
    pc_plan_t p;
    char what[160], msg[400];
    mr_case_describe(c, what, sizeof(what));
    pc_plan(c, rk->rank, rk->n, &p);
    pc_images(&p, c, rk->rank, rk->n, rk->before, rk->after);
    size_t es = mr_dtype_size(c->dt), at = PC_GUARD + p.shift;
    for (int i = 0; i < 2; i++) {
        if (p.present[i])
            copy(rk, rk->dev[i], rk->before[i], p.span[i], cudaMemcpyHostToDevice);
    }
    void *send = p.send_area < 0 ? NULL : rk->dev[p.send_area] + at + p.send_off * es;
    void *recv = p.recv_area < 0 ? NULL : rk->dev[p.recv_area] + at + p.recv_off * es;
    weft_status_t st =
        pc_issue(c, send, recv, rk->comm, rk->on_host ? NULL : (weft_stream_t)rk->stream);
    if (st != WEFT_OK)
        fatal(rk, PROCS_RANK_FAILED, "%s returned %s: %s", what, weft_status_string(st),
              weft_last_error());
    for (int i = 0; i < 2; i++) {
        if (p.present[i])
            copy(rk, rk->got[i], rk->dev[i], p.span[i], cudaMemcpyDeviceToHost);
    }
    if (!rk->on_host)
        cuda_ok(rk, cudaStreamSynchronize(rk->stream), "cudaStreamSynchronize");
    weft_status_t async = WEFT_OK;
    if (weft_comm_get_async_error(rk->comm, &async) != WEFT_OK || async != WEFT_OK)
        fatal(rk, PROCS_RANK_FAILED, "%s: asynchronous error %s: %s", what,
              weft_status_string(async), weft_last_error());
    int bad = 0;
    for (int i = 0; i < 2; i++) {
        if (p.present[i] && !pc_compare(&p, c, i, rk->got[i], rk->after[i], msg, sizeof(msg))) {
            fail(rk, "%s on %s: %s", what, rk->where, msg);
            bad = 1;
        }
    }
    rk->failures += bad;
}

/* With WEFT_CUDA_IPC=1 (ctest's gpu/test_device_procs/ipc) an all-reduce
 * of 2 to 8 ranks on device buffers must have taken the direct path: the
 * variant would otherwise test the staged path a second time. */
static void check_path(rank_t *rk)
{
    const char *ipc = getenv("WEFT_CUDA_IPC");
    if (rk->on_host || ipc == NULL || strcmp(ipc, "1") != 0 || rk->n < 2 || rk->n > 8)
        return;
    const char *algo = weft_comm_last_algo(rk->comm);
    if (algo == NULL ||
        (strcmp(algo, "oneshot_cuda_ipc") != 0 && strcmp(algo, "twoshot_cuda_ipc") != 0)) {
        rk->failures++;
        fail(rk, "WEFT_CUDA_IPC=1: the all-reduce ran %s, not the direct path (*_cuda_ipc)",
             algo != NULL ? algo : "(none)");
    }
}

/* Every case, numbered from 1 in the same order on every rank; returns
 * how many. */
static unsigned sweep(rank_t *rk)
{
    static const size_t counts[] = {0, 1, 7, 1000, MAX_COUNT};
    size_t ncounts = gpu_test_ncounts(sizeof(counts) / sizeof(counts[0]));
    unsigned id = 1;
    double start = mr_now();
    for (int coll = 0; coll < MR_NUM_COLLS; coll++) {
        int nops = mr_coll_has_op((mr_coll_t)coll) ? WEFT_NUM_OPS : 1;
        for (int dt = 0; dt < WEFT_NUM_DATATYPES; dt++)
            for (int op = 0; op < nops; op++)
                for (size_t ci = 0; ci < ncounts; ci++)
                    for (int inplace = 0; inplace < 2; inplace++, id++) {
                        mr_case_t c = {.coll = (mr_coll_t)coll,
                                       .dt = (weft_datatype_t)dt,
                                       .op = (weft_op_t)op,
                                       .count = counts[ci],
                                       .inplace = inplace,
                                       .root = (int)(id % (unsigned)rk->n),
                                       .id = id,
                                       .salt = (uint32_t)mr_mix64(id)};
                        run_case(rk, &c);
                    }
        if (rk->rank == 0)
            printf("test_device_procs: %d ranks: %s done, %u cases, %.1f s\n", rk->n,
                   mr_coll_name((mr_coll_t)coll), id - 1, mr_now() - start);
        fflush(stdout);
    }
    return id - 1;
}

int procs_rank_main(int rank, int nranks, const weft_unique_id_t *id, int on_host)
{
    rank_t rk;
    memset(&rk, 0, sizeof(rk));
    rk.rank = rank;
    rk.n = nranks;
    rk.on_host = on_host;
    rk.device = -1;
    setup(&rk, id);
    mr_case_t warm = {
        .coll = MR_ALLREDUCE, .dt = WEFT_INT32, .op = WEFT_SUM, .count = 1, .salt = 12345};
    run_case(&rk, &warm);
    check_path(&rk);
    unsigned cases = 1 + sweep(&rk);
    teardown(&rk);
    if (rk.failures > 0)
        fprintf(stderr, "FAIL [n=%d rank %d] %d of %u cases failed (%d printed)\n", rk.n, rk.rank,
                rk.failures, cases, rk.printed < MAX_PRINTED ? rk.printed : MAX_PRINTED);
    else if (rank == 0 && on_host)
        printf("test_device_procs: %d ranks on host buffers: rank 0 passed %u cases\n", rk.n,
               cases);
    else if (rank == 0)
        printf("test_device_procs: %d ranks on %d GPU(s): rank 0 passed %u cases\n", rk.n,
               rk.n < rk.ndev ? rk.n : rk.ndev, cases);
    fflush(NULL);
    return rk.failures > 0 ? PROCS_RANK_FAILED : PROCS_RANK_OK;
}
