/*
 * The command line and the measuring loop of the baseline benchmarks (see
 * bench.h for the division of labour with the tools).
 *
 * The sweep goes from -b to -e bytes, multiplying by -f. Each nominal size is
 * rounded as nccl-tests rounds it: all-reduce moves count = bytes / elemsize
 * elements; all-gather and reduce-scatter give each rank bytes / elemsize /
 * nranks elements, so the reported size is the whole buffer, nranks blocks of
 * that. Sizes that round to no element are skipped, and so is a size that
 * rounds to the one before it.
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
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_internal.h"

static const struct {
    const char *name;
    size_t size;
} bench_types[BENCH_NUM_TYPES] = {
    [BENCH_INT8] = {"int8", 1},       [BENCH_UINT8] = {"uint8", 1},
    [BENCH_INT32] = {"int32", 4},     [BENCH_UINT32] = {"uint32", 4},
    [BENCH_INT64] = {"int64", 8},     [BENCH_UINT64] = {"uint64", 8},
    [BENCH_FLOAT16] = {"float16", 2}, [BENCH_BFLOAT16] = {"bfloat16", 2},
    [BENCH_FLOAT32] = {"float32", 4}, [BENCH_FLOAT64] = {"float64", 8},
};

static const char *const bench_ops[BENCH_NUM_OPS] = {
    [BENCH_SUM] = "sum", [BENCH_PROD] = "prod", [BENCH_MIN] = "min", [BENCH_MAX] = "max",
    [BENCH_AVG] = "avg"};

static const char *const bench_colls[] = {
    [BENCH_ALLREDUCE] = "allreduce",
    [BENCH_ALLGATHER] = "allgather",
    [BENCH_REDUCESCATTER] = "reducescatter",
    [BENCH_BROADCAST] = "broadcast",
    [BENCH_REDUCE] = "reduce",
    [BENCH_SENDRECV] = "sendrecv",
};

const char *bench_coll_name(bench_coll_t coll)
{
    return bench_colls[coll];
}
const char *bench_type_name(bench_type_t type)
{
    return bench_types[type].name;
}
const char *bench_op_name(bench_op_t op)
{
    return bench_ops[op];
}
size_t bench_type_size(bench_type_t type)
{
    return bench_types[type].size;
}

/* --- command line ---------------------------------------------------------- */

static void bench_usage(FILE *out, const char *tool, const bench_extra_opts_t *extra)
{
    fprintf(out,
            "usage: %s allreduce|allgather|reducescatter|broadcast|reduce|sendrecv [options]\n"
            "  -b MINBYTES  smallest size, K/M/G suffixes allowed (default 8)\n"
            "  -e MAXBYTES  largest size (default 64M)\n"
            "  -f FACTOR    multiply the size by FACTOR between rows (default 2)\n"
            "  -n ITERS     timed iterations per size (default 20)\n"
            "  -w WARMUP    untimed iterations per size (default 5)\n"
            "  -c 0|1       check the results bit for bit (default 1)\n"
            "  -d TYPE|all  int8 uint8 int32 uint32 int64 uint64 float16 bfloat16 float32\n"
            "               float64 (default float32; not every tool has every type)\n"
            "  -o OP|all    sum prod min max avg (default sum)\n"
            "  -r ROOT      root of broadcast and reduce (default 0)\n"
            "  -I 0|1       run in place (default 0)\n"
            "  -J FILE      also write the rows to FILE as a JSON array\n"
            "  -h           this help\n"
            "%s",
            tool, extra != NULL && extra->help != NULL ? extra->help : "");
}

/* "64M" -> 67108864; K, M and G are powers of 1024, a trailing B is allowed. */
static int bench_parse_size(const char *text, size_t *bytes_p)
{
    char *end;
    unsigned long long value;
    int shift = 0;

    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || text[0] == '-')
        return -1;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    default:
        break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0' || value > (SIZE_MAX >> shift))
        return -1;
    *bytes_p = (size_t)value << shift;
    return 0;
}

static int bench_parse_int(const char *text, int min, int max, int *value_p)
{
    char *end;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
        return -1;
    *value_p = (int)value;
    return 0;
}

static int bench_lookup(const char *text, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(text, names[i]) == 0)
            return i;
    return -1;
}

static int bench_parse_type(const char *text, bench_type_t *type_p)
{
    /* nccl-tests' names too, so that its command lines work unchanged. */
    static const struct {
        const char *alias;
        bench_type_t type;
    } aliases[] = {{"half", BENCH_FLOAT16},
                   {"float", BENCH_FLOAT32},
                   {"double", BENCH_FLOAT64},
                   {"int", BENCH_INT32}};

    for (int t = 0; t < BENCH_NUM_TYPES; t++) {
        if (strcmp(text, bench_types[t].name) == 0) {
            *type_p = (bench_type_t)t;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcmp(text, aliases[i].alias) == 0) {
            *type_p = aliases[i].type;
            return 0;
        }
    }
    return -1;
}

