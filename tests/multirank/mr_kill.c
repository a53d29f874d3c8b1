/*
 * mr_kill.c - a rank dies with SIGKILL during a sequence of large
 * all-reduces; every survivor must get an error (not hang) and exit.
 *
 * The parent forks nranks ranks, then makes the id and hands it over.  Each runs up to 200
 * all-reduces of --count floats.  The victim (--victim, default 2) dies:
 *   --when between   right after its 3rd call returned;
 *   --when during    a timer raises SIGKILL in the middle of its 4th call
 *                    (half the mean duration of the first three after the
 *                    call started).
 * A survivor that gets a non-OK status records it (status, message, when)
 * in memory shared with the parent, aborts its communicator and exits
 * with EXIT_GOT_ERROR.  The parent waits at most --limit seconds (30),
 * kills whatever is left, and checks: the victim died of SIGKILL; every
 * survivor exited with EXIT_GOT_ERROR, within WEFT_TIMEOUT (+ slack) of
 * the death.  Run it with WEFT_TIMEOUT=10, once with shared memory and
 * once with WEFT_SHM_DISABLE=1.
 */
#define _GNU_SOURCE
#include "multirank/mr_harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

enum { EXIT_GOT_ERROR = 3, EXIT_NO_ERROR = 4, MAX_CALLS = 200, MAX_RANKS = 16 };

typedef struct {
    volatile double t_kill;  /* victim: when it raised SIGKILL */
    volatile int calls;      /* calls that returned OK */
    volatile int status;     /* survivor: the first non-OK status */
    volatile double t_error; /* when that call returned */
    volatile double t_call;  /* when that call started */
    char msg[512];
} result_t;

static result_t *victim_res;

static void die_now(int sig)
{
    (void)sig;
    victim_res->t_kill = mr_now();
    raise(SIGKILL);
}

static void arm_timer(double seconds)
{
    struct itimerval it = {{0, 0}, {0, (suseconds_t)(seconds * 1e6) + 1}};
    signal(SIGALRM, die_now);
    setitimer(ITIMER_REAL, &it, NULL);
}

static void rank_main(int n, int rank, const weft_unique_id_t *id, size_t count, int victim,
                      int during, result_t *res)
{
    weft_comm_t comm;
    weft_status_t st = weft_comm_init_rank(n, id, rank, &comm);
    if (st != WEFT_OK) {
        snprintf(res->msg, sizeof(res->msg), "init: %s", weft_last_error());
        _exit(MR_EXIT_SETUP);
    }
    float *in = malloc(count * sizeof(float)), *out = malloc(count * sizeof(float));
    for (size_t j = 0; j < count; j++)
        in[j] = (float)((j + (size_t)rank) % 17);
    double spent = 0;
    for (int i = 0; i < MAX_CALLS; i++) {
        if (rank == victim && i == 3) {
            if (!during) {
                die_now(0);
            } else {
                arm_timer(spent / 3 / 2);
            }
        }
        double t0 = mr_now();
        st = weft_allreduce(in, out, count, WEFT_FLOAT32, WEFT_SUM, comm, NULL);
        double t1 = mr_now();
        if (st != WEFT_OK) {
            res->status = st;
            res->t_call = t0;
            res->t_error = t1;
            snprintf(res->msg, sizeof(res->msg), "%s", weft_last_error());
            weft_status_t ast = weft_comm_abort(comm);
            if (ast != WEFT_OK)
                fprintf(stderr, "rank %d: weft_comm_abort after the error: %s\n", rank,
                        weft_last_error());
            _exit(EXIT_GOT_ERROR);
        }
        if (i < 3)
            spent += t1 - t0;
        res->calls = i + 1;
    }
    weft_comm_destroy(comm);
    _exit(EXIT_NO_ERROR);
}

