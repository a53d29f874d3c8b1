/*
 * fault_inject.c - the fault-injection suite: random faults, counted.
 *
 *   fault_inject --kind kill|sockclose|stop|abort [--trials N] [--seed S]
 *                [--transports shm,sock,nodes,threads] [--min-ranks 4]
 *                [--max-ranks 8] [--timeout SECONDS] [--quiet]
 *
 * Each trial draws a rank count, a victim, a transport (in turn from the
 * list: shm between processes; sock, everything over TCP with
 * WEFT_SHM_DISABLE=1; nodes, each rank on an emulated node of its own
 * through WEFT_HOSTID; threads, ranks as threads of one process -- only
 * for abort, the one fault a thread can suffer alone) and a point (init,
 * during a call, between calls; init only for kill and stop).  The trial
 * runs in a fresh process (so that the transport's variables are read
 * anew) that forks the ranks (fault_rank.c) and waits for them with a
 * deadline of its own, WEFT_TIMEOUT + 20 s: a rank still running then has
 * hung, and it and everything else is killed.  Counted over all trials:
 * hangs (must be 0), ranks expected to fail that did (must be all: every
 * survivor; for sockclose the victim too), and the time from the fault to
 * each one's error (min / median / max).  For abort, also the longest wait
 * from weft_comm_abort to the return of the aborted rank's in-flight call
 * (must be under 1 s) and fds left afterwards (must be 0).
 * Exit status 0 only if every count is as it must be.
 */
#define _GNU_SOURCE
#include "fault/fault_inject.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *kind_names[FK_COUNT] = {"kill", "sockclose", "stop", "abort"};
static const char *point_names[FP_COUNT] = {"init", "during", "between"};
static const char *tp_names[FT_COUNT] = {"shm", "sock", "nodes", "threads"};

typedef struct {
    int trials, hangs, expected, errored, aborts_slow, leaks;
    int per_point[FP_COUNT];
    double *times;
    int ntimes;
    double abort_wait_max;
} tally_t;

static int lookup(const char *const *names, int n, const char *word)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], word) == 0)
            return i;
    return -1;
}

static fault_trial_t draw(enum fault_kind kind, const int *tps, int ntps, int k, int lo, int hi)
{
    fault_trial_t t = {.kind = kind, .transport = (enum fault_transport)tps[k % ntps]};
    t.nranks = lo + rand() % (hi - lo + 1);
    t.victim = rand() % t.nranks;
    int npoints = kind == FK_KILL || kind == FK_STOP ? 3 : 2;
    t.point = (enum fault_point)(npoints == 3 ? rand() % 3 : 1 + rand() % 2);
    t.calls_before = 2 + rand() % 4;
    t.delay_frac = (double)rand() / RAND_MAX;
    t.count = 1u << (16 + rand() % 3); /* 256 KiB .. 1 MiB of floats */
    return t;
}

/* The runner: one trial in this (fresh) process.  Returns its hangs. */
static int run_trial(const fault_trial_t *t, fault_slot_t *slots, double limit)
{
    if (t->transport == FT_SOCK)
        setenv("WEFT_SHM_DISABLE", "1", 1);
    if (t->transport == FT_THREADS)
        return fault_threads_abort(t, slots, limit);
    pid_t pids[FU_MAX_RANKS], waited[FU_MAX_RANKS];
    int ws[FU_MAX_RANKS], started = 0, nw = 0;
    weft_unique_id_t id;
    int rc = mr_fork_ranks(t->nranks, pids, &id, &started);
    if (rc == 1)
        fault_rank_main(t, started, &id, slots);
    for (int r = 0; r < started; r++)
        if (!(t->kind == FK_STOP && r == t->victim))
            waited[nw++] = pids[r];
    int hung = mr_wait_procs(waited, nw, limit, ws, NULL);
    if (t->kind == FK_STOP && t->victim < started) {
        kill(pids[t->victim], SIGKILL);
        waitpid(pids[t->victim], NULL, 0);
    }
    return hung + (rc < 0);
}