/* One common option; returns 0, or -1 when its value is bad. */
static int bench_parse_opt(int opt, const char *arg, bench_opts_t *opts)
{
    int value = 0, rc = 0;

    switch (opt) {
    case 'b':
        rc = bench_parse_size(arg, &opts->min_bytes);
        break;
    case 'e':
        rc = bench_parse_size(arg, &opts->max_bytes);
        break;
    case 'f':
        rc = bench_parse_int(arg, 2, 1 << 20, &value);
        opts->factor = (size_t)value;
        break;
    case 'n':
        rc = bench_parse_int(arg, 1, 1 << 30, &opts->iters);
        break;
    case 'w':
        rc = bench_parse_int(arg, 0, 1 << 30, &opts->warmup);
        break;
    case 'c':
        rc = bench_parse_int(arg, 0, 1, &opts->check);
        break;
    case 'd':
        opts->all_types = strcmp(arg, "all") == 0;
        rc = opts->all_types ? 0 : bench_parse_type(arg, &opts->type);
        break;
    case 'o':
        opts->all_ops = strcmp(arg, "all") == 0;
        value = opts->all_ops ? 0 : bench_lookup(arg, bench_ops, BENCH_NUM_OPS);
        rc = value < 0 ? -1 : 0;
        opts->op = (bench_op_t)value;
        break;
    case 'r':
        rc = bench_parse_int(arg, 0, 1 << 30, &opts->root);
        break;
    case 'I':
        rc = bench_parse_int(arg, 0, 1, &opts->in_place);
        break;
    case 'J':
        opts->json_path = arg;
        break;
    default:
        rc = -1;
        break;
    }
    return rc;
}

/* The options after the collective; returns 0, 1 for help, or -1 with the
 * reason in err. */
static int bench_parse_opts(int argc, char **argv, const bench_extra_opts_t *extra,
                            bench_opts_t *opts, char *err, size_t errlen)
{
    char optstring[64];
    int opt, rc;

    /* '+': stop at the first operand, which is then an error. getopt sees
     * argv[1] (the collective) where it expects the program name. */
    snprintf(optstring, sizeof(optstring), "+b:e:f:n:w:c:d:o:r:I:J:h%s",
             extra != NULL ? extra->optstring : "");
    optind = 1;
    opterr = 0;
    while ((opt = getopt(argc - 1, argv + 1, optstring)) != -1) {
        if (opt == 'h')
            return 1;
        if (opt == '?') {
            if (optopt != 0 && strchr(optstring, optopt) != NULL)
                snprintf(err, errlen, "-%c needs a value", optopt);
            else
                snprintf(err, errlen, "unknown option -%c", optopt);
            return -1;
        }
        if (strchr("befnwcdorIJ", opt) != NULL)
            rc = bench_parse_opt(opt, optarg, opts);
        else
            rc = extra->handle(extra->ctx, opt, optarg);
        if (rc != 0) {
            snprintf(err, errlen, "bad value '%s' for -%c", optarg, opt);
            return -1;
        }
    }
    if (optind < argc - 1) {
        snprintf(err, errlen, "unexpected argument '%s'", argv[optind + 1]);
        return -1;
    }
    if (opts->min_bytes > opts->max_bytes) {
        snprintf(err, errlen, "-b %zu is larger than -e %zu", opts->min_bytes, opts->max_bytes);
        return -1;
    }
    return 0;
}

int bench_parse_args(int argc, char **argv, const char *tool, const bench_extra_opts_t *extra,
                     int verbose, bench_opts_t *opts_p)
{
    bench_opts_t opts = {.coll = BENCH_ALLREDUCE,
                         .min_bytes = 8,
                         .max_bytes = 64u << 20,
                         .factor = 2,
                         .iters = 20,
                         .warmup = 5,
                         .check = 1,
                         .type = BENCH_FLOAT32,
                         .op = BENCH_SUM,
                         .json_path = NULL};
    char err[160] = "the first argument must name the collective";
    int coll = -1, rc = -1;

    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        rc = 1;
    } else if (argc >= 2) {
        coll = bench_lookup(argv[1], bench_colls, BENCH_NUM_COLLS);
        if (coll < 0 && strcmp(argv[1], "reduce_scatter") == 0)
            coll = BENCH_REDUCESCATTER;
    }
    if (coll >= 0) {
        opts.coll = (bench_coll_t)coll;
        rc = bench_parse_opts(argc, argv, extra, &opts, err, sizeof(err));
    }
    if (rc == 0)
        *opts_p = opts;
    else if (rc > 0 && verbose)
        bench_usage(stdout, tool, extra);
    else if (verbose) {
        fprintf(stderr, "%s: error: %s\n", tool, err);
        bench_usage(stderr, tool, extra);
    }
    return rc;
}

/* --- the sweep ------------------------------------------------------------- */

