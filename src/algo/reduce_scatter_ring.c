/*
 * reduce_scatter_ring.c - ring reduce-scatter, chunked and pipelined.
 *
 * Rank r must end with the sum of block r.  In round k (0..n-2) it sends
 * the partial sum of block r-k-1 to r+1 (its own input in round 0) and
 * receives the partial sum of block r-k-2 from r-1, adding its own input;
 * the last round receives block r itself and adds into the receive buffer.
 * Partial sums ping-pong between two scratch blocks: a receive into one
 * waits for the send that read it the round before.  Slices of at most
 * args->slice elements pipeline the rounds.
 *
 * Cost (S = n * count bytes): (n-1) alpha + (n-1)/n S beta + (n-1)/n S gamma.
 */
#include "algo/algo.h"
#include "algo/pattern.h"
#include "util/compiler.h"

#include <stdlib.h>

weft_status_t weft__gen_reduce_scatter_ring(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "ring";
    int n = a->nranks, r = a->rank;
    uint64_t c = a->count, nsl = weft__nslices(c, a->slice);
    if (n == 1 || nsl == 0) {
        weft__sched_copy(s, weft__region(0, (uint64_t)r * c, c), weft__region(1, 0, c), a->dt,
                         NULL, 0);
        return s->status;
    }
    uint32_t tmp[2] = {weft__sched_add_buf(s, WEFT_BUF_SCRATCH, a->dt, c),
                       weft__sched_add_buf(s, WEFT_BUF_SCRATCH, a->dt, c)};
    int32_t *rr = malloc(nsl * sizeof(*rr)), *sent = malloc(nsl * sizeof(*sent));
    if (rr == NULL || sent == NULL) {
        free(rr);
        free(sent);
        return s->status = WEFT_ERR_NO_MEMORY;
    }
    int next = weft__mod(r + 1, n), prev = weft__mod(r - 1, n);
    for (int k = 0; k < n - 1; k++) {
        uint64_t sb = (uint64_t)weft__mod(r - k - 1, n), rb = (uint64_t)weft__mod(r - k - 2, n);
        for (uint64_t sl = 0; sl < nsl; sl++) {
            uint64_t lo = sl * a->slice, len = WEFT_MIN(a->slice, c - lo);
            weft_region_t src = k == 0 ? weft__region(0, sb * c + lo, len)
                                       : weft__region(tmp[(k - 1) % 2], lo, len);
            int32_t dep = k == 0 ? WEFT_NO_STEP : rr[sl];
            int32_t snd = weft__sched_send(s, next, src, a->dt, &dep, 1);
            weft_region_t dst = k == n - 2 ? weft__region(1, lo, len)
                                           : weft__region(tmp[k % 2], lo, len);
            /* tmp[k % 2] was read by the send of the round before. */
            int32_t dep_rr = k >= 1 ? sent[sl] : WEFT_NO_STEP;
            rr[sl] = weft__sched_recv_reduce(s, prev, weft__region(0, rb * c + lo, len), dst,
                                             a->dt, a->op, &dep_rr, 1);
            sent[sl] = snd;
        }
    }
    if (a->op == WEFT_AVG) {
        for (uint64_t sl = 0; sl < nsl; sl++) {
            uint64_t lo = sl * a->slice;
            weft__sched_divide(s, weft__region(1, lo, WEFT_MIN(a->slice, c - lo)), a->dt,
                               (uint32_t)n, &rr[sl], 1);
        }
    }
    free(rr);
    free(sent);
    return s->status;
}
