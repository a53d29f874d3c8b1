/*
 * mr_p2p.c - point-to-point, barrier and split on communicators of each
 * requested size:
 *
 *   ring     every rank sends to r+1 and receives from r-1 in one group,
 *            for several datatypes and counts (0 to 2 Mi elements);
 *   pairs    ranks r and r^1 exchange a train of messages of very
 *            different sizes (order of matching), in a group and, where
 *            each rank has its own thread, blocking: the even rank sends
 *            first, the odd one receives first;
 *   barrier  no rank leaves barrier k before every rank has entered it:
 *            each rank bumps a shared counter (memory shared with forked
 *            children) right before barrier k, after random delays, and
 *            checks after it that the counter reached nranks;
 *   split    color = rank % 2, key = -rank: the new rank and size, an
 *            all-reduce and an all-gather in each half (the gather shows
 *            the key order); then a split where some ranks pass
 *            WEFT_SPLIT_NOCOLOR and get NULL.
 *
 *   mr_p2p --mode threads|group|fork --nranks 1,2,3 --tests ring,pairs,barrier,split
 * Tests that need one thread per rank (blocking pairs, barrier, split)
 * are skipped in group mode; barrier is skipped in exec mode (no shared
 * memory).
 */
#include "multirank/mr_coll.h"
#include "multirank/mr_data.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BARRIERS 64

typedef struct {
    const char *mode;
    long nranks[16];
    int n_nranks;
    char tests[128];
    _Atomic int *entered; /* [MAX_BARRIERS], shared with forked ranks */
} opts_t;

static int wants(const opts_t *o, const char *t)
{
    return strstr(o->tests, t) != NULL;
}

static void must(mr_rank_t *rk, weft_status_t st, const char *what)
{
    if (st != WEFT_OK)
        mr_fatal(rk, "%s returned %s: %s", what, weft_status_string(st), weft_last_error());
}

/* --- ring ------------------------------------------------------------------ */

static void ring_case(mr_rank_t **rks, int k, weft_datatype_t dt, size_t count, uint32_t salt)
{
    int n = rks[0]->nranks;
    size_t es = mr_dtype_size(dt);
    mr_gbuf_t *sg = calloc((size_t)k, sizeof(*sg)), *rg = calloc((size_t)k, sizeof(*rg));
    void **sb = calloc((size_t)k, sizeof(void *)), **rb = calloc((size_t)k, sizeof(void *));
    for (int i = 0; i < k; i++) {
        sb[i] = mr_gbuf_alloc(&sg[i], count * es, 0);
        rb[i] = mr_gbuf_alloc(&rg[i], count * es, 0x6d);
        mr_fill(sb[i], count, 0, dt, MR_VALS_RAW, rks[i]->rank, salt);
    }
    weft_group_start();
    for (int i = 0; i < k; i++) {
        int r = rks[i]->rank;
        must(rks[i], weft_send(sb[i], count, dt, (r + 1) % n, rks[i]->comm, NULL), "weft_send");
        must(rks[i], weft_recv(rb[i], count, dt, (r + n - 1) % n, rks[i]->comm, NULL), "weft_recv");
    }
    must(rks[0], weft_group_end(), "ring: weft_group_end");
    char what[128];
    snprintf(what, sizeof(what), "ring send/recv %s count %zu: from rank r-1", mr_dtype_name(dt),
             count);
    void *want = malloc(count * es + 1);
    for (int i = 0; i < k; i++) {
        mr_fill(want, count, 0, dt, MR_VALS_RAW, (rks[i]->rank + n - 1) % n, salt);
        mr_check_equal(rks[i], what, rb[i], want, count, dt);
        if (mr_gbuf_guards_bad(&rg[i]) || mr_gbuf_guards_bad(&sg[i]))
            mr_fail(rks[i], "%s: guard bytes around the buffers were written", what);
        mr_gbuf_free(&sg[i]);
        mr_gbuf_free(&rg[i]);
    }
    free(want);
    free(sg), free(rg), free(sb), free(rb);
}

static void test_ring(mr_rank_t **rks, int k)
{
    static const weft_datatype_t dts[] = {WEFT_INT8, WEFT_FLOAT16, WEFT_FLOAT32, WEFT_FLOAT64};
    static const size_t counts[] = {1, 0, 7, 1000, 262147, 2u << 20};
    if (rks[0]->nranks < 2)
        return; /* a message to oneself is not supported */
    uint32_t salt = 1;
    for (size_t d = 0; d < sizeof(dts) / sizeof(dts[0]); d++)
        for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
            ring_case(rks, k, dts[d], counts[c], salt++);
}

/* --- pairs ----------------------------------------------------------------- */

