/*
 * mr_edge.c - edge cases of communicators and groups, each run in its own
 * forked process so that a crash is reported as that case's failure and
 * the other cases still run:
 *
 *   first-*      the first call on a fresh communicator has nothing to do
 *                (count 0 of each collective, a barrier of one rank, a
 *                count-0 send/recv); it must succeed and the communicator
 *                must work afterwards;
 *   multi        one group holding several collectives per communicator
 *                (all-reduce, broadcast, all-gather, reduce-scatter,
 *                reduce, in that order on every rank);
 *   two-comms    one group spanning the ranks of two communicators;
 *   nested       nested weft_group_start/end;
 *   reinit       twenty create/use/destroy rounds of a 3-rank communicator;
 *   concurrent   three communicators (4, 3 and 2 thread-ranks) created and used
 *                at the same time in one process, each by its own threads;
 *   debug-info   with WEFT_DEBUG=INFO, creating a communicator logs at
 *                least one INFO line (to WEFT_DEBUG_FILE).
 * All with weft_comm_init_all, one thread driving every rank.
 *
 *   mr_edge [case ...]     (no argument: all cases)
 */
#include "multirank/mr_coll.h"
#include "multirank/mr_data.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    int n;
    weft_comm_t comms[8];
    mr_rank_t rks[8];
    mr_rank_t *ptrs[8];
} world_t;

static void world_init(world_t *w, int n)
{
    w->n = n;
    weft_status_t st = weft_comm_init_all(n, NULL, w->comms);
    if (st != WEFT_OK)
        mr_fatal(NULL, "weft_comm_init_all(%d): %s: %s", n, weft_status_string(st),
                 weft_last_error());
    for (int r = 0; r < n; r++) {
        w->rks[r] = (mr_rank_t){r, n, w->comms[r], "edge", 0, NULL};
        w->ptrs[r] = &w->rks[r];
    }
}

static int world_end(world_t *w)
{
    int f = 0;
    for (int r = 0; r < w->n; r++) {
        f += w->rks[r].failures;
        mr_case_free(&w->rks[r]);
        if (weft_comm_destroy(w->comms[r]) != WEFT_OK)
            mr_fail(&w->rks[r], "weft_comm_destroy: %s", weft_last_error()), f++;
    }
    return f;
}

static void must(weft_status_t st, const char *what)
{
    if (st != WEFT_OK)
        mr_fatal(NULL, "%s returned %s: %s", what, weft_status_string(st), weft_last_error());
}

/* The first call on fresh communicators of n ranks is a no-op `coll`. */
static int first_noop(int n, const char *coll)
{
    world_t w;
    world_init(&w, n);
    char what[96];
    snprintf(what, sizeof(what), "%s with nothing to do, as the first call on %d rank(s)", coll, n);
    int32_t dummy[4] = {0};
    must(weft_group_start(), "weft_group_start");
    for (int r = 0; r < n; r++) {
        weft_comm_t c = w.comms[r];
        weft_status_t st;
        if (strcmp(coll, "barrier") == 0)
            st = weft_barrier(c);
        else if (strcmp(coll, "allreduce") == 0)
            st = weft_allreduce(dummy, dummy, 0, WEFT_INT32, WEFT_SUM, c, NULL);
        else if (strcmp(coll, "allgather") == 0)
            st = weft_allgather(NULL, NULL, 0, WEFT_INT32, c, NULL);
        else if (strcmp(coll, "reduce_scatter") == 0)
            st = weft_reduce_scatter(NULL, NULL, 0, WEFT_INT32, WEFT_MAX, c, NULL);
        else if (strcmp(coll, "broadcast") == 0)
            st = weft_broadcast(dummy, dummy, 0, WEFT_INT32, n - 1, c, NULL);
        else if (strcmp(coll, "reduce") == 0)
            st = weft_reduce(dummy, dummy, 0, WEFT_INT32, WEFT_SUM, 0, c, NULL);
        else /* sendrecv */
            st = weft_send(dummy, 0, WEFT_INT32, (r + 1) % n, c, NULL) != WEFT_OK
                     ? WEFT_ERR_INTERNAL
                     : weft_recv(dummy, 0, WEFT_INT32, (r + n - 1) % n, c, NULL);
        must(st, what);
    }
    must(weft_group_end(), what);
    /* The communicator still works. */
    mr_case_t cs = {MR_ALLREDUCE, WEFT_FLOAT32, WEFT_SUM, 1000, 0, 0, 1, 77};
    mr_case_run(w.ptrs, n, &cs, NULL);
    return world_end(&w);
}

