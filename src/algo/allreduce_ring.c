/*
 * allreduce_ring.c - ring all-reduce: a reduce-scatter then an all-gather
 * around the ring r -> r+1, chunked and pipelined.
 *
 * The vector is cut into n blocks.  Reduce-scatter: in round k (0..n-2)
 * rank r sends block r-k (its own input in round 0, then the partial sum
 * it received the round before) to r+1, and receives block r-k-1 from r-1,
 * adding its own input of that block.  After n-1 rounds rank r holds the
 * full sum of block r+1 (divided by n there for AVG, so the division
 * happens once).  All-gather: in round k rank r forwards block r+1-k and
 * receives block r-k, n-1 rounds again.
 *
 * Each block moves in slices of at most args->slice elements; the slice s
 * of a block depends only on slice s of the round before, so slices of
 * consecutive rounds overlap in flight (the pipeline).
 *
 * Cost (alpha-beta, S bytes): 2(n-1) alpha + 2(n-1)/n S beta, plus
 * (n-1)/n S gamma of reduction: bandwidth-optimal, latency linear in n.
 */
#include "algo/algo.h"
#include "algo/pattern.h"

#include <stdlib.h>

typedef struct {
    const weft_coll_args_t *a;
    weft_sched_t *s;
    uint64_t nsl; /* slices of the largest block */
} ring_t;

static weft_region_t slice_region(const ring_t *g, uint32_t buf, int block, uint64_t sl)
{
    uint64_t n = (uint64_t)g->a->nranks;
    uint64_t off = weft__block_off(g->a->count, n, (uint64_t)block);
    uint64_t cnt = weft__block_count(g->a->count, n, (uint64_t)block);
    uint64_t lo = sl * g->a->slice;
    uint64_t len = lo >= cnt ? 0 : (cnt - lo < g->a->slice ? cnt - lo : g->a->slice);
    return weft__region(buf, off + (lo < cnt ? lo : cnt), len);
}

/* Reduce-scatter rounds; rr[s] ends as the last RECV_REDUCE of each slice,
 * sent[k * nsl + s] records each send for the all-gather's hazards. */
static void reduce_scatter_phase(const ring_t *g, int32_t *rr, int32_t *sent)
{
    const weft_coll_args_t *a = g->a;
    int n = a->nranks, r = a->rank;
    int next = weft__mod(r + 1, n), prev = weft__mod(r - 1, n);
    for (int k = 0; k < n - 1; k++) {
        int sb = weft__mod(r - k, n), rb = weft__mod(r - k - 1, n);
        for (uint64_t sl = 0; sl < g->nsl; sl++) {
            uint32_t from = k == 0 ? 0 : 1;
            int32_t dep = k == 0 ? WEFT_NO_STEP : rr[sl];
            sent[(uint64_t)k * g->nsl + sl] =
                weft__sched_send(g->s, next, slice_region(g, from, sb, sl), a->dt, &dep, 1);
            /* Each block is received once in this phase: its destination is
             * untouched so far and its local operand is our own input. */
            rr[sl] = weft__sched_recv_reduce(g->s, prev, slice_region(g, 0, rb, sl),
                                             slice_region(g, 1, rb, sl), a->dt, a->op, NULL, 0);
        }
    }
}

static void allgather_phase(const ring_t *g, const int32_t *rr, const int32_t *sent)
{
    const weft_coll_args_t *a = g->a;
    int n = a->nranks, r = a->rank;
    int next = weft__mod(r + 1, n), prev = weft__mod(r - 1, n);
    int32_t *have = malloc(g->nsl * sizeof(*have));
    if (have == NULL) {
        g->s->status = WEFT_ERR_NO_MEMORY;
        return;
    }
    int owned = weft__mod(r + 1, n);
    for (uint64_t sl = 0; sl < g->nsl; sl++) {
        have[sl] = rr[sl];
        if (a->op == WEFT_AVG)
            have[sl] = weft__sched_divide(g->s, slice_region(g, 1, owned, sl), a->dt,
                                          (uint32_t)n, &rr[sl], 1);
    }
    for (int k = 0; k < n - 1; k++) {
        int sb = weft__mod(r + 1 - k, n), rb = weft__mod(r - k, n);
        for (uint64_t sl = 0; sl < g->nsl; sl++) {
            weft__sched_send(g->s, next, slice_region(g, 1, sb, sl), a->dt, &have[sl], 1);
            /* Block rb was sent from in reduce-scatter round k (from the
             * send buffer when k == 0, which in-place is this very memory):
             * that send must be done before we overwrite the block. */
            int32_t dep = sent[(uint64_t)k * g->nsl + sl];
            have[sl] = weft__sched_recv(g->s, prev, slice_region(g, 1, rb, sl), a->dt, &dep, 1);
        }
    }
    free(have);
}

weft_status_t weft__gen_allreduce_ring(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "ring";
    if (a->nranks == 1) {
        weft__sched_copy(s, weft__region(0, 0, a->count), weft__region(1, 0, a->count), a->dt,
                         NULL, 0);
        return s->status;
    }
    ring_t g = {a, s, weft__nslices(weft__block_count(a->count, (uint64_t)a->nranks, 0),
                                    a->slice)};
    if (g.nsl == 0)
        return s->status;
    int32_t *rr = malloc(g.nsl * sizeof(*rr));
    int32_t *sent = malloc(g.nsl * (uint64_t)(a->nranks - 1) * sizeof(*sent));
    if (rr == NULL || sent == NULL) {
        free(rr);
        free(sent);
        return s->status = WEFT_ERR_NO_MEMORY;
    }
    reduce_scatter_phase(&g, rr, sent);
    allgather_phase(&g, rr, sent);
    free(rr);
    free(sent);
    return s->status;
}