static const struct {
    weft_datatype_t dt;
    size_t count;
} train[] = {{WEFT_FLOAT64, 1u << 19}, {WEFT_INT8, 7},      {WEFT_FLOAT16, 3u << 20},
             {WEFT_INT32, 0},          {WEFT_UINT8, 65537}, {WEFT_INT64, 1}};
#define TRAIN (sizeof(train) / sizeof(train[0]))

typedef struct {
    mr_gbuf_t s[TRAIN], r[TRAIN];
    void *sb[TRAIN], *rb[TRAIN];
} pair_bufs_t;

static void pair_setup(pair_bufs_t *b, int rank, uint32_t salt)
{
    for (size_t m = 0; m < TRAIN; m++) {
        size_t bytes = train[m].count * mr_dtype_size(train[m].dt);
        b->sb[m] = mr_gbuf_alloc(&b->s[m], bytes, 0);
        b->rb[m] = mr_gbuf_alloc(&b->r[m], bytes, 0x3e);
        mr_fill(b->sb[m], train[m].count, 0, train[m].dt, MR_VALS_RAW, rank, salt + (uint32_t)m);
    }
}

static void pair_check(mr_rank_t *rk, pair_bufs_t *b, int peer, uint32_t salt, const char *how)
{
    for (size_t m = 0; m < TRAIN; m++) {
        char what[160];
        snprintf(what, sizeof(what), "pairs (%s) message %zu (%s x %zu) from rank %d", how, m,
                 mr_dtype_name(train[m].dt), train[m].count, peer);
        void *want = malloc(train[m].count * mr_dtype_size(train[m].dt) + 1);
        mr_fill(want, train[m].count, 0, train[m].dt, MR_VALS_RAW, peer, salt + (uint32_t)m);
        mr_check_equal(rk, what, b->rb[m], want, train[m].count, train[m].dt);
        if (mr_gbuf_guards_bad(&b->r[m]) || mr_gbuf_guards_bad(&b->s[m]))
            mr_fail(rk, "%s: guard bytes around the buffers were written", what);
        free(want);
        mr_gbuf_free(&b->s[m]);
        mr_gbuf_free(&b->r[m]);
    }
}

static void pairs_grouped(mr_rank_t **rks, int k)
{
    pair_bufs_t *b = calloc((size_t)k, sizeof(*b));
    int n = rks[0]->nranks;
    for (int i = 0; i < k; i++)
        pair_setup(&b[i], rks[i]->rank, 100);
    weft_group_start();
    for (int i = 0; i < k; i++) {
        int peer = rks[i]->rank ^ 1;
        for (size_t m = 0; m < TRAIN && peer < n; m++) {
            must(rks[i],
                 weft_send(b[i].sb[m], train[m].count, train[m].dt, peer, rks[i]->comm, NULL),
                 "weft_send");
            must(rks[i],
                 weft_recv(b[i].rb[m], train[m].count, train[m].dt, peer, rks[i]->comm, NULL),
                 "weft_recv");
        }
    }
    must(rks[0], weft_group_end(), "pairs: weft_group_end");
    for (int i = 0; i < k; i++) {
        if ((rks[i]->rank ^ 1) < n)
            pair_check(rks[i], &b[i], rks[i]->rank ^ 1, 100, "grouped");
        else
            for (size_t m = 0; m < TRAIN; m++)
                mr_gbuf_free(&b[i].s[m]), mr_gbuf_free(&b[i].r[m]);
    }
    free(b);
}

/* One thread per rank: blocking calls, the even rank sending first. */
static void pairs_blocking(mr_rank_t *rk)
{
    int peer = rk->rank ^ 1;
    if (peer >= rk->nranks)
        return;
    pair_bufs_t b;
    pair_setup(&b, rk->rank, 200);
    for (int phase = 0; phase < 2; phase++) {
        int sending = (phase == 0) == ((rk->rank & 1) == 0);
        for (size_t m = 0; m < TRAIN; m++) {
            if (sending)
                must(rk, weft_send(b.sb[m], train[m].count, train[m].dt, peer, rk->comm, NULL),
                     "blocking weft_send");
            else
                must(rk, weft_recv(b.rb[m], train[m].count, train[m].dt, peer, rk->comm, NULL),
                     "blocking weft_recv");
        }
    }
    pair_check(rk, &b, peer, 200, "blocking");
}

/* --- barrier --------------------------------------------------------------- */

