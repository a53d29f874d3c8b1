/*
 * The harness shared by weft-perf and the baseline benchmarks mpi-perf
 * (OpenMPI) and gloo-perf (Gloo): the same measurement through three
 * libraries, read by one parser and set side by side.
 *
 * The harness owns everything that must be identical between the tools: the
 * command line, the size sweep and its rounding (nccl-tests' rules), the data
 * pattern and its bit-exact check, the timing loop (warm-up, barrier, mean per
 * iteration, maximum over ranks) and the output (the nccl-tests-shaped table,
 * the JSON file). A tool supplies a bench_comm_t: its rank and size, how to run
 * one collective and three small helpers (barrier, max of a double, sum of a
 * count) through its own library. Nothing here knows MPI or Gloo.
 *
 * The harness keeps no global state, so that gloo-perf can run one harness per
 * thread when its ranks are threads.
 *
 * Buffers live in host memory unless the tool gives a bench_mem_t (GPU
 * memory: weft-perf -m device, nccl-perf). The harness then writes the input
 * and reads the output through a host copy, and a tool whose collectives
 * return before they complete (stream-ordered ones) gives sync(), which the
 * harness calls before it reads the clock or the output.
 */
#ifndef WEFT_PERF_BASELINE_BENCH_H
#define WEFT_PERF_BASELINE_BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    BENCH_ALLREDUCE,
    BENCH_ALLGATHER,
    BENCH_REDUCESCATTER,
    BENCH_BROADCAST,
    BENCH_REDUCE,
    BENCH_SENDRECV,
    BENCH_NUM_COLLS
} bench_coll_t;

/* The element types, named and numbered as weft's (include/weft.h). */
typedef enum {
    BENCH_INT8,
    BENCH_UINT8,
    BENCH_INT32,
    BENCH_UINT32,
    BENCH_INT64,
    BENCH_UINT64,
    BENCH_FLOAT16,
    BENCH_BFLOAT16,
    BENCH_FLOAT32,
    BENCH_FLOAT64,
    BENCH_NUM_TYPES
} bench_type_t;

/* Numbered as weft_op_t. */
typedef enum { BENCH_SUM, BENCH_PROD, BENCH_MIN, BENCH_MAX, BENCH_AVG, BENCH_NUM_OPS } bench_op_t;

typedef struct {
    bench_coll_t coll;
    size_t min_bytes;
    size_t max_bytes;
    size_t factor;
    int iters;
    int warmup;
    int check;
    bench_type_t type; /* with all_types, the first of the sweep */
    bench_op_t op;
    int all_types, all_ops; /* -d all, -o all */
    int root;               /* -r: broadcast and reduce */
    int in_place;           /* -I 1 */
    const char *json_path;  /* NULL: no JSON file */
} bench_opts_t;

/* One row of the sweep. bytes is the size nccl-tests reports: the larger of
 * the send and receive buffers of one rank; count is bytes / element size. */
typedef struct {
    size_t bytes;
    size_t count;
    size_t send_count; /* elements each rank sends */
    size_t recv_count; /* elements each rank receives */
    bench_type_t type;  /* of this row (-d all sweeps them) */
    bench_op_t op;
    int root;
} bench_size_t;

/* The buffers of one rank. result is where the collective leaves its output:
 * recv unless the tool's prepare() says otherwise (an in-place algorithm). */
typedef struct {
    void *send;
    void *recv;
    void *result;
} bench_bufs_t;

/* Memory other than the host's (bench_cuda.h makes one for a GPU). Every
 * callback returns 0, or -1 after logging the error; each completes before
 * it returns. */
typedef struct {
    const char *name; /* for the header line: "device memory" */
    void *ctx;
    int (*alloc)(void *ctx, size_t bytes, void **ptr_p);
    void (*release)(void *ctx, void *ptr);
    int (*set_bytes)(void *ctx, void *dst, int byte, size_t bytes); /* memset */
    int (*upload)(void *ctx, void *dst, const void *host_src, size_t bytes);
    int (*download)(void *ctx, void *host_dst, const void *src, size_t bytes);
} bench_mem_t;

/* What a tool provides. Every callback returns 0 on success and -1 after
 * logging the error; none may be NULL. */
typedef struct {
    int rank;
    int nranks;
    void *ctx;
    /* Called once per size before the warm-up; may set bufs->result. */
    int (*prepare)(void *ctx, const bench_size_t *size, bench_bufs_t *bufs);
    /* One collective over bufs. */
    int (*run)(void *ctx, const bench_size_t *size, const bench_bufs_t *bufs);
    int (*barrier)(void *ctx);
    /* In place: *value becomes the maximum over the ranks. */
    int (*max_double)(void *ctx, double *value);
    /* In place: *value becomes the sum over the ranks. */
    int (*sum_u64)(void *ctx, uint64_t *value);
    /* Optional: the algorithm the last collective used, for the algo
     * column (NULL: the label's). */
    const char *(*algo)(void *ctx);
    /* Which collectives, types and ops the tool runs, and in place or not;
     * the harness refuses the others before anything runs. */
    int (*supports)(void *ctx, bench_coll_t coll, bench_type_t type, bench_op_t op,
                    int in_place);
    /* Optional: where the buffers live (NULL: host memory). */
    const bench_mem_t *mem;
    /* Optional: waits until every collective run() issued has completed
     * (NULL: run() returns when its collective is done). */
    int (*sync)(void *ctx);
} bench_comm_t;

/* How the run is described in the header line. */
typedef struct {
    const char *tool;      /* "mpi-perf" */
    const char *rank_kind; /* "processes" or "threads" */
    const char *algo;      /* the algo column: "mpi", "gloo-ring", ... */
    const char *note;      /* optional extra comment line, may be NULL */
} bench_label_t;

/* Options beyond the common ones, for one tool: optstring in getopt's syntax,
 * a handler called for each of them, and their lines of help text. */
typedef struct {
    const char *optstring;
    int (*handle)(void *ctx, int opt, const char *arg);
    void *ctx;
    const char *help;
} bench_extra_opts_t;

/* Parses "<collective> [options]". Returns 0 to run, 1 when help was asked
 * for (exit 0) and -1 on an error (exit 2). Help and errors are printed only
 * when verbose (rank 0; the other ranks parse the same line quietly). extra
 * may be NULL. */
int bench_parse_args(int argc, char **argv, const char *tool, const bench_extra_opts_t *extra,
                     int verbose, bench_opts_t *opts_p);

/* Runs the sweep. Only rank 0 prints. Returns 0 when every row ran and
 * checked clean, 1 when a check found wrong elements, -1 on an error. */
int bench_run(const bench_opts_t *opts, const bench_comm_t *comm, const bench_label_t *label);

const char *bench_coll_name(bench_coll_t coll);
const char *bench_type_name(bench_type_t type);
const char *bench_op_name(bench_op_t op);
size_t bench_type_size(bench_type_t type);

#ifdef __cplusplus
}
#endif

#endif
