/*
 * test_verify.c - proves every schedule generator with the verifier.
 *
 * For every algorithm of every collective: nranks 1..64, counts 0, 1,
 * n-1, n, n+1, primes and a large one, in-place and out-of-place, SUM and
 * AVG, several roots, a small pipeline slice (many slices in flight) and a
 * large one.  Then broken schedules, to show that the verifier rejects
 * each kind of mistake it claims to catch.
 *
 * WEFT_VERIFY_MAX_N limits nranks for a quick run (default 64);
 * WEFT_VERIFY_ALGO=name proves only the algorithms of that name.
 */
#include "algo/verify.h"
#include "algo/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, cases;

static void run_case(const weft_algo_t *al, weft_verify_case_t *vc)
{
    char msg[512];
    cases++;
    if (weft__verify(al, vc, msg, sizeof(msg), NULL) != WEFT_OK) {
        if (failures++ < 20)
            fprintf(stderr, "FAIL %s/%s n=%d count=%llu op=%d root=%d slice=%llu inplace=%d: %s\n",
                    weft__coll_name(al->coll), al->name, vc->nranks,
                    (unsigned long long)vc->count, vc->op, vc->root,
                    (unsigned long long)vc->slice, vc->in_place, msg);
    }
}

static void sweep_algo(const weft_algo_t *al, int max_n)
{
    for (int n = al->coll == WEFT_COLL_SEND ? 2 : 1; n <= max_n; n++) {
        uint64_t big = n <= 16 ? 10007 : 1009;
        uint64_t counts[] = {0, 1, (uint64_t)n - 1, (uint64_t)n, (uint64_t)n + 1, 7, 13, 97, big};
        int roots[] = {0, n - 1, n / 2};
        weft_op_t ops[] = {WEFT_SUM, WEFT_AVG};
        int nroots = (al->coll == WEFT_COLL_BROADCAST || al->coll == WEFT_COLL_REDUCE) ? 3 : 1;
        int nops = (al->coll == WEFT_COLL_ALLGATHER || al->coll == WEFT_COLL_BROADCAST ||
                    al->coll == WEFT_COLL_BARRIER)
                       ? 1
                       : 2;
        int ncounts = al->coll == WEFT_COLL_BARRIER ? 1 : (int)(sizeof(counts) / sizeof(*counts));
        for (int ci = 0; ci < ncounts; ci++) {
            /* A slice that cuts each block into about three pieces (so that
             * the pipeline has several slices in flight, uneven ones
             * included), and one larger than any message. */
            uint64_t slices[] = {counts[ci] / (3 * (uint64_t)n) + 1, 1u << 20};
            for (int si = 0; si < 2; si++)
                for (int oi = 0; oi < nops; oi++)
                    for (int ri = 0; ri < nroots; ri++)
                        for (int ip = 0; ip < 2; ip++) {
                            weft_verify_case_t vc = {al->coll, n, counts[ci], ops[oi],
                                                     roots[ri], slices[si], ip, NULL};
                            run_case(al, &vc);
                        }
        }
    }
}

/* One layout case: label[r] names rank r's node; key (or NULL: rank
 * order) orders the ranks within a node, as the rails do. */
static void layout_case_ordered(const weft_algo_t *al, int n, const int *label, const int *key)
{
    weft_layout_t l;
    if (weft__layout_build_ordered(&l, n, label, key) != WEFT_OK) {
        failures++;
        return;
    }
    uint64_t counts[] = {0, 1, (uint64_t)n - 1, 13, 97, 1009};
    weft_op_t ops[] = {WEFT_SUM, WEFT_AVG};
    for (int ci = 0; ci < 6; ci++)
        for (int oi = 0; oi < 2; oi++)
            for (int ip = 0; ip < 2; ip++) {
                uint64_t slices[] = {counts[ci] / (3 * (uint64_t)n) + 1, 1u << 20};
                for (int si = 0; si < 2; si++) {
                    weft_verify_case_t vc = {al->coll, n,  counts[ci], ops[oi],
                                             0,        slices[si], ip,  &l};
                    run_case(al, &vc);
                }
            }
    weft__layout_free(&l);
}

static void layout_case(const weft_algo_t *al, int n, const int *label)
{
    layout_case_ordered(al, n, label, NULL);
}

/* Topology-aware algorithms: 1..8 nodes x 1..8 ranks per node, in blocks
 * and interleaved (rank r on node r mod N), and uneven nodes, also with
 * the ranks of each node ordered against rank order. */
