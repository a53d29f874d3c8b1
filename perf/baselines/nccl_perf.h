/*
 * What the files of nccl-perf share (nccl_perf.c: the command line and the
 * checks before the run; nccl_perf_team.c: the ranks' communicators and
 * threads; nccl_perf_rank.c: one rank's collectives through NCCL, for the
 * harness): the team of ranks and a rank.
 */
#ifndef WEFT_PERF_NCCL_PERF_H
#define WEFT_PERF_NCCL_PERF_H

#include <pthread.h>
#include <stdint.h>

#include <nccl.h>

#include "bench.h"
#include "bench_cuda.h"

/* What the ranks share: the means to meet and to combine two numbers. */
typedef struct {
    int nranks;
    pthread_barrier_t barrier;
    double *doubles;  /* one slot per rank */
    uint64_t *counts; /* one slot per rank */
} nccl_team_t;

typedef struct {
    const bench_opts_t *opts;
    nccl_team_t *team;
    ncclComm_t comm;
    int rank, device, status;
    const char *note;
    bench_cuda_t *gpu;
    bench_mem_t mem;
} nccl_rank_t;

/* --- nccl_perf_rank.c ------------------------------------------------------ */

/* The thread of rank arg (an nccl_rank_t): opens its GPU and stream, runs
 * the harness, sets its status to bench_run's result. */
void *nccl_rank_thread(void *arg);

/* --- nccl_perf_team.c ------------------------------------------------------ */

/* The team's barrier and slots around the run of nranks ranks on ngpus
 * GPUs; returns the exit status: 0, 1 when a check found wrong elements, 3
 * on an error. */
int nccl_team_run(const bench_opts_t *opts, int nranks, int ngpus, const char *note);

#endif
