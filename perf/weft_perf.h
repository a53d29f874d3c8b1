/*
 * What the files of weft-perf share (weft_perf.c: the command line and the
 * choice between threads and processes; weft_perf_launch.c: starting the
 * ranks; weft_perf_rank.c: one rank's collectives through weft, for the
 * harness): the options beyond the harness's, and a rank.
 */
#ifndef WEFT_PERF_WEFT_PERF_H
#define WEFT_PERF_WEFT_PERF_H

#include <weft.h>

#include "bench.h"
#include "bench_cuda.h"

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

/* --- weft_perf_rank.c ---------------------------------------------------- */

/* Logs what failed on rank p with weft's status and last error; returns -1. */
int perf_fail(perf_rank_t *p, const char *what, weft_status_t st);

/* Runs the harness on rank p, whose communicator (and, with -m device, GPU)
 * is open; rank_kind is "threads" or "processes". Sets p->status to
 * bench_run's result. */
void perf_rank_main(perf_rank_t *p, const char *rank_kind);

/* --- weft_perf_launch.c -------------------------------------------------- */

/* popts->threads ranks as threads of this process; returns the exit status:
 * 0, 1 when a check found wrong elements, 3 on an error. */
int perf_threads(const bench_opts_t *opts, const perf_opts_t *popts);

/* This process as one rank of a launcher's job (weft_comm_init_env);
 * returns the exit status as perf_threads does. */
int perf_processes(const bench_opts_t *opts, const perf_opts_t *popts);

#endif