static void account(const fault_trial_t *t, const fault_slot_t *s, int hung, tally_t *y, int quiet)
{
    const fault_slot_t *v = &s[t->victim];
    int point = v->t_fault > 0 ? (v->fault_phase == PH_INIT ? FP_INIT
                                  : v->fault_phase == PH_CALL ? FP_DURING
                                                              : FP_BETWEEN)
                               : t->point;
    int errored = 0, expected = 0;
    double worst = 0;
    y->trials++;
    y->hangs += hung;
    y->per_point[point]++;
    for (int r = 0; r < t->nranks; r++) {
        int counts = r != t->victim || t->kind == FK_SOCKCLOSE;
        if (!counts)
            continue;
        expected++;
        if (s[r].outcome == 1) {
            errored++;
            double dt = v->t_fault > 0 ? s[r].t_error - v->t_fault : 0;
            dt = dt < 0 ? 0 : dt; /* failed at init before the victim's timer */
            y->times[y->ntimes++] = dt;
            worst = dt > worst ? dt : worst;
        } else if (!quiet) {
            printf("  rank %d: %s\n", r, s[r].outcome == 2 ? "finished every call, no error"
                                                           : "no result (hung?)");
        }
    }
    y->expected += expected;
    y->errored += errored;
    if (t->kind == FK_ABORT) {
        y->abort_wait_max = v->abort_wait > y->abort_wait_max ? v->abort_wait : y->abort_wait_max;
        y->aborts_slow += v->abort_wait >= 1.0 || v->outcome != 1;
        y->leaks += v->leaked_fds != 0;
    }
    if (!quiet || hung || errored < expected)
        printf("%-9s %-7s n=%d victim %d at %-7s: %d/%d errored, hangs %d, slowest %.3f s%s%.60s\n",
               kind_names[t->kind], tp_names[t->transport], t->nranks, t->victim,
               point_names[point], errored, expected, hung, worst,
               errored ? "; e.g. " : "", errored ? s[t->victim == 0 ? 1 : 0].msg : "");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int report(enum fault_kind kind, tally_t *y, const char *tps)
{
    qsort(y->times, (size_t)y->ntimes, sizeof(double), cmp_double);
    double mn = y->ntimes ? y->times[0] : 0, md = y->ntimes ? y->times[y->ntimes / 2] : 0,
           mx = y->ntimes ? y->times[y->ntimes - 1] : 0;
    printf("| kind | transports | trials (init/during/between) | hangs | ranks erroring | "
           "fault->error min / median / max (s) |\n");
    printf("| %s | %s | %d (%d/%d/%d) | %d | %d of %d | %.3f / %.3f / %.3f |\n",
           kind_names[kind], tps, y->trials, y->per_point[0], y->per_point[1], y->per_point[2],
           y->hangs, y->errored, y->expected, mn, md, mx);
    if (kind == FK_ABORT)
        printf("abort: longest wait for the in-flight call %.3f s (%d over 1 s or not failed); "
               "trials leaving fds open: %d\n",
               y->abort_wait_max, y->aborts_slow, y->leaks);
    int ok = y->hangs == 0 && y->errored == y->expected && y->aborts_slow == 0 && y->leaks == 0;
    printf("%s\n", ok ? "PASSED" : "FAILED");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    int kind = -1, trials = 10, lo = 4, hi = 8, tps[FT_COUNT], ntps = 0, quiet = 0;
    unsigned seed = 1;
    const char *tplist = "shm,sock,nodes";
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(argv[i], "--kind") == 0)
            kind = lookup(kind_names, FK_COUNT, v), i++;
        else if (strcmp(argv[i], "--trials") == 0)
            trials = atoi(v), i++;
        else if (strcmp(argv[i], "--seed") == 0)
            seed = (unsigned)atol(v), i++;
        else if (strcmp(argv[i], "--transports") == 0)
            tplist = v, i++;
        else if (strcmp(argv[i], "--min-ranks") == 0)
            lo = atoi(v), i++;
        else if (strcmp(argv[i], "--max-ranks") == 0)
            hi = atoi(v), i++;
        else if (strcmp(argv[i], "--quiet") == 0)
            quiet = 1;
        else
            kind = -2;
    }
    char copy[128];
    snprintf(copy, sizeof(copy), "%s", tplist);
    for (char *tok = strtok(copy, ","); tok != NULL && ntps < FT_COUNT; tok = strtok(NULL, ","))
        if ((tps[ntps] = lookup(tp_names, FT_COUNT, tok)) >= 0)
            ntps += tps[ntps] != FT_THREADS || kind == FK_ABORT;
    if (kind < 0 || trials < 1 || lo < 2 || hi < lo || hi > FU_MAX_RANKS || ntps == 0) {
        fprintf(stderr, "usage: fault_inject --kind kill|sockclose|stop|abort [--trials N] "
                        "[--seed S] [--transports shm,sock,nodes,threads] [--min-ranks 4] "
                        "[--max-ranks 8] [--quiet]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    srand(seed);
    const char *wt = getenv("WEFT_TIMEOUT");
    double limit = (wt != NULL ? atof(wt) : 300) + 20;
    tally_t y = {.times = calloc((size_t)trials * FU_MAX_RANKS, sizeof(double))};
    fault_slot_t *slots = mr_shared_alloc(sizeof(fault_slot_t) * FU_MAX_RANKS);
    mr_watchdog((unsigned)(limit + 30) * (unsigned)trials);
    for (int k = 0; k < trials; k++) {
        fault_trial_t t = draw((enum fault_kind)kind, tps, ntps, k, lo, hi);
        memset(slots, 0, sizeof(fault_slot_t) * FU_MAX_RANKS);
        fflush(NULL);
        pid_t runner = fork();
        if (runner == 0) {
            setpgid(0, 0); /* its ranks too, so that a hang can end them all */
            _exit(run_trial(&t, slots, limit) > 0 ? 3 : 0);
        }
        setpgid(runner, runner);
        int ws = 0, hung = 0;
        if (mr_wait_procs(&runner, 1, limit + 10, &ws, NULL) > 0)
            hung = 1; /* the runner itself outlived its deadline */
        kill(-runner, SIGKILL); /* whatever is left of the trial */
        if (hung == 0)
            hung = WIFEXITED(ws) && WEXITSTATUS(ws) == 3;
        account(&t, slots, hung, &y, quiet);
    }
    int rc = report((enum fault_kind)kind, &y, tplist);
    free(y.times); /* LeakSanitizer checks this process at exit */
    return rc;
}