static void sweep_layouts(const weft_algo_t *al, int max_n)
{
    int label[64];
    for (int nodes = 1; nodes <= 8; nodes++)
        for (int per = 1; per <= 8 && nodes * per <= max_n; per++) {
            int n = nodes * per;
            for (int r = 0; r < n; r++)
                label[r] = r / per;
            layout_case(al, n, label);
            for (int r = 0; r < n; r++)
                label[r] = r % nodes;
            layout_case(al, n, label);
        }
    /* Uneven: node j holds 1 + (j * 5 + 3) % 7 ranks, shuffled by a stride. */
    for (int nodes = 2; nodes <= 8; nodes++) {
        int n = 0;
        for (int j = 0; j < nodes; j++)
            for (int k = 0; k < 1 + (j * 5 + 3) % 7 && n < max_n; k++)
                label[n++] = j;
        int shuffled[64];
        for (int r = 0; r < n; r++)
            shuffled[r] = label[(r * 7) % n == r ? r : (r * 7) % n];
        layout_case(al, n, label);
        if (n % 7 != 0)
            layout_case(al, n, shuffled);
        /* Local ranks against rank order (rails named in reverse). */
        int reverse[64];
        for (int r = 0; r < n; r++)
            reverse[r] = n - r;
        layout_case_ordered(al, n, shuffled, reverse);
    }
}

/* --- broken generators: each must be rejected --------------------------- */

static weft_status_t gen_double_count(const weft_coll_args_t *a, weft_sched_t *s)
{
    /* Ring all-reduce, then every rank adds its own input once more. */
    weft__gen_allreduce_ring(a, s);
    int32_t deps[4096];
    int nd = 0;
    for (uint32_t i = 0; i < s->nsteps && nd < 4096; i++)
        deps[nd++] = (int32_t)i;
    weft__sched_reduce(s, weft__region(1, 0, a->count), weft__region(0, 0, a->count),
                       weft__region(1, 0, a->count), a->dt, a->op, deps, nd);
    return s->status;
}

/* The builder orders conflicting steps by itself; a broken schedule is
 * made by taking a step's dependencies away afterwards. */
static void strip_deps(weft_sched_t *s, int32_t step)
{
    if (step >= 0)
        s->steps[step].ndeps = 0;
}

static weft_status_t gen_race(const weft_coll_args_t *a, weft_sched_t *s)
{
    /* Sends the receive buffer while a receive overwrites it, unordered. */
    int peer = (a->rank + 1) % a->nranks, prev = (a->rank + a->nranks - 1) % a->nranks;
    weft__sched_copy(s, weft__region(0, 0, a->count), weft__region(1, 0, a->count), a->dt, NULL, 0);
    weft__sched_send(s, peer, weft__region(1, 0, a->count), a->dt, NULL, 0);
    strip_deps(s, weft__sched_recv(s, prev, weft__region(1, 0, a->count), a->dt, NULL, 0));
    return s->status;
}

static weft_status_t gen_deadlock(const weft_coll_args_t *a, weft_sched_t *s)
{
    /* Every rank waits to receive before it sends: a cycle. */
    int peer = (a->rank + 1) % a->nranks, prev = (a->rank + a->nranks - 1) % a->nranks;
    int32_t got = weft__sched_recv(s, prev, weft__region(1, 0, a->count), a->dt, NULL, 0);
    weft__sched_send(s, peer, weft__region(0, 0, a->count), a->dt, &got, 1);
    return s->status;
}

static weft_status_t gen_missing(const weft_coll_args_t *a, weft_sched_t *s)
{
    /* Recursive doubling with its last step left out. */
    weft__gen_allreduce_rd(a, s);
    if (s->nsteps > 2)
        s->nsteps -= 2;
    return s->status;
}

static weft_status_t gen_size_mismatch(const weft_coll_args_t *a, weft_sched_t *s)
{
    int peer = (a->rank + 1) % a->nranks, prev = (a->rank + a->nranks - 1) % a->nranks;
    uint64_t c = a->count - (a->rank == 0 ? 1 : 0);
    weft__sched_send(s, peer, weft__region(0, 0, c), a->dt, NULL, 0);
    strip_deps(s, weft__sched_recv(s, prev, weft__region(1, 0, a->count), a->dt, NULL, 0));
    return s->status;
}

static weft_status_t gen_out_of_bounds(const weft_coll_args_t *a, weft_sched_t *s)
{
    weft__sched_copy(s, weft__region(0, 1, a->count), weft__region(1, 0, a->count), a->dt, NULL, 0);
    return s->status;
}

