/*
 * fault_shrink.c - weft_comm_shrink after a rank dies, and on a healthy
 * communicator.
 *
 * The parent forks --nranks ranks (then makes the id).  Every rank runs a
 * few all-reduces; then
 *   --victim V --when between  rank V raises SIGKILL between two calls;
 *   --victim V --when during   rank V raises SIGKILL from a timer in the
 *                              middle of a large all-reduce;
 *   --healthy V                rank V destroys its communicator and leaves;
 *   --disagree                 as --healthy, but the last survivor excludes
 *                              one more rank than the others.
 * Survivors of a kill keep calling all-reduce until one fails (it must),
 * then all survivors call weft_comm_shrink excluding V and check the new
 * communicator: its size, their new rank (their place in the old order),
 * and all-reduce, all-gather and broadcast (from the first and the last
 * new rank) bit for bit; then they destroy the new and the old
 * communicator.  With --disagree every survivor must fail (not hang),
 * the one that disagrees with WEFT_ERR_INVALID_USAGE.  The healthy run
 * also checks bad arguments.  --nodes puts each rank on an emulated node
 * of its own (WEFT_HOSTID), so that every pair talks over sockets.
 */
#define _GNU_SOURCE
#include "fault/fault_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MODE_KILL, MODE_HEALTHY, MODE_DISAGREE };
enum { BIG_COUNT = 1 << 21, SMALL_COUNT = 1003, MAX_CALLS = 400 };

typedef struct {
    int nranks, victim, mode, during, nodes;
    double limit;
} opts_t;

static int check_collectives(weft_comm_t comm, int oldrank, const uint8_t *gone, int oldn)
{
    int rank, size, bad = 0, want_rank = 0;
    weft_comm_rank(comm, &rank);
    weft_comm_size(comm, &size);
    for (int r = 0; r < oldrank; r++)
        want_rank += !gone[r];
    if (rank != want_rank || size != oldn - fu_count(gone, oldn)) {
        printf("FAIL old rank %d: new rank %d of %d, expected %d of %d\n", oldrank, rank, size,
               want_rank, oldn - fu_count(gone, oldn));
        return 1;
    }
    bad += fu_check_allreduce(comm, oldrank, gone, oldn, SMALL_COUNT);
    bad += fu_check_allreduce(comm, oldrank, gone, oldn, 100003);
    bad += fu_check_allgather(comm, 1003);
    bad += fu_check_broadcast(comm, 0, 4099);
    bad += fu_check_broadcast(comm, size - 1, 100003);
    return bad;
}

