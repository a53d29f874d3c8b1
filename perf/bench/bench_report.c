/*
 * The output of the baseline benchmarks: the nccl-tests-shaped table on
 * stdout and the optional JSON file, in exactly the format weft-perf writes,
 * so that one parser (perf/compare.sh, the plots) reads all three tools.
 *
 * Lines that start with '#' are comments: the header, the column titles and
 * the closing average. Every other line is one row, with columns separated by
 * runs of spaces: size (B), count (elements), type, redop, root, time (us),
 * algbw and busbw (GB/s, 1e9), #wrong (a count, or N/A with -c 0) and algo.
 * busbw is algbw times the factor that makes it comparable across rank
 * counts: 2(n-1)/n for all-reduce, (n-1)/n for all-gather and reduce-scatter.
 */
#include <errno.h>
#include <string.h>

#include "bench_internal.h"

double bench_busbw_factor(bench_coll_t coll, int nranks)
{
    double n = nranks;

    switch (coll) {
    case BENCH_ALLREDUCE: return 2.0 * (n - 1) / n;
    case BENCH_ALLGATHER:
    case BENCH_REDUCESCATTER: return (n - 1) / n;
    default: return 1.0; /* broadcast, reduce, sendrecv */
    }
}

/* Only reductions have an op; nccl-tests prints "none" for the others. */
static const char *bench_redop_name(const bench_opts_t *opts, bench_op_t op)
{
    int reduces = opts->coll == BENCH_ALLREDUCE || opts->coll == BENCH_REDUCESCATTER ||
                  opts->coll == BENCH_REDUCE;
    return reduces ? bench_op_name(op) : "none";
}

void bench_print_header(FILE *out, const bench_opts_t *opts, int nranks, const char *memory,
                        const bench_label_t *label)
{
    if (label->note != NULL)
        fprintf(out, "# %s\n", label->note);
    fprintf(out, "# %s %s: nranks %d (%s), %s, iters %d, warmup %d, check %d%s\n", label->tool,
            bench_coll_name(opts->coll), nranks, label->rank_kind, memory, opts->iters,
            opts->warmup, opts->check, opts->in_place ? ", in place" : "");
    fprintf(out, "#\n");
    fprintf(out, "#       size         count      type   redop    root       time      algbw"
                 "      busbw   #wrong  algo\n");
    fprintf(out, "#        (B)    (elements)                                  (us)     (GB/s)"
                 "     (GB/s)\n");
    fflush(out);
}

void bench_print_row(FILE *out, const bench_opts_t *opts, const bench_row_t *row)
{
    char wrong[24];

    if (row->wrong < 0)
        snprintf(wrong, sizeof(wrong), "N/A");
    else
        snprintf(wrong, sizeof(wrong), "%lld", (long long)row->wrong);
    fprintf(out, "%12zu  %12zu  %8s  %6s  %6d  %9.2f  %9.3f  %9.3f  %7s  %s\n", row->bytes,
            row->count, bench_type_name(row->type), bench_redop_name(opts, row->op), row->root,
            row->time_us, row->algbw, row->busbw, wrong, row->algo);
    fflush(out);
}

void bench_print_footer(FILE *out, const bench_row_t *rows, size_t nrows)
{
    double sum = 0.0;

    for (size_t i = 0; i < nrows; i++)
        sum += rows[i].busbw;
    fprintf(out, "# Avg bus bandwidth    : %g\n", nrows > 0 ? sum / (double)nrows : 0.0);
    fflush(out);
}

/* The rows as a JSON array of flat objects, one per row, with the columns'
 * names; wrong is null when the check was off. Every string written is one of
 * our own names, so none needs escaping. */
int bench_write_json(const char *path, const bench_opts_t *opts, const bench_row_t *rows,
                     size_t nrows)
{
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "[");
    for (size_t i = 0; i < nrows; i++) {
        const bench_row_t *row = &rows[i];
        char wrong[24];

        if (row->wrong < 0)
            snprintf(wrong, sizeof(wrong), "null");
        else
            snprintf(wrong, sizeof(wrong), "%lld", (long long)row->wrong);
        fprintf(f,
                "%s\n  {\"size\": %zu, \"count\": %zu, \"type\": \"%s\", \"redop\": \"%s\", "
                "\"root\": %d, \"time_us\": %.3f, \"algbw\": %.6f, \"busbw\": %.6f, "
                "\"wrong\": %s, \"algo\": \"%s\"}",
                i == 0 ? "" : ",", row->bytes, row->count, bench_type_name(row->type),
                bench_redop_name(opts, row->op), row->root, row->time_us, row->algbw, row->busbw,
                wrong, row->algo);
    }
    fprintf(f, "%s]\n", nrows > 0 ? "\n" : "");
    if (fclose(f) != 0) {
        fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}