static void test_barrier(mr_rank_t *rk, _Atomic int *entered, int nbarriers)
{
    int n = rk->nranks;
    for (int b = 0; b < nbarriers; b++) {
        /* One rank (a different one each time) comes late. */
        long us =
            (b % n == rk->rank) ? 3000 : (long)(mr_mix64((uint64_t)(b * 64 + rk->rank)) % 200);
        struct timespec ts = {0, us * 1000};
        nanosleep(&ts, NULL);
        atomic_fetch_add(&entered[b], 1);
        /* MR_INJECT=barrier skips the call: the self-test that a barrier
         * that does not wait is seen. */
        if (getenv("MR_INJECT") == NULL || strcmp(getenv("MR_INJECT"), "barrier") != 0)
            must(rk, weft_barrier(rk->comm), "weft_barrier");
        int seen = atomic_load(&entered[b]);
        if (seen != n)
            mr_fail(rk, "left barrier %d when only %d of %d ranks had entered it", b, seen, n);
    }
}

/* --- split ----------------------------------------------------------------- */

static void check_sub(mr_rank_t *rk, weft_comm_t sub, const int *members, int size, int myidx,
                      const char *what)
{
    int r = -1, s = -1;
    must(rk, weft_comm_rank(sub, &r), "weft_comm_rank");
    must(rk, weft_comm_size(sub, &s), "weft_comm_size");
    if (r != myidx || s != size) {
        mr_fail(rk, "%s: got rank %d of %d, expected rank %d of %d", what, r, s, myidx, size);
        return;
    }
    enum { C = 1000 };
    int64_t *in = malloc(C * sizeof(int64_t)), *out = malloc(C * sizeof(int64_t));
    int64_t *want = calloc(C, sizeof(int64_t));
    int32_t *gin = malloc(sizeof(int32_t)), *gout = calloc((size_t)size, sizeof(int32_t));
    for (int j = 0; j < C; j++) {
        in[j] = (int64_t)(rk->rank + 1) * 1000003 + j;
        for (int m = 0; m < size; m++)
            want[j] += (int64_t)(members[m] + 1) * 1000003 + j;
    }
    must(rk, weft_allreduce(in, out, C, WEFT_INT64, WEFT_SUM, sub, NULL), "split: weft_allreduce");
    char w[160];
    snprintf(w, sizeof(w), "%s: allreduce sum of (parent rank + 1) * 1000003 + j", what);
    mr_check_equal(rk, w, out, want, C, WEFT_INT64);
    gin[0] = rk->rank;
    must(rk, weft_allgather(gin, gout, 1, WEFT_INT32, sub, NULL), "split: weft_allgather");
    snprintf(w, sizeof(w), "%s: allgather of parent ranks (the new rank order)", what);
    mr_check_equal(rk, w, gout, members, (size_t)size, WEFT_INT32);
    must(rk, weft_barrier(sub), "split: weft_barrier");
    free(in), free(out), free(want), free(gin), free(gout);
}

/* One group holding a call on the parent and one on the half: the thread
 * drives both communicators side by side. */
static void grouped_with_parent(mr_rank_t *rk, weft_comm_t sub)
{
    int n = rk->nranks;
    enum { C = 70001 };
    int32_t *in = malloc(C * sizeof(int32_t)), *all = malloc(C * sizeof(int32_t));
    int32_t *part = malloc(C * sizeof(int32_t)), *w_all = malloc(C * sizeof(int32_t));
    int32_t *w_part = malloc(C * sizeof(int32_t));
    for (int j = 0; j < C; j++) {
        in[j] = (rk->rank + 1) * (j % 1000 + 1);
        w_all[j] = 0, w_part[j] = 0;
        for (int p = 0; p < n; p++) {
            w_all[j] += (p + 1) * (j % 1000 + 1);
            if (p % 2 == rk->rank % 2)
                w_part[j] =
                    (p + 1) * (j % 1000 + 1) > w_part[j] ? (p + 1) * (j % 1000 + 1) : w_part[j];
        }
    }
    weft_group_start();
    must(rk, weft_allreduce(in, all, C, WEFT_INT32, WEFT_SUM, rk->comm, NULL),
         "grouped allreduce on the parent");
    must(rk, weft_allreduce(in, part, C, WEFT_INT32, WEFT_MAX, sub, NULL),
         "grouped allreduce on the half");
    must(rk, weft_group_end(), "weft_group_end over the parent and the half");
    mr_check_equal(rk, "group of parent + half: sum on the parent", all, w_all, C, WEFT_INT32);
    mr_check_equal(rk, "group of parent + half: max on the half", part, w_part, C, WEFT_INT32);
    free(in), free(all), free(part), free(w_all), free(w_part);
}

