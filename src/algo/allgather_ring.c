/*
 * allgather_ring.c - ring all-gather, chunked and pipelined.
 *
 * Rank r copies its block into place, then in round k (0..n-2) sends block
 * r-k to r+1 and receives block r-k-1 from r-1, straight into its final
 * place in the receive buffer.  Round 0 sends from the send buffer, so the
 * local copy overlaps the first transfer.  Blocks move in slices of at
 * most args->slice elements; slice s of round k+1 waits only for slice s
 * of round k.
 *
 * Cost (S = n * count bytes in total): (n-1) alpha + (n-1)/n S beta.
 */
#include "algo/algo.h"
#include "algo/pattern.h"
#include "util/compiler.h"

#include <stdlib.h>

weft_status_t weft__gen_allgather_ring(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "ring";
    int n = a->nranks, r = a->rank;
    uint64_t c = a->count, nsl = weft__nslices(c, a->slice);
    weft__sched_copy(s, weft__region(0, 0, c), weft__region(1, (uint64_t)r * c, c), a->dt, NULL,
                     0);
    if (n == 1 || nsl == 0)
        return s->status;
    int32_t *have = malloc(nsl * sizeof(*have));
    if (have == NULL)
        return s->status = WEFT_ERR_NO_MEMORY;
    int next = weft__mod(r + 1, n), prev = weft__mod(r - 1, n);
    for (int k = 0; k < n - 1; k++) {
        uint64_t sb = (uint64_t)weft__mod(r - k, n), rb = (uint64_t)weft__mod(r - k - 1, n);
        for (uint64_t sl = 0; sl < nsl; sl++) {
            uint64_t lo = sl * a->slice, len = WEFT_MIN(a->slice, c - lo);
            weft_region_t src = k == 0 ? weft__region(0, lo, len)
                                       : weft__region(1, sb * c + lo, len);
            int32_t dep = k == 0 ? WEFT_NO_STEP : have[sl];
            weft__sched_send(s, next, src, a->dt, &dep, 1);
            have[sl] = weft__sched_recv(s, prev, weft__region(1, rb * c + lo, len), a->dt, NULL, 0);
        }
    }
    free(have);
    return s->status;
}
