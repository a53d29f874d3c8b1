/*
 * pattern.h - rank and block arithmetic shared by the generators.  Pure
 * functions, so that unit tests call them directly.
 *
 * Blocks: `count` elements split into `nblocks` blocks whose sizes differ
 * by at most one, the first count % nblocks blocks one larger.
 *
 * Folding (for recursive doubling and halving on any nranks): with p2 the
 * largest power of two <= n and rem = n - p2, the first 2*rem ranks pair up;
 * the even rank of each pair hands its data to the odd one and sits out.
 * The p2 remaining ranks get virtual ranks 0..p2-1 in rank order.
 */
#ifndef WEFT_ALGO_PATTERN_H
#define WEFT_ALGO_PATTERN_H

#include <stdint.h>

static inline uint64_t weft__block_off(uint64_t count, uint64_t nblocks, uint64_t b)
{
    uint64_t q = count / nblocks, r = count % nblocks;
    return b * q + (b < r ? b : r);
}

static inline uint64_t weft__block_count(uint64_t count, uint64_t nblocks, uint64_t b)
{
    return count / nblocks + (b < count % nblocks ? 1 : 0);
}

static inline int weft__mod(int a, int n)
{
    int m = a % n;
    return m < 0 ? m + n : m;
}

static inline int weft__pow2_floor(int n)
{
    int p = 1;
    while (p * 2 <= n)
        p *= 2;
    return p;
}

static inline int weft__log2_ceil(int n)
{
    int l = 0;
    while ((1 << l) < n)
        l++;
    return l;
}

/* Virtual rank after folding, or -1 for a rank that sits out. */
static inline int weft__fold_vrank(int rank, int nranks)
{
    int rem = nranks - weft__pow2_floor(nranks);
    if (rank < 2 * rem)
        return (rank % 2) ? rank / 2 : -1;
    return rank - rem;
}

/* The real rank of a virtual rank. */
static inline int weft__fold_rank(int vrank, int nranks)
{
    int rem = nranks - weft__pow2_floor(nranks);
    return vrank < rem ? 2 * vrank + 1 : vrank + rem;
}

/* Number of slices of a region of `count` elements cut into pieces of at
 * most `slice` elements (0 for an empty region). */
static inline uint64_t weft__nslices(uint64_t count, uint64_t slice)
{
    return (count + slice - 1) / slice;
}

#endif