static weft_status_t gen_inplace_race(const weft_coll_args_t *a, weft_sched_t *s)
{
    /* Correct out-of-place, racy in-place: receives over the input while
     * sending it. */
    int peer = (a->rank + 1) % a->nranks;
    weft__sched_send(s, peer, weft__region(0, 0, a->count), a->dt, NULL, 0);
    strip_deps(s, weft__sched_recv_reduce(s, peer, weft__region(0, 0, a->count),
                                          weft__region(1, 0, a->count), a->dt, a->op, NULL, 0));
    return s->status;
}

static void expect_rejected(const char *what, const char *why, weft_algo_gen_t gen, int n,
                            int in_place)
{
    weft_algo_t al = {what, WEFT_COLL_ALLREDUCE, gen, 1};
    weft_verify_case_t vc = {WEFT_COLL_ALLREDUCE, n, 12, WEFT_SUM, 0, 4, in_place, NULL};
    char msg[512];
    cases++;
    if (weft__verify(&al, &vc, msg, sizeof(msg), NULL) == WEFT_OK) {
        failures++;
        fprintf(stderr, "FAIL the verifier accepted the broken schedule '%s'\n", what);
    } else if (strstr(msg, why) == NULL) {
        failures++;
        fprintf(stderr, "FAIL '%s' rejected for another reason than '%s': %s\n", what, why, msg);
    } else {
        printf("rejected %-14s: %s\n", what, msg);
    }
}

/* test_verify [K/M | rejects]: with K/M, prove only the algorithms whose
 * position in the list of all of them is K modulo M (ctest runs M shards,
 * so that they share the cores, and a new algorithm lands in one of them
 * by itself); "rejects": only the broken schedules; neither: everything. */
int main(int argc, char **argv)
{
    const char *arg = argc > 1 ? argv[1] : "";
    int shard = 0, nshards = 1, rejects_only = strcmp(arg, "rejects") == 0;
    if (arg[0] != '\0' && !rejects_only &&
        (sscanf(arg, "%d/%d", &shard, &nshards) != 2 || nshards < 1 || shard < 0 ||
         shard >= nshards)) {
        fprintf(stderr, "usage: test_verify [K/M | rejects]\n");
        return 2;
    }
    int max_n = getenv("WEFT_VERIFY_MAX_N") ? atoi(getenv("WEFT_VERIFY_MAX_N")) : 64;
    if (max_n < 1 || max_n > WEFT_VERIFY_MAX_RANKS)
        max_n = WEFT_VERIFY_MAX_RANKS;
    const char *only = getenv("WEFT_VERIFY_ALGO");
    int position = 0;
    for (int c = 0; c < WEFT_NUM_COLLS; c++) {
        const weft_algo_t *list[16];
        int k = weft__algo_list((weft_coll_t)c, list, 16);
        for (int i = 0; i < k; i++) {
            if (c == WEFT_COLL_RECV)
                continue; /* proven together with SEND */
            if (rejects_only || position++ % nshards != shard)
                continue;
            if (only != NULL && strcmp(only, list[i]->name) != 0)
                continue;
            int before = failures, before_cases = cases;
            sweep_algo(list[i], c == WEFT_COLL_SEND ? (max_n < 2 ? 1 : max_n) : max_n);
            if (strncmp(list[i]->name, "hier", 4) == 0 || strcmp(list[i]->name, "dbt") == 0)
                sweep_layouts(list[i], max_n);
            printf("%-14s %-14s %6d cases %s\n", weft__coll_name(list[i]->coll), list[i]->name,
                   cases - before_cases, failures == before ? "proven" : "FAILED");
        }
    }
    if (nshards > 1) { /* the rejects run once, in unit/test_verify */
        printf("%d cases, %d failures\n", cases, failures);
        return failures ? 1 : 0;
    }
    expect_rejected("double-count", "twice", gen_double_count, 4, 0);
    expect_rejected("race", "race", gen_race, 3, 0);
    expect_rejected("deadlock", "deadlock", gen_deadlock, 3, 0);
    expect_rejected("missing-step", "output element", gen_missing, 4, 0);
    expect_rejected("size-mismatch", "expects", gen_size_mismatch, 3, 0);
    expect_rejected("out-of-bounds", "outside", gen_out_of_bounds, 2, 0);
    expect_rejected("in-place-race", "race", gen_inplace_race, 2, 1);
    printf("%d cases, %d failures\n", cases, failures);
    return failures ? 1 : 0;
}
