/*
 * check_cost: what the always-on call checks (signatures in message
 * headers, the liveness board) cost an 8-byte all-reduce, measured side by
 * side in one run.
 *
 *   check_cost [-n RANKS] [-b CALLS_PER_BLOCK] [-k BLOCK_PAIRS] [-c COUNT] [-p]
 *
 * Every rank (a process, forked; ranks on one node talk through shared
 * memory) creates two communicators over the same ranks: one with
 * WEFT_CHECK_HEADER (the default, "on"), one with WEFT_CHECK_OFF ("off").
 * It then runs K pairs of blocks, each block B back-to-back all-reduces of
 * COUNT floats on one of them, "on" first in even pairs and "off" first in
 * odd ones.  The two blocks of a pair run a few milliseconds apart, so the
 * machine's drift (other load, frequency, the scheduler) hits both alike,
 * and the ratio on/off of each pair measures the checks alone.  Rank 0
 * prints the median of the K ratios with a 95% confidence interval from
 * order statistics (no assumption about the distribution), and the median
 * time per call of each.  -p pins rank r to CPU r mod ncpus.
 *
 * A ratio of 1.02 is the bound (2% of the latency).
 */
#define _GNU_SOURCE
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <weft.h>

typedef struct {
    int nranks, block, pairs, pin;
    size_t count;
} opts_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The order statistics that bracket the median with about 95% confidence:
 * the count of samples below the true median is Binomial(k, 1/2). */
static void median_ci(double *v, int k, double *med, double *lo, double *hi)
{
    qsort(v, (size_t)k, sizeof(*v), cmp);
    *med = k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
    int d = (int)ceil(0.98 * sqrt((double)k)); /* 1.96 sqrt(k)/2 */
    int a = k / 2 - d, b = k / 2 + d;
    *lo = v[a < 0 ? 0 : a];
    *hi = v[b >= k ? k - 1 : b];
}

static double run_block(weft_comm_t comm, float *buf, const opts_t *o)
{
    double t0 = now();
    for (int i = 0; i < o->block; i++) {
        if (weft_allreduce(buf, buf, o->count, WEFT_FLOAT32, WEFT_SUM, comm, NULL) != WEFT_OK) {
            fprintf(stderr, "check_cost: allreduce failed: %s\n", weft_last_error());
            exit(1);
        }
    }
    return (now() - t0) / o->block;
}

static void report(double *on, double *off, const opts_t *o)
{
    double *ratio = malloc((size_t)o->pairs * sizeof(double)), m, lo, hi, mon, moff, x, y;
    for (int i = 0; i < o->pairs; i++)
        ratio[i] = on[i] / off[i];
    median_ci(ratio, o->pairs, &m, &lo, &hi);
    median_ci(on, o->pairs, &mon, &x, &y);
    median_ci(off, o->pairs, &moff, &x, &y);
    printf("%d ranks, %zu floats, %d pairs of %d calls\n", o->nranks, o->count, o->pairs,
           o->block);
    printf("per call: on %.3f us, off %.3f us (medians of the blocks)\n", mon * 1e6,
           moff * 1e6);
    printf("on/off: median %.4f, 95%% interval [%.4f, %.4f]\n", m, lo, hi);
    free(ratio);
}

static int rank_main(int rank, const weft_unique_id_t ids[2], const opts_t *o)
{
    if (o->pin) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(rank % sysconf(_SC_NPROCESSORS_ONLN), &set);
        sched_setaffinity(0, sizeof(set), &set);
    }
    weft_config_t con = WEFT_CONFIG_INITIALIZER, coff = WEFT_CONFIG_INITIALIZER;
    con.check = WEFT_CHECK_HEADER;
    coff.check = WEFT_CHECK_OFF;
    weft_comm_t on, off;
    if (weft_comm_init_rank_config(o->nranks, &ids[0], rank, &con, &on) != WEFT_OK ||
        weft_comm_init_rank_config(o->nranks, &ids[1], rank, &coff, &off) != WEFT_OK) {
        fprintf(stderr, "check_cost: rank %d: init: %s\n", rank, weft_last_error());
        return 1;
    }
    float *buf = calloc(o->count, sizeof(float));
    double *t_on = malloc((size_t)o->pairs * sizeof(double));
    double *t_off = malloc((size_t)o->pairs * sizeof(double));
    run_block(on, buf, o); /* warm both: plans built, pages touched */
    run_block(off, buf, o);
    for (int i = 0; i < o->pairs; i++) {
        if (i % 2 == 0) {
            t_on[i] = run_block(on, buf, o);
            t_off[i] = run_block(off, buf, o);
        } else {
            t_off[i] = run_block(off, buf, o);
            t_on[i] = run_block(on, buf, o);
        }
    }
    if (rank == 0)
        report(t_on, t_off, o);
    weft_comm_destroy(on);
    weft_comm_destroy(off);
    free(buf);
    free(t_on);
    free(t_off);
    return 0;
}

int main(int argc, char **argv)
{
    opts_t o = {2, 2000, 201, 0, 2};
    int c;
    while ((c = getopt(argc, argv, "n:b:k:c:p")) != -1) {
        switch (c) {
        case 'n': o.nranks = atoi(optarg); break;
        case 'b': o.block = atoi(optarg); break;
        case 'k': o.pairs = atoi(optarg); break;
        case 'c': o.count = (size_t)atol(optarg); break;
        case 'p': o.pin = 1; break;
        default:
            fprintf(stderr, "usage: check_cost [-n RANKS] [-b CALLS] [-k PAIRS] [-c COUNT] [-p]\n");
            return 2;
        }
    }
    if (o.nranks < 2 || o.block < 1 || o.pairs < 5) {
        fprintf(stderr, "check_cost: need -n >= 2, -b >= 1, -k >= 5\n");
        return 2;
    }
    weft_unique_id_t ids[2];
    if (weft_get_unique_id(&ids[0]) != WEFT_OK || weft_get_unique_id(&ids[1]) != WEFT_OK) {
        fprintf(stderr, "check_cost: unique id: %s\n", weft_last_error());
        return 1;
    }
    fflush(stdout);
    for (int r = 1; r < o.nranks; r++) {
        if (fork() == 0)
            _exit(rank_main(r, ids, &o));
    }
    int rc = rank_main(0, ids, &o);
    for (int r = 1; r < o.nranks; r++) {
        int status = 0;
        wait(&status);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = 1;
    }
    return rc;
}
