/*
 * mr_sweep.c - the collective correctness sweep: every collective x
 * datatype x op x count x in-place/out-of-place x root, on communicators
 * of each requested size, with ranks as threads, one group-driving
 * thread, or processes (see mr_harness.h).
 *
 *   mr_sweep --mode group|threads|fork|exec --nranks 1,2,3,4,5,8
 *            [--colls allreduce,...] [--dtypes float32,...|all]
 *            [--ops sum,...|all] [--counts 0,1,7,...] [--inplace 0,1]
 *
 * WEFT_ALGO, when set, is also checked: every collective that has the
 * forced algorithm must report it through weft_comm_last_algo.  Exit 0
 * when everything matched, 1 otherwise (the failures are printed with
 * rank, case, element index, got and expected).
 */
#include "multirank/mr_coll.h"
#include "multirank/mr_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 16

typedef struct {
    const char *mode;
    long nranks[MAX_LIST];
    int n_nranks;
    mr_coll_t colls[MR_NUM_COLLS];
    int ncolls;
    weft_datatype_t dtypes[WEFT_NUM_DATATYPES];
    int ndtypes;
    weft_op_t ops[WEFT_NUM_OPS];
    int nops;
    long counts[MAX_LIST];
    int ncounts;
    long inplace[2];
    int ninplace;
    const char *forced_algo;
} opts_t;

static int parse_names(const char *text, int max, int (*parse)(const char *, int *), int *out)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", text);
    int k = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (k == max || parse(tok, &out[k]) != 0)
            return -1;
        k++;
    }
    return k;
}

static int parse_coll(const char *s, int *v)
{
    mr_coll_t c;
    int rc = mr_coll_parse(s, &c);
    *v = (int)c;
    return rc;
}

static int parse_dtype(const char *s, int *v)
{
    weft_datatype_t d;
    int rc = mr_dtype_parse(s, &d);
    *v = (int)d;
    return rc;
}

static int parse_op(const char *s, int *v)
{
    weft_op_t o;
    int rc = mr_op_parse(s, &o);
    *v = (int)o;
    return rc;
}

static void usage(const char *msg)
{
    fprintf(stderr,
            "mr_sweep: %s\nusage: mr_sweep --mode group|threads|fork|exec --nranks "
            "1,2,... [--colls ...] [--dtypes ...|all] [--ops ...|all] [--counts ...] "
            "[--inplace 0,1]\n",
            msg);
    exit(2);
}

static void parse_args(int argc, char **argv, opts_t *o)
{
    static const long default_counts[] = {0, 1, 7, 1000, 10007, 262147};
    int tmp[MAX_LIST];
    *o = (opts_t){.mode = "group", .n_nranks = 1, .nranks = {2}, .ninplace = 2, .inplace = {0, 1}};
    o->ncolls = MR_NUM_COLLS;
    for (int c = 0; c < MR_NUM_COLLS; c++)
        o->colls[c] = (mr_coll_t)c;
    o->ndtypes = WEFT_NUM_DATATYPES;
    for (int d = 0; d < WEFT_NUM_DATATYPES; d++)
        o->dtypes[d] = (weft_datatype_t)d;
    o->nops = WEFT_NUM_OPS;
    for (int p = 0; p < WEFT_NUM_OPS; p++)
        o->ops[p] = (weft_op_t)p;
    o->ncounts = (int)(sizeof(default_counts) / sizeof(default_counts[0]));
    memcpy(o->counts, default_counts, sizeof(default_counts));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            usage("missing value");
        i++;
        int k = 0;
        if (strcmp(a, "--mode") == 0) {
            o->mode = v;
            k = 1;
        } else if (strcmp(a, "--nranks") == 0) {
            k = o->n_nranks = mr_parse_int_list(v, o->nranks, MAX_LIST);
        } else if (strcmp(a, "--counts") == 0) {
            k = o->ncounts = mr_parse_int_list(v, o->counts, MAX_LIST);
        } else if (strcmp(a, "--inplace") == 0) {
            k = o->ninplace = mr_parse_int_list(v, o->inplace, 2);
        } else if (strcmp(a, "--colls") == 0) {
            k = o->ncolls = parse_names(v, MR_NUM_COLLS, parse_coll, tmp);
            for (int j = 0; j < k; j++)
                o->colls[j] = (mr_coll_t)tmp[j];
        } else if (strcmp(a, "--dtypes") == 0 && strcmp(v, "all") != 0) {
            k = o->ndtypes = parse_names(v, WEFT_NUM_DATATYPES, parse_dtype, tmp);
            for (int j = 0; j < k; j++)
                o->dtypes[j] = (weft_datatype_t)tmp[j];
        } else if (strcmp(a, "--ops") == 0 && strcmp(v, "all") != 0) {
            k = o->nops = parse_names(v, WEFT_NUM_OPS, parse_op, tmp);
            for (int j = 0; j < k; j++)
                o->ops[j] = (weft_op_t)tmp[j];
        } else if (strcmp(a, "--dtypes") != 0 && strcmp(a, "--ops") != 0) {
            usage(a);
        } else {
            k = 1;
        }
        if (k <= 0)
            usage(a);
    }
    for (int i = 0; i < o->n_nranks; i++) {
        if (o->nranks[i] < 1 || o->nranks[i] > MR_MAX_EXACT_RANKS)
            usage("nranks must be in 1..16 (the test data stay exact up to 16 ranks)");
    }
    o->forced_algo = getenv("WEFT_ALGO");
}

