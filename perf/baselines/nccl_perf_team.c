/*
 * The team of nccl-perf: its ranks are threads of this process, one per
 * rank, whose communicators come from one ncclCommInitAll with rank r on
 * GPU r % ngpus. The team's barrier and its slots (one double and one count
 * per rank, through which the ranks combine their times and #wrong) are set
 * up around the run. The exit status sums up the ranks: 3 when any failed,
 * else 1 when any check found wrong elements, else 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nccl_perf.h"

/* Starts one thread per rank over communicators made by ncclCommInitAll. */
static int nccl_run_ranks(const bench_opts_t *opts, nccl_team_t *team, int ngpus, const char *note)
{
    int n = team->nranks, status = 0;
    ncclComm_t *comms = calloc((size_t)n, sizeof(*comms));
    int *devices = calloc((size_t)n, sizeof(*devices));
    nccl_rank_t *ranks = calloc((size_t)n, sizeof(*ranks));
    pthread_t *tids = calloc((size_t)n, sizeof(*tids));
    ncclResult_t rc;

    if (comms == NULL || devices == NULL || ranks == NULL || tids == NULL) {
        fprintf(stderr, "error: nccl-perf: out of memory\n");
        status = 3;
        goto out_free;
    }
    for (int r = 0; r < n; r++)
        devices[r] = r % ngpus;
    rc = ncclCommInitAll(comms, n, devices);
    if (rc != ncclSuccess) {
        fprintf(stderr, "error: nccl-perf: ncclCommInitAll of %d ranks on %d GPU%s: %s (%s)\n", n,
                ngpus, ngpus == 1 ? "" : "s", ncclGetErrorString(rc), ncclGetLastError(NULL));
        status = 3;
        goto out_free;
    }
    for (int r = 0; r < n; r++) {
        ranks[r] = (nccl_rank_t){.opts = opts,
                                 .team = team,
                                 .comm = comms[r],
                                 .rank = r,
                                 .device = devices[r],
                                 .note = note};
        if (pthread_create(&tids[r], NULL, nccl_rank_thread, &ranks[r]) != 0) {
            fprintf(stderr, "error: nccl-perf: cannot start thread %d\n", r);
            exit(3); /* the started ranks would wait for this one forever */
        }
    }
    for (int r = 0; r < n; r++) {
        pthread_join(tids[r], NULL);
        if (ranks[r].status < 0)
            status = 3;
        else if (ranks[r].status > 0 && status == 0)
            status = 1;
        ncclCommDestroy(comms[r]);
    }

out_free:
    free(tids);
    free(ranks);
    free(devices);
    free(comms);
    return status;
}

/* The team's barrier and slots around the run. */
int nccl_team_run(const bench_opts_t *opts, int nranks, int ngpus, const char *note)
{
    nccl_team_t team = {.nranks = nranks};
    int status = 3;

    team.doubles = calloc((size_t)nranks, sizeof(*team.doubles));
    team.counts = calloc((size_t)nranks, sizeof(*team.counts));
    if (team.doubles != NULL && team.counts != NULL &&
        pthread_barrier_init(&team.barrier, NULL, (unsigned)nranks) == 0) {
        status = nccl_run_ranks(opts, &team, ngpus, note);
        pthread_barrier_destroy(&team.barrier);
    } else {
        fprintf(stderr, "error: nccl-perf: cannot set up %d ranks\n", nranks);
    }
    free(team.counts);
    free(team.doubles);
    return status;
}
