/*
 * Declarations shared by the files of the baseline harness (bench.c,
 * bench_measure.c, bench_names.c, bench_args.c, bench_option_values.c,
 * bench_data.c, bench_mem.c, bench_report.c) and by nothing else: the names
 * and the parsing of options, the measuring of one row, the data pattern
 * and its check, the buffers, and the printing of the table and the JSON
 * file. The tools include bench.h only.
 */
#ifndef WEFT_PERF_BASELINE_BENCH_INTERNAL_H
#define WEFT_PERF_BASELINE_BENCH_INTERNAL_H

#include <stdio.h>

#include "bench.h"

/* One measured row, as printed. wrong is -1 when the check was off. */
typedef struct {
    size_t bytes;
    size_t count;
    double time_us;
    double algbw;
    double busbw;
    int64_t wrong;
    bench_type_t type;
    bench_op_t op;
    int root;      /* -1 where the collective has none */
    char algo[32];
} bench_row_t;

/* --- bench_names.c: enums to names and back ------------------------------ */

/* Indexed by bench_op_t and bench_coll_t. */
extern const char *const bench_ops[BENCH_NUM_OPS];
extern const char *const bench_colls[BENCH_NUM_COLLS];

/* The index of text in names[0..n-1], or -1. */
int bench_lookup(const char *text, const char *const *names, int n);
/* A type's name, or one of nccl-tests' (half, float, double, int); returns
 * 0, or -1 when text names no type. */
int bench_parse_type(const char *text, bench_type_t *type_p);

/* --- bench_option_values.c: one common option's value --------------------- */

/* One common option; returns 0, or -1 when its value is bad. */
int bench_parse_opt(int opt, const char *arg, bench_opts_t *opts);

/* --- bench_data.c: the pattern every rank writes and the check ------------ */

/* Writes rank's input for one size into send (send_count elements); returns
 * 0 when rank has no input to write (broadcast, not the root), else 1. */
int bench_fill_input(const bench_opts_t *opts, const bench_size_t *size, int rank, int nranks,
                      void *send);

/* Counts the elements of result (recv_count of them) that differ bit for bit
 * from what the collective must produce on rank. */
uint64_t bench_count_wrong(const bench_opts_t *opts, const bench_size_t *size, int rank,
                           int nranks, const void *result);

/* --- bench_mem.c: the buffers, in host memory or the tool's ------------- */

typedef struct {
    bench_bufs_t bufs; /* sized for the largest row */
    void *host_copy;   /* with a tool's memory: where input is written, output read */
} bench_memory_t;

/* Every function returns 0, or -1 after logging the error. */
int bench_mem_alloc(const bench_opts_t *opts, const bench_comm_t *comm, bench_memory_t *mem_p);
void bench_mem_free(const bench_comm_t *comm, bench_memory_t *mem);
/* bench_fill_input into send, wherever send lives. */
int bench_mem_write_input(const bench_opts_t *opts, const bench_comm_t *comm,
                          const bench_size_t *size, const bench_memory_t *mem, void *send);
/* Sets bytes of dst to 0xff. */
int bench_mem_poison(const bench_comm_t *comm, void *dst, size_t bytes);
/* bench_count_wrong on result, wherever result lives. */
int bench_mem_count_wrong(const bench_opts_t *opts, const bench_comm_t *comm,
                          const bench_size_t *size, const bench_memory_t *mem,
                          const void *result, uint64_t *wrong_p);
/* comm->sync, where the tool has one. */
int bench_mem_sync(const bench_comm_t *comm);
/* "host memory", or the tool's memory's name. */
const char *bench_mem_name(const bench_comm_t *comm);

/* --- bench_measure.c: one row of the sweep -------------------------------- */

/* Prepares the buffers for size, writes the input, times the row and, with
 * -c 1, checks it. row_p's algo is the tool's, empty where the tool names
 * none (the sweep then puts the label's). Returns 0, or -1 after logging. */
int bench_measure_row(const bench_opts_t *opts, const bench_comm_t *comm,
                      const bench_size_t *size, const bench_memory_t *mem, bench_row_t *row_p);

/* --- bench_report.c: the table and the JSON file (rank 0 only) ----------- */

void bench_print_header(FILE *out, const bench_opts_t *opts, int nranks, const char *memory,
                        const bench_label_t *label);
void bench_print_row(FILE *out, const bench_opts_t *opts, const bench_row_t *row);
void bench_print_footer(FILE *out, const bench_row_t *rows, size_t nrows);

/* Returns 0, or -1 after logging why the file could not be written. */
int bench_write_json(const char *path, const bench_opts_t *opts, const bench_row_t *rows,
                     size_t nrows);

/* The factor from algbw to busbw (nccl-tests' doc/PERFORMANCE.md). */
double bench_busbw_factor(bench_coll_t coll, int nranks);

#endif
