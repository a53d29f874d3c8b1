/*
 * test_device_procs.c - every collective on device buffers with the ranks
 * as processes (issue 4): all-reduce, all-gather, reduce-scatter,
 * broadcast and reduce x every datatype x every op (AVG included) x out
 * of place and in place x counts 0, 1, 7, 1000 and 65537 (WEFT_TEST_QUICK=1
 * leaves out the last, for compute-sanitizer), on 1, 2, 3, 4 and 8 rank
 * processes.  Rank r drives GPU r % (the GPUs it sees): all of them share
 * the one GPU of a single-GPU machine and are spread over several where
 * there are several.  What each rank does and how a case is checked --
 * against results computed on the host from every rank's deterministic
 * input, bit for bit, every byte around them too -- is in procs_rank.c
 * and procs_case.c.
 *
 *   test_device_procs [--nranks 1,2,3,4,8] [--timeout SECONDS] [--host]
 *
 * --host runs the same sweep on host buffers, with no CUDA call: the test
 * checking itself against the host path, wherever it is built (ctest
 * gpu/test_device_procs/host), so that a failure on a GPU points at the
 * device path and not at the test.
 *
 * CUDA does not survive fork, so this process makes no CUDA call at all
 * (procs_spawn.c).  Whether there is a GPU is asked by a short-lived
 * child; without one (or without a driver) the test prints why on one
 * line and exits 77, which ctest reports as skipped.  For each rank count
 * the ranks are forked first and the unique id made afterwards
 * (mr_fork_ranks: the rendezvous thread must not exist while forking);
 * each rank joins with weft_comm_init_rank.  The parent waits with a
 * deadline (--timeout, 600 s per rank count): once one rank has failed
 * the others get 15 s more, since they could only be waiting for it;
 * those still running then are killed and counted as failed.  Exit
 * status 1 if any rank did not exit 0.
 */
#include "multirank/mr_data.h"
#include "multirank/mr_harness.h"
#include "procs_rank.h"
#include "procs_spawn.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_RANKS 64

/* Says why each rank that did not exit 0 failed; returns how many. */
static int report(int n, const pid_t *pids, const int *status, int started, int cut,
                  double timeout_s)
{
    int bad = 0;
    for (int r = 0; r < started; r++) {
        int ws = status[r];
        if (ws != PROCS_KILLED && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
            continue;
        bad++;
        if (ws == PROCS_KILLED && cut)
            fprintf(stderr, "FAIL [n=%d rank %d] pid %d killed %.0f s after another rank failed\n",
                    n, r, (int)pids[r], PROCS_GRACE_S);
        else if (ws == PROCS_KILLED)
            fprintf(stderr, "FAIL [n=%d rank %d] pid %d still running after %.0f s: killed\n", n, r,
                    (int)pids[r], timeout_s);
        else if (WIFSIGNALED(ws))
            fprintf(stderr, "FAIL [n=%d rank %d] pid %d died of signal %d (%s)\n", n, r,
                    (int)pids[r], WTERMSIG(ws), strsignal(WTERMSIG(ws)));
        else
            fprintf(stderr, "FAIL [n=%d rank %d] pid %d exited with %d (%s)\n", n, r, (int)pids[r],
                    WEXITSTATUS(ws),
                    WEXITSTATUS(ws) == PROCS_RANK_SETUP ? "could not set up" : "failed");
    }
    return bad;
}

/* One run of n rank processes; returns how many failed. */
static int run_ranks(int n, double timeout_s, int on_host)
{
    pid_t pids[MAX_RANKS];
    int status[MAX_RANKS], started = 0;
    weft_unique_id_t id;
    double start = mr_now();
    int rc = mr_fork_ranks(n, pids, &id, &started);
    if (rc == 1) /* a rank: never back into the parent's loop */
        _exit(procs_rank_main(started, n, &id, on_host));
    int bad = rc < 0 || started < n;
    if (started < n)
        fprintf(stderr, "FAIL [n=%d] started only %d rank processes\n", n, started);
    /* Without every rank or the id, those started could only time out. */
    int cut = procs_wait(pids, started, bad ? 0 : timeout_s, status);
    bad += report(n, pids, status, started, cut, timeout_s);
    printf("test_device_procs: %d ranks: %s (%.1f s)\n", n, bad ? "FAILED" : "ok",
           mr_now() - start);
    fflush(stdout);
    return bad;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: test_device_procs [--nranks 1,2,3,4,8] [--timeout SECONDS] [--host]\n"
            "  ranks per run: 1 to %d; timeout: per run, default 600;\n"
            "  --host: host buffers, no GPU needed (the test's self-check)\n",
            MAX_RANKS);
    return 2;
}

int main(int argc, char **argv)
{
    long nranks[16] = {1, 2, 3, 4, 8};
    int nn = 5;
    double timeout_s = 600;
    int on_host = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--host") == 0)
            on_host = 1;
        else if (strcmp(argv[i], "--nranks") == 0 && i + 1 < argc)
            nn = mr_parse_int_list(argv[++i], nranks, 16);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout_s = atof(argv[++i]);
        else
            return usage();
    }
    for (int i = 0; i < nn; i++) {
        if (nranks[i] < 1 || nranks[i] > MAX_RANKS)
            nn = -1;
    }
    if (nn <= 0 || !(timeout_s > 0))
        return usage();
    signal(SIGPIPE, SIG_IGN); /* handing the id to a rank that died must not kill us */
    procs_probe_t probe = {0, ""};
    if (!on_host && procs_probe(&probe) != 0)
        return 1;
    if (probe.ndev == 0 && !on_host) {
        printf("test_device_procs: SKIPPED: no usable GPU (%s)\n", probe.what);
        return 77;
    }
    if (on_host)
        printf("test_device_procs: --host: host buffers, no CUDA call\n");
    else
        printf("test_device_procs: %d GPU(s); %s\n", probe.ndev, probe.what);
    mr_data_init(); /* before forking: every rank inherits the tables */
    int bad = 0;
    for (int i = 0; i < nn; i++)
        bad += run_ranks((int)nranks[i], timeout_s, on_host);
    if (bad > 0) {
        fprintf(stderr, "test_device_procs: FAILED: %d rank processes did not pass\n", bad);
        return 1;
    }
    printf("test_device_procs: ok\n");
    return 0;
}
