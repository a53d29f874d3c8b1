/*
 * prims_hd.c - all-reduce of one region among a group of ranks, in place,
 * by halving-doubling or by recursive doubling: the inter-node phase of
 * the hierarchical all-reduce when a ring's 2(n-1) steps cost more than
 * its bandwidth saves.
 *
 * Both fold a group whose size n is not a power of two as pattern.h does,
 * on member indices: with p2 the largest power of two <= n and
 * rem = n - p2, the even member of each of the first rem pairs hands its
 * region to the odd one, sits out, and gets the result back at the end.
 *
 * Halving-doubling (Rabenseifner) cuts the region into p2 blocks.  In the
 * step of distance d = p2/2, ..., 1 each member sends the half of its
 * current block range that its partner (virtual index ^ d) keeps and adds
 * the partner's copy of the half it keeps; then it holds block v summed
 * over the group.  The doubling retraces the steps, each member sending
 * all it holds and receiving its partner's range.  2 log2(p2) steps,
 * 2 (p2-1)/p2 of the region sent per member: the ring's bandwidth with
 * log-many steps.
 *
 * Recursive doubling: in step i every member exchanges the whole region
 * with the member whose virtual index differs in bit i and adds it in.
 * log2(p2) steps of the whole region: the fewest steps, for small regions.
 * It needs two scratch vectors of the region's size (see below).
 *
 * Every message is cut into slices of g->slice elements, the same on both
 * sides, so that a step's reduction starts before its message ends.  The
 * builder derives the memory dependencies (hazard.c): a step that adds
 * into what the previous step sent waits for that send, slice by slice.
 * Each block is combined in one place (halving) or symmetrically with a
 * commutative op (doubling), so every member ends bitwise the same.
 */
#include "algo/pattern.h"
#include "algo/prims.h"

typedef enum { HD_SEND, HD_RECV, HD_RECV_REDUCE, HD_COPY, HD_DIVIDE } hd_kind_t;

/* One step of `kind`, slice by slice: a send or divide of src, a receive
 * into dst, dst = src op incoming, or a copy of src to dst (src and dst of
 * the same count). */
static void sliced(const weft_group_t *g, hd_kind_t kind, int peer, weft_region_t src,
                   weft_region_t dst, uint32_t divisor)
{
    for (uint64_t lo = 0; lo < src.count; lo += g->slice) {
        uint64_t n = src.count - lo < g->slice ? src.count - lo : g->slice;
        weft_region_t s = weft__region(src.buf, src.off + lo, n);
        weft_region_t d = weft__region(dst.buf, dst.off + lo, n);
        switch (kind) {
        case HD_SEND: weft__sched_send(g->s, peer, s, g->dt, NULL, 0); break;
        case HD_RECV: weft__sched_recv(g->s, peer, d, g->dt, NULL, 0); break;
        case HD_RECV_REDUCE:
            weft__sched_recv_reduce(g->s, peer, s, d, g->dt, g->op, NULL, 0);
            break;
        case HD_COPY: weft__sched_copy(g->s, s, d, g->dt, NULL, 0); break;
        case HD_DIVIDE: weft__sched_divide(g->s, s, g->dt, divisor, NULL, 0); break;
        }
    }
}

typedef struct {
    const weft_group_t *g;
    uint32_t buf;
    uint64_t off, count;
    int p2, v; /* power-of-two size, this member's virtual index */
} hd_t;

/* The rank of virtual index v's partner at distance d. */
static int partner(const hd_t *h, int d)
{
    return h->g->ranks[weft__fold_rank(h->v ^ d, h->g->n)];
}

/* Blocks [lo, hi) of p2: one step of kind on them, with peer. */
static void blocks_step(const hd_t *h, hd_kind_t kind, int peer, int lo, int hi, uint32_t div)
{
    uint64_t a = weft__block_off(h->count, (uint64_t)h->p2, (uint64_t)lo);
    uint64_t b = weft__block_off(h->count, (uint64_t)h->p2, (uint64_t)hi);
    weft_region_t r = weft__region(h->buf, h->off + a, b - a);
    sliced(h->g, kind, peer, r, r, div);
}