/* Five collectives per communicator in one group. */
static int multi(void)
{
    enum { N = 4, K = 5 };
    world_t w;
    world_init(&w, N);
    mr_warm_up(w.ptrs, N);
    static const mr_case_t cases[K] = {
        {MR_ALLREDUCE, WEFT_FLOAT32, WEFT_SUM, 10007, 0, 0, 10, 1001},
        {MR_BROADCAST, WEFT_INT8, WEFT_SUM, 300001, 1, 2, 11, 1002},
        {MR_ALLGATHER, WEFT_BFLOAT16, WEFT_SUM, 1000, 1, 0, 12, 1003},
        {MR_REDUCE_SCATTER, WEFT_INT64, WEFT_MAX, 70001, 0, 0, 13, 1004},
        {MR_REDUCE, WEFT_FLOAT16, WEFT_AVG, 7, 0, 3, 14, 1005}};
    mr_rank_t per[K][N];
    must(weft_group_start(), "weft_group_start");
    for (int k = 0; k < K; k++) {
        for (int r = 0; r < N; r++) {
            per[k][r] = w.rks[r];
            per[k][r].user = NULL;
            mr_case_setup(&per[k][r], &cases[k]);
            must(mr_case_issue(&per[k][r], &cases[k]), "multi: a queued collective");
        }
    }
    must(weft_group_end(), "weft_group_end of 5 collectives x 4 ranks");
    int f = 0;
    for (int k = 0; k < K; k++) {
        for (int r = 0; r < N; r++) {
            mr_case_check(&per[k][r], &per[k][0], &cases[k], NULL);
            f += per[k][r].failures;
        }
        for (int r = 0; r < N; r++)
            mr_case_free(&per[k][r]);
    }
    return f + world_end(&w);
}

/* One group over the ranks of a 3-rank and a 2-rank communicator. */
static int two_comms(void)
{
    world_t a, b;
    world_init(&a, 3);
    world_init(&b, 2);
    mr_warm_up(a.ptrs, 3);
    mr_warm_up(b.ptrs, 2);
    mr_case_t ca = {MR_ALLREDUCE, WEFT_INT32, WEFT_PROD, 262147, 1, 0, 20, 2001};
    mr_case_t cb = {MR_ALLGATHER, WEFT_FLOAT64, WEFT_SUM, 100000, 0, 0, 21, 2002};
    for (int r = 0; r < 3; r++)
        mr_case_setup(a.ptrs[r], &ca);
    for (int r = 0; r < 2; r++)
        mr_case_setup(b.ptrs[r], &cb);
    must(weft_group_start(), "weft_group_start");
    for (int r = 0; r < 3; r++) {
        must(mr_case_issue(a.ptrs[r], &ca), "two-comms: allreduce on A");
        if (r < 2)
            must(mr_case_issue(b.ptrs[r], &cb), "two-comms: allgather on B");
    }
    must(weft_group_end(), "weft_group_end over two communicators");
    for (int r = 0; r < 3; r++)
        mr_case_check(a.ptrs[r], a.ptrs[0], &ca, NULL);
    for (int r = 0; r < 2; r++)
        mr_case_check(b.ptrs[r], b.ptrs[0], &cb, NULL);
    return world_end(&a) + world_end(&b);
}

static int nested(void)
{
    world_t w;
    world_init(&w, 3);
    mr_warm_up(w.ptrs, 3);
    mr_case_t cs = {MR_REDUCE_SCATTER, WEFT_FLOAT16, WEFT_SUM, 5000, 1, 0, 30, 3001};
    for (int r = 0; r < 3; r++)
        mr_case_setup(w.ptrs[r], &cs);
    must(weft_group_start(), "weft_group_start (outer)");
    for (int r = 0; r < 3; r++) {
        must(weft_group_start(), "weft_group_start (inner)");
        must(mr_case_issue(w.ptrs[r], &cs), "nested: reduce_scatter");
        must(weft_group_end(), "weft_group_end (inner: must only return)");
    }
    must(weft_group_end(), "weft_group_end (outer)");
    for (int r = 0; r < 3; r++)
        mr_case_check(w.ptrs[r], w.ptrs[0], &cs, NULL);
    return world_end(&w);
}

static int reinit(void)
{
    int f = 0;
    for (int round = 0; round < 20; round++) {
        world_t w;
        world_init(&w, 3);
        mr_case_t cs = {MR_ALLREDUCE, WEFT_UINT32, WEFT_MIN,        1000,
                        round & 1,    0,           (unsigned)round, (uint32_t)round};
        mr_case_run(w.ptrs, 3, &cs, NULL);
        f += world_end(&w);
    }
    return f;
}