static int check(int n, int victim, const pid_t *pids, const int *ws, const double *elapsed,
                 result_t *res, double weft_timeout, double limit)
{
    int bad = 0;
    if (!(ws[victim] != -1 && WIFSIGNALED(ws[victim]) && WTERMSIG(ws[victim]) == SIGKILL)) {
        printf("FAIL victim rank %d did not die of SIGKILL (wait status %d)\n", victim, ws[victim]);
        bad++;
    } else {
        printf("victim rank %d (pid %d) killed itself after %d completed calls\n", victim,
               (int)pids[victim], res[victim].calls);
    }
    for (int r = 0; r < n; r++) {
        if (r == victim)
            continue;
        const result_t *x = &res[r];
        if (ws[r] == -1) {
            printf("FAIL rank %d still running after %.0f s: it hung (killed now); %d calls done\n",
                   r, limit, x->calls);
            bad++;
        } else if (WIFEXITED(ws[r]) && WEXITSTATUS(ws[r]) == EXIT_GOT_ERROR) {
            double after = x->t_error - res[victim].t_kill;
            printf("rank %d: %s after %.2f s in all-reduce #%d (%.2f s after the kill; exited "
                   "%.2f s after start): %s\n",
                   r, weft_status_string((weft_status_t)x->status), x->t_error - x->t_call,
                   x->calls + 1, after, elapsed[r], x->msg);
            if (after > weft_timeout + 5) {
                printf("FAIL rank %d took %.2f s after the kill to fail (WEFT_TIMEOUT=%.0f)\n", r,
                       after, weft_timeout);
                bad++;
            }
        } else if (WIFEXITED(ws[r]) && WEXITSTATUS(ws[r]) == EXIT_NO_ERROR) {
            printf("FAIL rank %d completed all %d calls without an error\n", r, MAX_CALLS);
            bad++;
        } else {
            printf("FAIL rank %d ended with wait status 0x%x (%s) %s\n", r, ws[r],
                   WIFSIGNALED(ws[r]) ? strsignal(WTERMSIG(ws[r])) : "exit", x->msg);
            bad++;
        }
    }
    return bad;
}

int main(int argc, char **argv)
{
    int n = 4, victim = 2, during = 0;
    size_t count = 4u << 20;
    double limit = 30;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--when") == 0)
            during = strcmp(argv[i + 1], "during") == 0;
        else if (strcmp(argv[i], "--nranks") == 0)
            n = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--victim") == 0)
            victim = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--count") == 0)
            count = (size_t)atol(argv[i + 1]);
        else if (strcmp(argv[i], "--limit") == 0)
            limit = atof(argv[i + 1]);
    }
    if (n < 2 || n > MAX_RANKS || victim < 0 || victim >= n) {
        fprintf(stderr, "usage: mr_kill [--when between|during] [--nranks 4] [--victim 2] "
                        "[--count floats] [--limit seconds]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    mr_watchdog((unsigned)limit + 60);
    const char *t = getenv("WEFT_TIMEOUT");
    double weft_timeout = t != NULL ? atof(t) : 300;
    result_t *res = mr_shared_alloc((size_t)n * sizeof(result_t));
    weft_unique_id_t id;
    if (res == NULL) {
        printf("FAIL setup: out of memory\n");
        return 1;
    }
    victim_res = &res[victim];
    printf("%d ranks, rank %d killed %s its 4th all-reduce of %zu floats; WEFT_TIMEOUT=%.0f, "
           "WEFT_SHM_DISABLE=%s\n",
           n, victim, during ? "during" : "right before", count, weft_timeout,
           getenv("WEFT_SHM_DISABLE") ? getenv("WEFT_SHM_DISABLE") : "0");
    fflush(NULL);
    pid_t pids[MAX_RANKS];
    int ws[MAX_RANKS];
    double elapsed[MAX_RANKS];
    int started = 0, rc = mr_fork_ranks(n, pids, &id, &started);
    if (rc == 1)
        rank_main(n, started, &id, count, victim, during, &res[started]);
    if (rc < 0) {
        printf("FAIL setup: %s\n", weft_last_error());
        mr_wait_procs(pids, started, limit, ws, elapsed);
        return 1;
    }
    mr_wait_procs(pids, started, limit, ws, elapsed);
    if (started < n) {
        printf("FAIL fork failed after %d ranks\n", started);
        return 1;
    }
    int bad = check(n, victim, pids, ws, elapsed, res, weft_timeout, limit);
    printf("%s: %d problem(s)\n", bad ? "FAILED" : "PASSED", bad);
    return bad ? 1 : 0;
}
