/*
 * The sweep of the baseline benchmarks (see bench.h for the division of
 * labour with the tools): which types and ops a run covers, the sizes from
 * -b to -e, and the table of rows it prints and writes.
 *
 * The sweep goes from -b to -e bytes, multiplying by -f. Each nominal size is
 * rounded as nccl-tests rounds it: all-reduce moves count = bytes / elemsize
 * elements; all-gather and reduce-scatter give each rank bytes / elemsize /
 * nranks elements, so the reported size is the whole buffer, nranks blocks of
 * that. Sizes that round to no element are skipped, and so is a size that
 * rounds to the one before it. Each row is measured by bench_measure.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_internal.h"

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
