/*
 * allreduce_rabenseifner.c - Rabenseifner's all-reduce: recursive-halving
 * reduce-scatter, then recursive-doubling all-gather; for medium vectors.
 *
 * Among p2 ranks (a power of two; other n are folded as in pattern.h) the
 * vector is cut into p2 blocks.  Halving: in the step of distance d
 * (p2/2, p2/4, ..., 1) each rank splits the block range it is responsible
 * for in two, sends the half its partner (virtual rank ^ d) keeps and
 * reduces the half it keeps with what the partner sends.  In the end
 * virtual rank v holds block v fully reduced (divided for AVG).  Doubling
 * retraces the steps in reverse, each rank sending everything it holds and
 * receiving its partner's part, until everyone has the whole vector.
 *
 * Cost: 2 log2(p2) alpha + 2 (p2-1)/p2 S beta (+ 2 alpha + 2 S beta when
 * folded): the bandwidth of the ring with log-many steps.
 */
#include "algo/algo.h"
#include "algo/pattern.h"

typedef struct {
    const weft_coll_args_t *a;
    weft_sched_t *s;
    int p2, vr;
} rab_t;

/* The elements of blocks [lo, hi) of p2 blocks. */
static weft_region_t blocks(const rab_t *g, uint32_t buf, int lo, int hi)
{
    uint64_t off = weft__block_off(g->a->count, (uint64_t)g->p2, (uint64_t)lo);
    uint64_t end = weft__block_off(g->a->count, (uint64_t)g->p2, (uint64_t)hi);
    return weft__region(buf, off, end - off);
}

/* Halving: returns the step that completes this rank's block (block vr);
 * sent[i] is the send of step i, for the doubling's hazards. */
static int32_t halving(const rab_t *g, uint32_t from, int32_t ready, int32_t *sent)
{
    const weft_coll_args_t *a = g->a;
    int lo = 0, hi = g->p2, i = 0;
    int32_t cur = ready;
    for (int d = g->p2 / 2; d >= 1; d /= 2, i++) {
        int peer = weft__fold_rank(g->vr ^ d, a->nranks);
        int mid = lo + d;
        int keep_lo = (g->vr & d) ? mid : lo, keep_hi = (g->vr & d) ? hi : mid;
        int give_lo = (g->vr & d) ? lo : mid, give_hi = (g->vr & d) ? mid : hi;
        /* The first step reads the input (or the folded sum); later steps
         * work in the receive buffer, on halves that never overlap. */
        uint32_t src = i == 0 ? from : 1;
        sent[i] = weft__sched_send(g->s, peer, blocks(g, src, give_lo, give_hi), a->dt, &cur, 1);
        cur = weft__sched_recv_reduce(g->s, peer, blocks(g, src, keep_lo, keep_hi),
                                      blocks(g, 1, keep_lo, keep_hi), a->dt, a->op, &cur, 1);
        lo = keep_lo;
        hi = keep_hi;
    }
    if (a->op == WEFT_AVG)
        cur = weft__sched_divide(g->s, blocks(g, 1, lo, hi), a->dt, (uint32_t)a->nranks, &cur,
                                 1);
    return cur;
}

/* Doubling: distances 1, 2, ..., p2/2; returns the steps to wait on before
 * the whole vector is in place (all receives and the last own step). */
static void doubling(const rab_t *g, int32_t own, const int32_t *sent, int32_t *done)
{
    const weft_coll_args_t *a = g->a;
    int lo = g->vr, hi = g->vr + 1, nsteps = weft__log2_ceil(g->p2);
    int32_t have[2 * 32];
    int nhave = 0;
    have[nhave++] = own;
    for (int d = 1, i = nsteps - 1; d < g->p2; d *= 2, i--) {
        int peer = weft__fold_rank(g->vr ^ d, a->nranks);
        int plo = (g->vr & d) ? lo - d : lo + d, phi = plo + (hi - lo);
        weft__sched_send(g->s, peer, blocks(g, 1, lo, hi), a->dt, have, nhave);
        /* The partner's range is what halving step i sent away from here
         * (from the input buffer, in-place the same memory). */
        have[nhave++] =
            weft__sched_recv(g->s, peer, blocks(g, 1, plo, phi), a->dt, &sent[i], 1);
        lo = plo < lo ? plo : lo;
        hi = phi > hi ? phi : hi;
    }
    for (int i = 0; i < nhave; i++)
        done[i] = have[i];
    for (int i = nhave; i < 2 * 32; i++)
        done[i] = WEFT_NO_STEP;
}

weft_status_t weft__gen_allreduce_rabenseifner(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "rabenseifner";
    int n = a->nranks, r = a->rank;
    uint64_t c = a->count;
    if (n == 1 || c == 0) {
        weft__sched_copy(s, weft__region(0, 0, c), weft__region(1, 0, c), a->dt, NULL, 0);
        return s->status;
    }
    rab_t g = {a, s, weft__pow2_floor(n), weft__fold_vrank(r, n)};
    int rem = n - g.p2;
    weft_region_t all = weft__region(1, 0, c);
    if (g.vr < 0) { /* folded out: hand the input over, get the result back */
        int32_t pre = weft__sched_send(s, r + 1, weft__region(0, 0, c), a->dt, NULL, 0);
        weft__sched_recv(s, r + 1, all, a->dt, &pre, 1);
        return s->status;
    }
    uint32_t from = 0;
    int32_t ready = WEFT_NO_STEP;
    if (r < 2 * rem) { /* absorb the even partner's input into the receive buffer */
        ready = weft__sched_recv_reduce(s, r - 1, weft__region(0, 0, c), all, a->dt, a->op,
                                        NULL, 0);
        from = 1;
    }
    int32_t sent[32], done[2 * 32];
    int32_t own = halving(&g, from, ready, sent);
    doubling(&g, own, sent, done);
    if (r < 2 * rem)
        weft__sched_send(s, r - 1, all, a->dt, done, 2 * 32);
    return s->status;
}
