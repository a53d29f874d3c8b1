/*
 * verify.h - the schedule verifier.
 *
 * Generates every rank's schedule for one case and proves, without any
 * transport or timing:
 *   1. well-formedness: regions inside their buffers, peers in range, the
 *      buffers a rank must not touch untouched, operands of equal size;
 *   2. no races: on each rank, two steps that touch overlapping memory (at
 *      least one writing) are ordered by dependencies; in-place calls are
 *      checked with the send buffer aliased into the receive buffer;
 *   3. no deadlock: all ranks run together on symbolic data with the
 *      strictest transport (a send completes only when its receive is
 *      posted), messages matching in per-peer order and in size;
 *   4. the result: every output element holds each rank's contribution of
 *      the same element exactly once (a set of contributors per element;
 *      combining overlapping sets is an error), divided once for AVG, and
 *      for barrier every rank has causally heard from every rank.
 */
#ifndef WEFT_ALGO_VERIFY_H
#define WEFT_ALGO_VERIFY_H

#include "algo/algo.h"

#include <stddef.h>

#define WEFT_VERIFY_MAX_RANKS 64

typedef struct {
    weft_coll_t coll; /* WEFT_COLL_SEND checks a send/recv pair 0 -> n-1 */
    int nranks;
    uint64_t count;
    weft_op_t op;
    int root;
    uint64_t slice;
    int in_place;
    const weft_layout_t *layout; /* NULL: all ranks on one node */
} weft_verify_case_t;

typedef struct {
    uint32_t max_steps;     /* the longest schedule of any rank */
    uint64_t max_sent;      /* elements sent by the busiest rank */
    uint32_t max_msgs;      /* messages sent by the busiest rank */
} weft_verify_stats_t;

/* WEFT_OK if the algorithm is proven for this case; otherwise
 * WEFT_ERR_INTERNAL with the first problem described in msg. */
weft_status_t weft__verify(const weft_algo_t *algo, const weft_verify_case_t *vc, char *msg,
                           size_t msglen, weft_verify_stats_t *stats_p);

#endif