static void test_split(mr_rank_t *rk)
{
    int n = rk->nranks, me = rk->rank, members[64], size = 0, myidx = -1;
    /* color = rank % 2, key = -rank: new rank order is descending parent rank. */
    for (int p = n - 1; p >= 0; p--) {
        if (p % 2 == me % 2) {
            if (p == me)
                myidx = size;
            members[size++] = p;
        }
    }
    weft_comm_t sub = NULL;
    must(rk, weft_comm_split(rk->comm, me % 2, -me, &sub), "weft_comm_split(rank % 2, -rank)");
    if (sub == NULL)
        mr_fail(rk, "weft_comm_split(rank %% 2, -rank) gave NULL");
    else
        check_sub(rk, sub, members, size, myidx, "split(rank % 2, -rank)");
    /* Ranks with rank % 3 == 0 join none; the others keep parent order. */
    weft_comm_t sub2 = (weft_comm_t)(uintptr_t)0x1;
    int nocolor = me % 3 == 0;
    size = 0;
    for (int p = 0; p < n; p++) {
        if (p % 3 != 0) {
            if (p == me)
                myidx = size;
            members[size++] = p;
        }
    }
    must(rk, weft_comm_split(rk->comm, nocolor ? WEFT_SPLIT_NOCOLOR : 7, 0, &sub2),
         "weft_comm_split(NOCOLOR for rank % 3 == 0)");
    if (nocolor && sub2 != NULL)
        mr_fail(rk, "weft_comm_split with WEFT_SPLIT_NOCOLOR gave %p, expected NULL", (void *)sub2);
    if (!nocolor && sub2 == NULL)
        mr_fail(rk, "weft_comm_split with color 7 gave NULL");
    else if (!nocolor)
        check_sub(rk, sub2, members, size, myidx, "split(color 7, key 0)");
    if (sub != NULL)
        grouped_with_parent(rk, sub);
    if (sub != NULL)
        must(rk, weft_comm_destroy(sub), "weft_comm_destroy(sub)");
    if (!nocolor && sub2 != NULL)
        must(rk, weft_comm_destroy(sub2), "weft_comm_destroy(sub2)");
}

/* --- driver ---------------------------------------------------------------- */

static int body(mr_rank_t **rks, int k, void *arg)
{
    const opts_t *o = arg;
    int threaded = k == 1, n = rks[0]->nranks;
    double t0 = mr_now();
    mr_warm_up(rks, k);
    if (wants(o, "ring"))
        test_ring(rks, k);
    if (wants(o, "pairs")) {
        pairs_grouped(rks, k);
        if (threaded)
            pairs_blocking(rks[0]);
    }
    if (wants(o, "barrier") && threaded && o->entered != NULL) {
        test_barrier(rks[0], o->entered, MAX_BARRIERS);
    } else if (wants(o, "barrier")) {
        weft_group_start(); /* one thread: only that grouped barriers complete */
        for (int i = 0; i < k; i++)
            must(rks[i], weft_barrier(rks[i]->comm), "weft_barrier (grouped)");
        must(rks[0], weft_group_end(), "barrier: weft_group_end");
    }
    if (wants(o, "split") && threaded)
        test_split(rks[0]);
    int failures = 0;
    for (int i = 0; i < k; i++) {
        failures += rks[i]->failures;
        mr_case_free(rks[i]);
    }
    if (rks[0]->rank == 0)
        printf("[%s n=%d] %s: %.2f s\n", rks[0]->mode, n, o->tests, mr_now() - t0);
    return failures;
}

int main(int argc, char **argv)
{
    opts_t o = {.mode = "threads", .n_nranks = 1, .nranks = {2}};
    snprintf(o.tests, sizeof(o.tests), "ring,pairs,barrier,split");
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--mode") == 0)
            o.mode = argv[i + 1];
        else if (strcmp(argv[i], "--nranks") == 0)
            o.n_nranks = mr_parse_int_list(argv[i + 1], o.nranks, 16);
        else if (strcmp(argv[i], "--tests") == 0)
            snprintf(o.tests, sizeof(o.tests), "%s", argv[i + 1]);
        else
            o.n_nranks = -1;
    }
    if (o.n_nranks <= 0) {
        fprintf(stderr,
                "usage: mr_p2p --mode M --nranks 1,2,... --tests ring,pairs,barrier,split\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    mr_data_init();
    if (mr_is_exec_child())
        return mr_exec_child(body, &o);
    mr_watchdog((unsigned)mr_proc_timeout() + 60);
    o.entered = mr_shared_alloc(MAX_BARRIERS * sizeof(_Atomic int));
    int failures = 0;
    for (int i = 0; i < o.n_nranks; i++) {
        for (int b = 0; b < MAX_BARRIERS && o.entered != NULL; b++)
            atomic_store(&o.entered[b], 0);
        failures += mr_run(o.mode, (int)o.nranks[i], body, &o, argv, NULL);
    }
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
