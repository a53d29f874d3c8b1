/*
 * allreduce_dbt.c - double binary tree all-reduce.
 *
 * Two binary trees over the n ranks, each carrying half of the vector: in
 * each, a rank reduces what its (at most two) children send, passes the
 * sum to its parent, and once the root has the total, it flows back down
 * the same edges.  Tree A is the in-order tree over positions 1..n (rank m
 * at position m+1): the odd positions, every other rank, are its leaves.
 * Tree B is the same tree with every rank moved one position on, so that
 * the leaves of A are interior in B and the other way round: each rank
 * forwards about one tree's worth of data, not two.  Both halves move in
 * slices, so the reduction and the broadcast of different slices overlap.
 *
 * Ranks are placed on the trees in node order (the layout's members), so
 * that most tree edges stay within a node.
 *
 * Cost: about 2 log2(n) alpha + 2 S beta (+ S gamma): log-depth latency
 * with full bandwidth, for medium messages at scale.
 */
#include "algo/algo.h"
#include "algo/pattern.h"
#include "algo/sched.h"

#include <stdlib.h>

/* Parent and children of 1-based position r in the in-order tree on 1..n
 * (0 where absent). */
static void tree_links(int n, int r, int *parent_p, int *child_p)
{
    int b = r & -r, top = weft__pow2_floor(n);
    child_p[0] = child_p[1] = 0;
    if (b > 1) {
        child_p[0] = r - b / 2;
        int c = r + b / 2;
        while (c > n && (c & -c) > 1)
            c -= (c & -c) / 2;
        child_p[1] = c <= n ? c : 0;
    }
    *parent_p = 0;
    if (r == top)
        return;
    /* The parent has the next bit up; past n, climb until inside. */
    int p = r, pb = b;
    do {
        p = (p / (2 * pb)) % 2 == 0 ? p + pb : p - pb;
        pb *= 2;
    } while (p > n);
    *parent_p = p;
}

typedef struct {
    weft_sched_t *s;
    const weft_coll_args_t *a;
    const int *order; /* rank at each tree index */
    int me;           /* this rank's index in order */
} dbt_t;

typedef struct {
    int parent, child[2]; /* ranks, -1 where absent */
    uint64_t off, count;  /* the part of the vector this tree carries */
} tree_t;

static tree_t make_tree(const dbt_t *d, int shift, uint64_t off, uint64_t count)
{
    int n = d->a->nranks, r = (d->me + shift) % n + 1, parent, child[2];
    tree_links(n, r, &parent, child);
    tree_t t = {parent ? d->order[(parent - 1 - shift + n) % n] : -1,
                {child[0] ? d->order[(child[0] - 1 - shift + n) % n] : -1,
                 child[1] ? d->order[(child[1] - 1 - shift + n) % n] : -1},
                off, count};
    return t;
}

/* Slice sl of a tree's part, or an empty region past its end. */
static weft_region_t slice_of(const dbt_t *d, const tree_t *t, uint32_t buf, uint64_t sl)
{
    uint64_t lo = sl * d->a->slice;
    if (lo >= t->count)
        return weft__region(buf, t->off + t->count, 0);
    uint64_t len = t->count - lo < d->a->slice ? t->count - lo : d->a->slice;
    return weft__region(buf, t->off + lo, len);
}

/* Slice sl going up: children's sums reduced in, the total to the parent
 * (or, at the root, divided for AVG). */
static void up(const dbt_t *d, const tree_t *t, uint64_t sl)
{
    const weft_coll_args_t *a = d->a;
    weft_op_t op = a->op == WEFT_AVG ? WEFT_SUM : a->op;
    weft_region_t in = slice_of(d, t, 0, sl), out = slice_of(d, t, 1, sl), acc = in;
    for (int c = 0; c < 2; c++) {
        if (t->child[c] >= 0) {
            weft__sched_recv_reduce(d->s, t->child[c], acc, out, a->dt, op, NULL, 0);
            acc = out;
        }
    }
    if (t->parent >= 0) {
        weft__sched_send(d->s, t->parent, acc, a->dt, NULL, 0);
        return;
    }
    if (acc.buf == 0) /* a tree of one */
        weft__sched_copy(d->s, in, out, a->dt, NULL, 0);
    if (a->op == WEFT_AVG)
        weft__sched_divide(d->s, out, a->dt, (uint32_t)a->nranks, NULL, 0);
}

/* Slice sl coming down: the total from the parent, on to the children. */
static void down(const dbt_t *d, const tree_t *t, uint64_t sl)
{
    weft_region_t out = slice_of(d, t, 1, sl);
    if (t->parent >= 0)
        weft__sched_recv(d->s, t->parent, out, d->a->dt, NULL, 0);
    for (int c = 0; c < 2; c++) {
        if (t->child[c] >= 0)
            weft__sched_send(d->s, t->child[c], out, d->a->dt, NULL, 0);
    }
}

weft_status_t weft__gen_allreduce_dbt(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "dbt";
    int n = a->nranks, *order = malloc((size_t)n * sizeof(int)), me = 0;
    if (order == NULL)
        return s->status = WEFT_ERR_NO_MEMORY;
    for (int i = 0; i < n; i++) {
        order[i] = a->layout != NULL ? a->layout->members[i] : i;
        if (order[i] == a->rank)
            me = i;
    }
    dbt_t d = {s, a, order, me};
    uint64_t half = a->count / 2;
    tree_t t[2] = {make_tree(&d, 0, 0, half), make_tree(&d, n > 1 ? 1 : 0, half, a->count - half)};
    /* Slice by slice, both trees, up then down: the order each peer posts
     * and matches messages, so that neither tree waits behind the other. */
    uint64_t nsl = weft__nslices(a->count - half, a->slice);
    for (uint64_t sl = 0; sl < nsl; sl++) {
        up(&d, &t[0], sl);
        up(&d, &t[1], sl);
        down(&d, &t[0], sl);
        down(&d, &t[1], sl);
    }
    free(order);
    return s->status;
}