static void halving_doubling(const hd_t *h, uint32_t divisor)
{
    int lo = 0, hi = h->p2;
    for (int d = h->p2 / 2; d >= 1; d /= 2) {
        int mid = lo + d, upper = (h->v & d) != 0;
        blocks_step(h, HD_SEND, partner(h, d), upper ? lo : mid, upper ? mid : hi, 0);
        blocks_step(h, HD_RECV_REDUCE, partner(h, d), upper ? mid : lo, upper ? hi : mid, 0);
        lo = upper ? mid : lo;
        hi = upper ? hi : mid;
    }
    if (divisor > 1)
        blocks_step(h, HD_DIVIDE, 0, lo, hi, divisor);
    for (int d = 1; d < h->p2; d *= 2) {
        int plo = (h->v & d) ? lo - d : lo + d, phi = plo + (hi - lo);
        blocks_step(h, HD_SEND, partner(h, d), lo, hi, 0);
        blocks_step(h, HD_RECV, partner(h, d), plo, phi, 0);
        lo = plo < lo ? plo : lo;
        hi = phi > hi ? phi : hi;
    }
}

/* A step cannot add into what its own send still reads (the send may wait
 * for the partner, whose reduction waits likewise), so partial sums
 * ping-pong between two scratch vectors; the last step writes buf. */
static void recursive_doubling(const hd_t *h, uint32_t divisor)
{
    const weft_group_t *g = h->g;
    uint32_t tmp[2] = {weft__sched_add_buf(g->s, WEFT_BUF_SCRATCH, g->dt, h->count),
                       weft__sched_add_buf(g->s, WEFT_BUF_SCRATCH, g->dt, h->count)};
    weft_region_t cur = weft__region(h->buf, h->off, h->count);
    for (int d = 1, i = 0; d < h->p2; d *= 2, i++) {
        int last = d * 2 >= h->p2 && cur.buf != h->buf;
        weft_region_t next = last ? weft__region(h->buf, h->off, h->count)
                                  : weft__region(tmp[i % 2], 0, h->count);
        sliced(g, HD_SEND, partner(h, d), cur, cur, 0);
        sliced(g, HD_RECV_REDUCE, partner(h, d), cur, next, 0);
        cur = next;
    }
    weft_region_t out = weft__region(h->buf, h->off, h->count);
    if (cur.buf != h->buf)
        sliced(g, HD_COPY, 0, cur, out, 0);
    if (divisor > 1)
        sliced(g, HD_DIVIDE, 0, out, out, divisor);
}

/* Folds the group, runs the power-of-two core, unfolds. */
static void folded(const weft_group_t *g, uint64_t off, uint64_t count, uint32_t buf,
                   uint32_t divisor, void (*core)(const hd_t *, uint32_t))
{
    int n = g->n, me = g->me, rem = n - weft__pow2_floor(n);
    weft_region_t all = weft__region(buf, off, count);
    if (n == 1 || count == 0) {
        if (divisor > 1)
            sliced(g, HD_DIVIDE, 0, all, all, divisor);
        return;
    }
    hd_t h = {g, buf, off, count, weft__pow2_floor(n), weft__fold_vrank(me, n)};
    if (h.v < 0) { /* an even member of a pair: hand over, get back */
        sliced(g, HD_SEND, g->ranks[me + 1], all, all, 0);
        sliced(g, HD_RECV, g->ranks[me + 1], all, all, 0);
        return;
    }
    if (me < 2 * rem)
        sliced(g, HD_RECV_REDUCE, g->ranks[me - 1], all, all, 0);
    core(&h, divisor);
    if (me < 2 * rem)
        sliced(g, HD_SEND, g->ranks[me - 1], all, all, 0);
}

void weft__hd_allreduce(const weft_group_t *g, uint64_t off, uint64_t count, uint32_t buf,
                        uint32_t divisor)
{
    folded(g, off, count, buf, divisor, halving_doubling);
}

void weft__rd_allreduce(const weft_group_t *g, uint64_t off, uint64_t count, uint32_t buf,
                        uint32_t divisor)
{
    folded(g, off, count, buf, divisor, recursive_doubling);
}
