/*
 * direct.h - the reduction shared by the one-shot and two-shot all-reduces:
 * one rank combines a region contributed by every rank of the
 * communicator, each sent to it directly.
 *
 * The contributions are folded left in rank order, t0 op t1 op ... op
 * t(n-1), whichever rank does the folding, so that every rank that
 * reduces the same region computes bitwise the same value (floating-point
 * sums depend on the order).  This rank's own term is `mine`; the others
 * arrive as messages from their ranks, one each, in rank order.
 */
#ifndef WEFT_ALGO_DIRECT_H
#define WEFT_ALGO_DIRECT_H

#include "algo/algo.h"

/* acc = the op over all ranks' terms (acc must not overlap mine).  Returns
 * the last step, WEFT_NO_STEP if the region is empty. */
int32_t weft__direct_reduce(weft_sched_t *s, const weft_coll_args_t *a, weft_region_t mine,
                            weft_region_t acc);

#endif
