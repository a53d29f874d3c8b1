/*
 * prims.h - ring phases over a group of ranks and blocks of a buffer, the
 * pieces that flat and hierarchical generators are assembled from.
 *
 * A group lists the ranks of a ring in ring order (member i sends to
 * member i+1).  A phase moves n blocks, one per member; a block is one or
 * more parts (regions of the same buffer, e.g. the slots of several ranks
 * in an all-gather's output), each moved in slices of at most g->slice
 * elements so that consecutive rounds overlap in flight.  Every member
 * computes the same blocks, so messages match.  The primitives state no
 * memory dependencies: the builder derives them (hazard.c), which also
 * chains one phase to the next slice by slice.
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

/* Where block b lies: parts 0..nparts-1, part j at (*off_p, *count_p)
 * elements; a part may be empty (count 0). */
typedef struct weft_blocks weft_blocks_t;
struct weft_blocks {
    int nparts;
    void (*part)(const weft_blocks_t *bl, int block, int part, uint64_t *off_p,
                 uint64_t *count_p);
    const void *ctx;
    uint64_t off, count, n; /* for weft__blocks_split */
};

/* The region [off, off + count) cut into n near-equal blocks (pattern.h). */
weft_blocks_t weft__blocks_split(uint64_t off, uint64_t count, int n);

/* Ring reduce-scatter: afterwards member i holds in `out` block
 * (i + shift) mod n reduced over the group; each member's contribution is
 * read from `in` (in == out accumulates in place).  n - 1 rounds, (n-1)/n
 * of the data sent per member. */
void weft__ring_reduce_scatter(const weft_group_t *g, const weft_blocks_t *bl, uint32_t in,
                               uint32_t out, int shift);

/* Ring all-gather in place: member i holds block (i + shift) mod n of
 * `buf`; afterwards every member holds every block. */
void weft__ring_allgather(const weft_group_t *g, const weft_blocks_t *bl, uint32_t buf, int shift);

/* Divides the block member me owns after a reduce-scatter with the same
 * shift (AVG): once, where the sum is complete. */
void weft__divide_block(const weft_group_t *g, const weft_blocks_t *bl, uint32_t buf, int shift,
                        uint32_t divisor);

/* All-reduce of [off, off + count) of buf among the group, in place, by
 * halving-doubling (2 log2 n steps, the ring's bytes) or recursive doubling
 * (log2 n steps of the whole region); any n (folded).  A divisor > 1
 * divides the result once (AVG summed with op SUM). */
void weft__hd_allreduce(const weft_group_t *g, uint64_t off, uint64_t count, uint32_t buf,
                        uint32_t divisor);
void weft__rd_allreduce(const weft_group_t *g, uint64_t off, uint64_t count, uint32_t buf,
                        uint32_t divisor);

/* Copies every part of block b from `in` to `out` (same offsets). */
void weft__copy_block(const weft_group_t *g, const weft_blocks_t *bl, uint32_t in, uint32_t out,
                      int block);

#endif
