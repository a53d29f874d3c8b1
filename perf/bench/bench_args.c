/*
 * The command line of the baseline benchmarks: "<collective> [options]",
 * the same for weft-perf, mpi-perf, gloo-perf and nccl-perf. The first
 * argument names the collective (reduce_scatter is accepted for
 * reducescatter); getopt then reads the common options, whose values
 * bench_option_values.c parses, and hands the tool's own options (its
 * bench_extra_opts_t) to the tool. Help goes to stdout, an error and the
 * help to stderr, and only when the caller says so (rank 0).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bench_internal.h"

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
