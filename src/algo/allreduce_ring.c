/*
 * allreduce_ring.c - ring all-reduce: a reduce-scatter then an all-gather
 * around the ring r -> r+1, chunked and pipelined.
 *
 * The vector is cut into n blocks.  Reduce-scatter: in round k (0..n-2)
 * rank r sends block r-k (its own input in round 0, then the partial sum
 * it received the round before) to r+1, and receives block r-k-1 from r-1,
 * adding its own input.  After n-1 rounds rank r holds the full sum of
 * block r+1 (divided by n there for AVG, so the division happens once).
 * All-gather: in round k rank r forwards block r+1-k and receives block
 * r-k, n-1 rounds again.  Blocks move in slices (prims.c), so slices of
 * consecutive rounds are in flight together.
 *
 * Cost (alpha-beta, S bytes): 2(n-1) alpha + 2(n-1)/n S beta, plus
 * (n-1)/n S gamma of reduction: bandwidth-optimal, latency linear in n.
 */
#include "algo/algo.h"
#include "algo/prims.h"

#include <stdlib.h>

weft_status_t weft__gen_allreduce_ring(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "ring";
    if (a->nranks == 1 || a->count == 0) {
        weft__sched_copy(s, weft__region(0, 0, a->count), weft__region(1, 0, a->count), a->dt,
                         NULL, 0);
        return s->status;
    }
    int *ranks = malloc((size_t)a->nranks * sizeof(int));
    if (ranks == NULL)
        return s->status = WEFT_ERR_NO_MEMORY;
    for (int r = 0; r < a->nranks; r++)
        ranks[r] = r;
    weft_group_t g = {s, ranks, a->nranks, a->rank, a->dt, a->op, a->slice};
    weft_blocks_t bl = weft__blocks_split(0, a->count, a->nranks);
    weft__ring_reduce_scatter(&g, &bl, 0, 1, 1);
    if (a->op == WEFT_AVG)
        weft__divide_block(&g, &bl, 1, 1, (uint32_t)a->nranks);
    weft__ring_allgather(&g, &bl, 1, 1);
    free(ranks);
    return s->status;
}