/* Distinct roots among 0, n-1 and n/2. */
static int roots_of(int n, int *roots)
{
    int k = 0, cand[3] = {0, n - 1, n / 2};
    for (int i = 0; i < 3; i++) {
        int dup = 0;
        for (int j = 0; j < k; j++)
            dup |= roots[j] == cand[i];
        if (!dup)
            roots[k++] = cand[i];
    }
    return k;
}

static int run_coll(mr_rank_t **ranks, int k, const opts_t *o, mr_coll_t coll, unsigned *id)
{
    int n = ranks[0]->nranks, roots[3], nroots = mr_coll_has_root(coll) ? roots_of(n, roots) : 1;
    int nops = mr_coll_has_op(coll) ? o->nops : 1, cases = 0;
    if (!mr_coll_has_root(coll))
        roots[0] = 0;
    for (int d = 0; d < o->ndtypes; d++) {
        for (int p = 0; p < nops; p++) {
            for (int c = 0; c < o->ncounts; c++) {
                for (int ip = 0; ip < o->ninplace; ip++) {
                    for (int r = 0; r < nroots; r++) {
                        mr_case_t cs = {coll,
                                        o->dtypes[d],
                                        o->ops[p],
                                        (size_t)o->counts[c],
                                        (int)o->inplace[ip],
                                        roots[r],
                                        *id,
                                        (uint32_t)mr_mix64(*id)};
                        (*id)++;
                        mr_case_run(ranks, k, &cs, o->forced_algo);
                        cases++;
                    }
                }
            }
        }
    }
    return cases;
}

static int body(mr_rank_t **ranks, int k, void *arg)
{
    const opts_t *o = arg;
    unsigned id = 0;
    int cases = 0;
    double t0 = mr_now();
    mr_warm_up(ranks, k);
    for (int c = 0; c < o->ncolls; c++) {
        double tc = mr_now();
        int nc = run_coll(ranks, k, o, o->colls[c], &id);
        cases += nc;
        if (ranks[0]->rank == 0)
            printf("  [%s n=%d] %-14s %5d cases  %6.2f s\n", ranks[0]->mode, ranks[0]->nranks,
                   mr_coll_name(o->colls[c]), nc, mr_now() - tc);
    }
    int failures = 0;
    for (int i = 0; i < k; i++) {
        failures += ranks[i]->failures;
        mr_case_free(ranks[i]);
    }
    if (ranks[0]->rank == 0)
        printf("[%s n=%d] %d cases on %d rank(s) in %.2f s%s\n", ranks[0]->mode, ranks[0]->nranks,
               cases, ranks[0]->nranks, mr_now() - t0,
               failures ? " (rank 0's view: failures)" : "");
    fflush(stdout);
    return failures;
}

int main(int argc, char **argv)
{
    opts_t o;
    parse_args(argc, argv, &o);
    mr_data_init();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (mr_is_exec_child())
        return mr_exec_child(body, &o);
    mr_watchdog((unsigned)mr_proc_timeout() + 60);
    int failures = 0;
    for (int i = 0; i < o.n_nranks; i++)
        failures += mr_run(o.mode, (int)o.nranks[i], body, &o, argv, NULL);
    printf("%s: %d failure(s)%s%s\n", failures ? "FAILED" : "PASSED", failures,
           o.forced_algo ? ", WEFT_ALGO=" : "", o.forced_algo ? o.forced_algo : "");
    return failures ? 1 : 0;
}