static int concurrent_body(mr_rank_t **rks, int k, void *arg)
{
    (void)arg;
    mr_warm_up(rks, k);
    int n = rks[0]->nranks;
    for (unsigned i = 0; i < 12; i++) {
        mr_case_t cs = {(mr_coll_t)(i % MR_NUM_COLLS),
                        i % 2 ? WEFT_FLOAT32 : WEFT_INT64,
                        (weft_op_t)(i % WEFT_NUM_OPS),
                        i % 3 ? 100003 : 17,
                        (int)(i & 1),
                        (int)(i % (unsigned)n),
                        i,
                        (uint32_t)(n * 100 + i)};
        mr_case_run(rks, k, &cs, NULL);
    }
    int f = rks[0]->failures;
    mr_case_free(rks[0]);
    return f;
}

typedef struct {
    int n, failures;
} concurrent_job_t;

static void *concurrent_thread(void *p)
{
    concurrent_job_t *job = p;
    job->failures = mr_run("threads", job->n, concurrent_body, NULL, NULL, NULL);
    return NULL;
}

static int concurrent(void)
{
    concurrent_job_t jobs[3] = {{4, 0}, {3, 0}, {2, 0}};
    pthread_t th[3];
    for (int j = 0; j < 3; j++)
        pthread_create(&th[j], NULL, concurrent_thread, &jobs[j]);
    int f = 0;
    for (int j = 0; j < 3; j++) {
        pthread_join(th[j], NULL);
        f += jobs[j].failures;
    }
    return f;
}

/* The environment is read at the first weft call, which in this forked
 * child is the init below (the parent never calls weft). */
static int debug_info(void)
{
    char path[] = "/tmp/mr_edge_log_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        mr_fatal(NULL, "mkstemp failed");
    close(fd);
    setenv("WEFT_DEBUG", "INFO", 1);
    setenv("WEFT_DEBUG_FILE", path, 1);
    world_t w;
    world_init(&w, 2);
    mr_warm_up(w.ptrs, 2);
    int f = world_end(&w);
    FILE *in = fopen(path, "r");
    char line[1024];
    int info = 0;
    while (in != NULL && fgets(line, sizeof(line), in) != NULL)
        info += strstr(line, " INFO ") != NULL;
    if (in != NULL)
        fclose(in);
    unlink(path);
    if (info == 0) {
        mr_fail(NULL, "WEFT_DEBUG=INFO: creating and using a 2-rank communicator logged no INFO "
                      "line to WEFT_DEBUG_FILE");
        f++;
    }
    return f;
}

static const struct {
    const char *name;
    int n;
    const char *coll;
    int (*fn)(void);
} cases[] = {
    {"first-allreduce-1", 1, "allreduce", NULL},
    {"first-barrier-1", 1, "barrier", NULL},
    {"first-allreduce-2", 2, "allreduce", NULL},
    {"first-allgather-3", 3, "allgather", NULL},
    {"first-reduce_scatter-2", 2, "reduce_scatter", NULL},
    {"first-broadcast-3", 3, "broadcast", NULL},
    {"first-reduce-4", 4, "reduce", NULL},
    {"first-sendrecv-2", 2, "sendrecv", NULL},
    {"multi", 0, NULL, multi},
    {"two-comms", 0, NULL, two_comms},
    {"nested", 0, NULL, nested},
    {"reinit", 0, NULL, reinit},
    {"concurrent", 0, NULL, concurrent},
    {"debug-info", 0, NULL, debug_info},
};

static int run_case(size_t i)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int f = cases[i].fn ? cases[i].fn() : first_noop(cases[i].n, cases[i].coll);
        fflush(NULL);
        _exit(f ? MR_EXIT_FAIL : MR_EXIT_OK);
    }
    int ws;
    double t0 = mr_now();
    mr_wait_procs(&pid, 1, 60, &ws, NULL);
    int ok = ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
    if (ok)
        printf("ok   %-24s %.2f s\n", cases[i].name, mr_now() - t0);
    else if (ws == -1)
        printf("FAIL %-24s hung: killed after 60 s\n", cases[i].name);
    else if (WIFSIGNALED(ws))
        printf("FAIL %-24s crashed: signal %d (%s)\n", cases[i].name, WTERMSIG(ws),
               strsignal(WTERMSIG(ws)));
    else
        printf("FAIL %-24s exit status %d (see the messages above)\n", cases[i].name,
               WEXITSTATUS(ws));
    return !ok;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    mr_data_init();
    mr_watchdog(300);
    int failures = 0, ran = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int want = argc == 1;
        for (int a = 1; a < argc; a++)
            want |= strcmp(argv[a], cases[i].name) == 0;
        if (want) {
            failures += run_case(i);
            ran++;
        }
    }
    printf("%s: %d of %d case(s) failed\n", failures ? "FAILED" : "PASSED", failures, ran);
    return failures ? 1 : 0;
}