static int bad_arguments(weft_comm_t comm, int me, int n)
{
    weft_comm_t out = NULL;
    int other = (me + 1) % n, dup[2] = {other, other}, self = me, range = n, bad = 0;
    struct {
        const int *ex;
        int nex;
        weft_comm_t *out;
        const char *word;
    } cases[] = {{&range, 1, &out, "excluded_ranks[0]"}, {dup, 2, &out, "listed twice"},
                 {&self, 1, &out, "itself"},             {NULL, 1, &out, "excluded_ranks is NULL"},
                 {&other, 1, NULL, "newcomm_p"},         {&other, -1, &out, "nexcluded"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        weft_status_t st = weft_comm_shrink(comm, cases[i].ex, cases[i].nex, cases[i].out);
        if (st != WEFT_ERR_INVALID_ARGUMENT || strstr(weft_last_error(), cases[i].word) == NULL) {
            printf("FAIL rank %d: bad-argument case %zu gave %s (%s), expected an error naming "
                   "'%s'\n",
                   me, i, weft_status_string(st), weft_last_error(), cases[i].word);
            bad++;
        }
    }
    return bad;
}

static double t_kill_shared_dummy;
static volatile double *t_kill = &t_kill_shared_dummy;

static void die_now(int sig)
{
    (void)sig;
    *t_kill = fu_now();
    raise(SIGKILL);
}

/* Runs until the victim is gone: returns the first failing status (OK if
 * none failed in MAX_CALLS calls). */
static weft_status_t until_failure(weft_comm_t comm, const opts_t *o, int rank, float *buf)
{
    double spent = 0;
    for (int i = 0; i < MAX_CALLS; i++) {
        if (rank == o->victim && i == 3) {
            if (!o->during)
                die_now(0);
            struct itimerval it = {{0, 0}, {0, (suseconds_t)(spent / 3 / 2 * 1e6) + 1}};
            signal(SIGALRM, die_now);
            setitimer(ITIMER_REAL, &it, NULL);
        }
        double t0 = fu_now();
        weft_status_t st = weft_allreduce(buf, buf, BIG_COUNT, WEFT_FLOAT32, WEFT_MAX, comm, NULL);
        if (st != WEFT_OK)
            return st;
        spent += i < 3 ? fu_now() - t0 : 0;
    }
    return WEFT_OK;
}

static void rank_main(const opts_t *o, int rank, const weft_unique_id_t *id, volatile double *tk)
{
    t_kill = tk;
    if (o->nodes)
        fu_set_node(rank);
    weft_comm_t comm, newcomm;
    if (weft_comm_init_rank(o->nranks, id, rank, &comm) != WEFT_OK) {
        printf("FAIL rank %d: init: %s\n", rank, weft_last_error());
        _exit(2);
    }
    float *buf = calloc(BIG_COUNT, sizeof(float));
    uint8_t *gone = calloc((size_t)o->nranks, 1);
    gone[o->victim] = 1;
    int bad = 0, ex[2] = {o->victim, -1}, nex = 1;
    if (o->mode == MODE_KILL) {
        weft_status_t st = until_failure(comm, o, rank, buf);
        if (st == WEFT_OK) {
            printf("FAIL rank %d: no error in %d calls after the kill\n", rank, MAX_CALLS);
            _exit(1);
        }
        printf("rank %d: %s %.2f s after the kill: %s\n", rank, weft_status_string(st),
               fu_now() - *tk, weft_last_error());
    } else {
        bad += weft_allreduce(buf, buf, 7, WEFT_FLOAT32, WEFT_SUM, comm, NULL) != WEFT_OK;
        if (rank == o->victim) {
            weft_comm_destroy(comm);
            _exit(0);
        }
        bad += bad_arguments(comm, rank, o->nranks);
        if (o->mode == MODE_DISAGREE && rank == fu_last_survivor(gone, o->nranks))
            ex[nex++] = rank - 1; /* a live survivor that the others keep */
    }
    double t0 = fu_now();
    weft_status_t st = weft_comm_shrink(comm, ex, nex, &newcomm);
    double took = fu_now() - t0;
    if (o->mode == MODE_DISAGREE) {
        printf("rank %d: shrink %s after %.2f s: %s\n", rank, weft_status_string(st), took,
               weft_last_error());
        int lone = rank == fu_last_survivor(gone, o->nranks);
        bad += st == WEFT_OK || (lone && st != WEFT_ERR_INVALID_USAGE);
        if (st == WEFT_OK)
            weft_comm_destroy(newcomm);
    } else if (st != WEFT_OK) {
        printf("FAIL rank %d: shrink: %s: %s\n", rank, weft_status_string(st), weft_last_error());
        bad++;
    } else {
        printf("rank %d: shrink took %.2f s\n", rank, took);
        bad += check_collectives(newcomm, rank, gone, o->nranks);
        bad += weft_comm_destroy(newcomm) != WEFT_OK;
    }
    if (weft_comm_destroy(comm) != WEFT_OK) {
        printf("FAIL rank %d: destroy of the old comm: %s\n", rank, weft_last_error());
        bad++;
    }
    free(buf);
    free(gone);
    _exit(bad ? 1 : 0);
}

static int parse(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){4, 0, MODE_KILL, 0, 0, 60};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(a, "--nranks") == 0)
            o->nranks = atoi(v), i++;
        else if (strcmp(a, "--victim") == 0)
            o->victim = atoi(v), i++;
        else if (strcmp(a, "--when") == 0)
            o->during = strcmp(v, "during") == 0, i++;
        else if (strcmp(a, "--healthy") == 0)
            o->mode = MODE_HEALTHY, o->victim = atoi(v), i++;
        else if (strcmp(a, "--disagree") == 0)
            o->mode = MODE_DISAGREE;
        else if (strcmp(a, "--nodes") == 0)
            o->nodes = 1;
        else if (strcmp(a, "--limit") == 0)
            o->limit = atof(v), i++;
        else
            return -1;
    }
    if (o->mode == MODE_DISAGREE)
        o->victim = o->nranks - 1;
    if (o->victim < 0)
        o->victim += o->nranks; /* -1: the last rank */
    int ok = o->nranks >= 2 && o->nranks <= FU_MAX_RANKS && o->victim >= 0 &&
             o->victim < o->nranks && (o->mode != MODE_DISAGREE || o->nranks >= 4);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    opts_t o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: fault_shrink [--nranks N] [--victim V|-1 [--when between|during]"
                        " | --healthy V | --disagree] [--nodes] [--limit S]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    mr_watchdog((unsigned)o.limit + 30);
    printf("%d ranks, rank %d %s; %s\n", o.nranks, o.victim,
           o.mode == MODE_KILL ? (o.during ? "killed during an all-reduce" : "killed between calls")
                               : "leaves healthily",
           o.nodes ? "one emulated node per rank" : "one node");
    volatile double *tk = mr_shared_alloc(sizeof(double));
    pid_t pids[FU_MAX_RANKS];
    int ws[FU_MAX_RANKS], started = 0;
    weft_unique_id_t id;
    int rc = mr_fork_ranks(o.nranks, pids, &id, &started);
    if (rc == 1)
        rank_main(&o, started, &id, tk);
    int killed = mr_wait_procs(pids, started, o.limit, ws, NULL), bad = rc < 0 || killed > 0;
    for (int r = 0; r < started; r++) {
        int victim_killed = o.mode == MODE_KILL && r == o.victim;
        int ok = ws[r] != -1 && (victim_killed ? WIFSIGNALED(ws[r]) && WTERMSIG(ws[r]) == SIGKILL
                                               : WIFEXITED(ws[r]) && WEXITSTATUS(ws[r]) == 0);
        if (!ok) {
            printf("FAIL rank %d: %s (wait status 0x%x)\n", r,
                   ws[r] == -1 ? "hung and was killed" : "ended badly", ws[r]);
            bad++;
        }
    }
    printf("%s\n", bad ? "FAILED" : "PASSED");
    return bad ? 1 : 0;
}
