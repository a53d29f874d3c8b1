/*
 * prims.c - the ring phases (see prims.h).
 *
 * Reduce-scatter, with b(k) = me + shift - 1 - k: in round k (0..n-2) a
 * member sends block b(k) -- its own contribution in round 0, the partial
 * sum it received the round before afterwards -- and receives block
 * b(k) - 1, adding its contribution.  The last block it receives is
 * me + shift - n = me + shift.  All-gather runs the same rotation with
 * plain receives, starting from the block the member holds.
 */
#include "algo/prims.h"
#include "algo/pattern.h"

static weft_region_t slice_of(const weft_group_t *g, uint32_t buf, uint64_t off, uint64_t count,
                              int block, uint64_t sl)
{
    uint64_t boff = weft__block_off(count, (uint64_t)g->n, (uint64_t)block);
    uint64_t bcnt = weft__block_count(count, (uint64_t)g->n, (uint64_t)block);
    uint64_t lo = sl * g->slice;
    if (lo >= bcnt)
        return weft__region(buf, off + boff + bcnt, 0);
    uint64_t len = bcnt - lo < g->slice ? bcnt - lo : g->slice;
    return weft__region(buf, off + boff + lo, len);
}

static uint64_t slices_per_block(const weft_group_t *g, uint64_t count)
{
    return weft__nslices(weft__block_count(count, (uint64_t)g->n, 0), g->slice);
}

void weft__ring_reduce_scatter(const weft_group_t *g, uint32_t in, uint32_t out, uint64_t off,
                               uint64_t count, int shift)
{
    int n = g->n, next = g->ranks[weft__mod(g->me + 1, n)];
    int prev = g->ranks[weft__mod(g->me - 1, n)];
    uint64_t nsl = slices_per_block(g, count);
    if (n == 1 && in != out) /* a group of one: the sum is the input */
        weft__sched_copy(g->s, weft__region(in, off, count), weft__region(out, off, count), g->dt,
                         NULL, 0);
    for (int k = 0; k < n - 1; k++) {
        int sb = weft__mod(g->me + shift - 1 - k, n), rb = weft__mod(sb - 1, n);
        for (uint64_t sl = 0; sl < nsl; sl++) {
            weft__sched_send(g->s, next, slice_of(g, k == 0 ? in : out, off, count, sb, sl),
                             g->dt, NULL, 0);
            weft__sched_recv_reduce(g->s, prev, slice_of(g, in, off, count, rb, sl),
                                    slice_of(g, out, off, count, rb, sl), g->dt, g->op, NULL, 0);
        }
    }
}

void weft__ring_allgather(const weft_group_t *g, uint32_t buf, uint64_t off, uint64_t count,
                          int shift)
{
    int n = g->n, next = g->ranks[weft__mod(g->me + 1, n)];
    int prev = g->ranks[weft__mod(g->me - 1, n)];
    uint64_t nsl = slices_per_block(g, count);
    for (int k = 0; k < n - 1; k++) {
        int sb = weft__mod(g->me + shift - k, n), rb = weft__mod(sb - 1, n);
        for (uint64_t sl = 0; sl < nsl; sl++) {
            weft__sched_send(g->s, next, slice_of(g, buf, off, count, sb, sl), g->dt, NULL, 0);
            weft__sched_recv(g->s, prev, slice_of(g, buf, off, count, rb, sl), g->dt, NULL, 0);
        }
    }
}

void weft__divide_block(const weft_group_t *g, uint32_t buf, uint64_t off, uint64_t count,
                        int shift, uint32_t divisor)
{
    int b = weft__mod(g->me + shift, g->n);
    uint64_t nsl = slices_per_block(g, count);
    for (uint64_t sl = 0; sl < nsl; sl++)
        weft__sched_divide(g->s, slice_of(g, buf, off, count, b, sl), g->dt, divisor, NULL, 0);
}
