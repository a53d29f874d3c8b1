/*
 * init_bench: how long creating a communicator takes, ranks as threads.
 *
 *   init_bench [NRANKS] [ROUNDS]      (defaults 16 and 10)
 *
 * Each round gets a fresh unique id, starts NRANKS threads that call
 * weft_comm_init_rank at once, and measures from the id to the moment the
 * last rank has its communicator; then every rank destroys it.  Prints
 * min, median and max over the rounds.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <weft.h>

typedef struct {
    int rank, nranks;
    const weft_unique_id_t *id;
    weft_comm_t comm;
    weft_status_t st;
} job_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *run(void *arg)
{
    job_t *j = arg;
    j->st = weft_comm_init_rank(j->nranks, j->id, j->rank, &j->comm);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 16, rounds = argc > 2 ? atoi(argv[2]) : 10;
    if (n < 1 || rounds < 1) {
        fprintf(stderr, "usage: init_bench [NRANKS] [ROUNDS]\n");
        return 2;
    }
    job_t *jobs = calloc((size_t)n, sizeof(*jobs));
    pthread_t *t = calloc((size_t)n, sizeof(*t));
    double *ms = calloc((size_t)rounds, sizeof(*ms));
    for (int k = 0; k < rounds; k++) {
        weft_unique_id_t id;
        double t0 = now();
        if (weft_get_unique_id(&id) != WEFT_OK) {
            fprintf(stderr, "weft_get_unique_id: %s\n", weft_last_error());
            return 1;
        }
        for (int r = 0; r < n; r++) {
            jobs[r] = (job_t){r, n, &id, NULL, WEFT_OK};
            pthread_create(&t[r], NULL, run, &jobs[r]);
        }
        for (int r = 0; r < n; r++)
            pthread_join(t[r], NULL);
        ms[k] = (now() - t0) * 1e3;
        for (int r = 0; r < n; r++) {
            if (jobs[r].st != WEFT_OK) {
                fprintf(stderr, "rank %d: %s\n", r, weft_status_string(jobs[r].st));
                return 1;
            }
            weft_comm_destroy(jobs[r].comm);
        }
    }
    qsort(ms, (size_t)rounds, sizeof(*ms), cmp);
    printf("communicator of %d ranks (threads), %d rounds: min %.2f ms, median %.2f ms, max %.2f "
           "ms\n", n, rounds, ms[0], ms[rounds / 2], ms[rounds - 1]);
    free(jobs);
    free(t);
    free(ms);
    return 0;
}