/* The row for a nominal size; returns 0 when it has no element to move. */
static int bench_size_for(const bench_opts_t *opts, bench_type_t type, bench_op_t op,
                          size_t nominal, int nranks, bench_size_t *size_p)
{
    size_t elem = bench_type_size(type);
    size_t count = nominal / elem;
    bench_size_t size = {.type = type, .op = op, .root = opts->root};

    switch (opts->coll) {
    case BENCH_ALLGATHER:
        size.send_count = count / (size_t)nranks;
        size.recv_count = size.send_count * (size_t)nranks;
        size.count = size.recv_count;
        break;
    case BENCH_REDUCESCATTER:
        size.recv_count = count / (size_t)nranks;
        size.send_count = size.recv_count * (size_t)nranks;
        size.count = size.send_count;
        break;
    default:
        size.send_count = size.recv_count = size.count = count;
        break;
    }
    size.bytes = size.count * elem;
    *size_p = size;
    return size.send_count > 0 && size.recv_count > 0;
}

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

static int bench_measure_row(const bench_opts_t *opts, const bench_comm_t *comm,
                             const bench_size_t *size, const bench_memory_t *mem,
                             bench_row_t *row_p)
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

typedef struct {
    bench_row_t *rows;
    size_t nrows, cap;
    int wrong;
} bench_table_t;

static int bench_add_row(bench_table_t *t, const bench_row_t *row)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 32;
        bench_row_t *grown = realloc(t->rows, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        t->rows = grown;
        t->cap = cap;
    }
    t->rows[t->nrows++] = *row;
    t->wrong |= row->wrong > 0;
    return 0;
}

/* The size sweep for one type and op. */
static int bench_sweep(const bench_opts_t *opts, const bench_comm_t *comm, bench_type_t type,
                       bench_op_t op, const bench_label_t *label, const bench_memory_t *mem,
                       bench_table_t *table)
{
    size_t last_bytes = 0;
    bench_size_t size;
    bench_row_t row;

    for (size_t nominal = opts->min_bytes; nominal <= opts->max_bytes;) {
        if (bench_size_for(opts, type, op, nominal, comm->nranks, &size) &&
            size.bytes != last_bytes) {
            if (bench_measure_row(opts, comm, &size, mem, &row) != 0)
                return -1;
            if (row.algo[0] == '\0')
                snprintf(row.algo, sizeof(row.algo), "%s", label->algo);
            if (comm->rank == 0)
                bench_print_row(stdout, opts, &row);
            if (bench_add_row(table, &row) != 0) {
                fprintf(stderr, "error: rank %d: out of memory\n", comm->rank);
                return -1;
            }
            last_bytes = size.bytes;
        }
        if (nominal > opts->max_bytes / opts->factor)
            break;
        nominal = nominal > 0 ? nominal * opts->factor : 1;
    }
    return 0;
}

/* Types and ops the run covers, each one the tool can run. */
static int bench_selected(const bench_opts_t *opts, const bench_comm_t *comm, bench_type_t t,
                          bench_op_t o)
{
    int reduces = opts->coll == BENCH_ALLREDUCE || opts->coll == BENCH_REDUCESCATTER ||
                  opts->coll == BENCH_REDUCE;
    if (!(opts->all_types ? 1 : t == opts->type))
        return 0;
    if (!(reduces ? (opts->all_ops ? 1 : o == opts->op) : o == BENCH_SUM))
        return 0;
    return comm->supports(comm->ctx, opts->coll, t, o, opts->in_place);
}

int bench_run(const bench_opts_t *opts, const bench_comm_t *comm, const bench_label_t *label)
{
    bench_table_t table = {NULL, 0, 0, 0};
    bench_memory_t mem;
    int status = -1, any = 0;

    if (opts->root >= comm->nranks) {
        if (comm->rank == 0)
            fprintf(stderr, "error: -r %d: there are only %d ranks\n", opts->root, comm->nranks);
        return -1;
    }
    for (int t = 0; t < BENCH_NUM_TYPES; t++)
        for (int o = 0; o < BENCH_NUM_OPS; o++)
            any |= bench_selected(opts, comm, (bench_type_t)t, (bench_op_t)o);
    if (!any) {
        if (comm->rank == 0)
            fprintf(stderr, "error: %s cannot run %s of %s/%s%s\n", label->tool,
                    bench_coll_name(opts->coll), opts->all_types ? "all" : bench_type_name(opts->type),
                    opts->all_ops ? "all" : bench_op_name(opts->op), opts->in_place ? " in place" : "");
        return -1;
    }
    if (bench_mem_alloc(opts, comm, &mem) != 0)
        return -1;
    if (comm->rank == 0)
        bench_print_header(stdout, opts, comm->nranks, bench_mem_name(comm), label);
    for (int t = 0; t < BENCH_NUM_TYPES; t++) {
        for (int o = 0; o < BENCH_NUM_OPS; o++) {
            if (bench_selected(opts, comm, (bench_type_t)t, (bench_op_t)o) &&
                bench_sweep(opts, comm, (bench_type_t)t, (bench_op_t)o, label, &mem,
                            &table) != 0)
                goto out_free;
        }
    }
    if (comm->rank == 0) {
        bench_print_footer(stdout, table.rows, table.nrows);
        if (opts->json_path != NULL &&
            bench_write_json(opts->json_path, opts, table.rows, table.nrows) != 0)
            goto out_free;
    }
    status = table.wrong ? 1 : 0;

out_free:
    free(table.rows);
    bench_mem_free(comm, &mem);
    return status;
}
