/*
 * prims.h - ring phases over a group of ranks and a region of a buffer,
 * the pieces that flat and hierarchical generators are assembled from.
 *
 * A group lists the ranks of a ring in ring order (member i sends to
 * member i+1).  The region [off, off + count) of a buffer is cut into n
 * near-equal blocks (pattern.h), each moved in slices of at most g->slice
 * elements so that consecutive rounds overlap in flight.  The primitives
 * state no memory dependencies: the builder derives them (hazard.c), which
 * also chains one phase to the next slice by slice.
 */
#ifndef WEFT_ALGO_PRIMS_H
#define WEFT_ALGO_PRIMS_H

#include "algo/sched.h"

typedef struct {
    weft_sched_t *s;
    const int *ranks; /* members, in ring order */
    int n, me;        /* size, and this rank's index in ranks */
    weft_datatype_t dt;
    weft_op_t op;
    uint64_t slice;
} weft_group_t;

/* Ring reduce-scatter: afterwards member i holds in `out` block
 * (i + shift) mod n of the region, reduced over the group; each member's
 * contribution is read from `in` (in == out accumulates in place).
 * n - 1 rounds, (n-1)/n of the region sent per member. */
void weft__ring_reduce_scatter(const weft_group_t *g, uint32_t in, uint32_t out, uint64_t off,
                               uint64_t count, int shift);

/* Ring all-gather in place: member i holds block (i + shift) mod n of the
 * region of `buf`; afterwards every member holds all of it. */
void weft__ring_allgather(const weft_group_t *g, uint32_t buf, uint64_t off, uint64_t count,
                          int shift);

/* Divides the block of the region that member me owns after a reduce-
 * scatter with the given shift (AVG): once, where the sum is complete. */
void weft__divide_block(const weft_group_t *g, uint32_t buf, uint64_t off, uint64_t count,
                        int shift, uint32_t divisor);

#endif
