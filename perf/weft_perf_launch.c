/*
 * Starting weft-perf's ranks: -t N ranks as threads of this process, which
 * join through one weft_unique_id_t, or this process as one rank of a
 * launcher's job, which joins through weft_comm_init_env.
 *
 * With -m device each rank first makes its GPU current -- GPU r % ngpus for
 * thread r, or for the process of local rank r -- and opens its stream,
 * since weft_comm_init_rank binds the communicator to the GPU current when
 * it runs. The exit status sums up the ranks: 3 when any failed, else 1
 * when any check found wrong elements, else 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft_perf.h"

typedef struct {
    perf_rank_t rank;
    const weft_unique_id_t *id;
} perf_thread_t;

/* -m device: makes the rank's GPU current in this thread, before the
 * communicator binds to it, and gives the rank its stream. */
static int perf_open_gpu(perf_rank_t *p, int local_rank)
{
    if (!p->popts->device)
        return 0;
    if (bench_cuda_open(local_rank % p->popts->ngpus, &p->gpu) != 0)
        return -1;
    bench_cuda_mem(p->gpu, &p->mem);
    return 0;
}

static void *perf_thread(void *arg)
{
    perf_thread_t *t = arg;
    weft_status_t st;
    if (perf_open_gpu(&t->rank, t->rank.rank) != 0) {
        t->rank.status = -1;
        return NULL;
    }
    st = weft_comm_init_rank(t->rank.nranks, t->id, t->rank.rank, &t->rank.comm);
    if (st != WEFT_OK) {
        perf_fail(&t->rank, "weft_comm_init_rank", st);
        t->rank.status = -1;
    } else {
        perf_rank_main(&t->rank, "threads");
        weft_comm_destroy(t->rank.comm);
    }
    bench_cuda_close(t->rank.gpu);
    return NULL;
}

int perf_threads(const bench_opts_t *opts, const perf_opts_t *popts)
{
    int n = popts->threads;
    weft_unique_id_t id;
    perf_thread_t *ts = calloc((size_t)n, sizeof(*ts));
    pthread_t *tids = calloc((size_t)n, sizeof(*tids));
    weft_status_t st = weft_get_unique_id(&id);
    int status = 0;
    if (ts == NULL || tids == NULL || st != WEFT_OK) {
        fprintf(stderr, "error: weft-perf: cannot start: %s\n", weft_last_error());
        free(ts);
        free(tids);
        return 3;
    }
    for (int r = 0; r < n; r++) {
        ts[r] = (perf_thread_t){{.opts = opts, .popts = popts, .rank = r, .nranks = n}, &id};
        if (pthread_create(&tids[r], NULL, perf_thread, &ts[r]) != 0) {
            fprintf(stderr, "error: weft-perf: cannot start thread %d\n", r);
            exit(3);
        }
    }
    for (int r = 0; r < n; r++) {
        pthread_join(tids[r], NULL);
        if (ts[r].rank.status < 0)
            status = 3;
        else if (ts[r].rank.status > 0 && status == 0)
            status = 1;
    }
    free(ts);
    free(tids);
    return status;
}
int perf_processes(const bench_opts_t *opts, const perf_opts_t *popts)
{
    perf_rank_t p = {.opts = opts, .popts = popts};
    weft_status_t st;
    if (perf_open_gpu(&p, bench_cuda_local_rank()) != 0)
        return 3;
    st = weft_comm_init_env(&p.comm);
    if (st != WEFT_OK) {
        fprintf(stderr, "error: weft-perf: weft_comm_init_env: %s\n", weft_last_error());
        bench_cuda_close(p.gpu);
        return 3;
    }
    weft_comm_rank(p.comm, &p.rank);
    weft_comm_size(p.comm, &p.nranks);
    perf_rank_main(&p, "processes");
    weft_comm_destroy(p.comm);
    bench_cuda_close(p.gpu);
    return p.status < 0 ? 3 : p.status;
}
