/*
 * direct_round.h - one round of the direct all-reduce (core/direct.h) on
 * a stream.  In order:
 *
 *   barrier 0    ready[0], a host function: the stream reached the round;
 *                then the wait for flag[0], the proxy's barrier after
 *                which no rank reads the shared buffers any more
 *   copy in      `in` (bytes) into this rank's shared buffer `mine`
 *   barrier 1    ready[1], wait flag[1]: every rank's input is in place
 *   reduce       red_dst = red_srcs[0] op ... op red_srcs[n-1] (red_count
 *                elements): one-shot, the whole vector into the output;
 *                two-shot, this rank's block, in place in `mine`
 *   barrier 2    two-shot only (nbarriers 3): every block is reduced
 *   gather       two-shot only: each rank's block from its buffer into
 *                the output
 *   divide       AVG: div_dst /= divisor (div_count elements)
 *   passed       a host function: the stream is past the round
 *
 * The copy in, the reduce and the gather run only if their barrier's flag
 * says done when they start (guarded kernels): a wait also ends on
 * failure or at its deadline, and the stream goes on.  The divide writes
 * the output only.  Host functions must not block or call CUDA (stream.h).
 */
#ifndef WEFT_CUDA_DIRECT_ROUND_H
#define WEFT_CUDA_DIRECT_ROUND_H

#include "cuda/reduce_plan.h"
#include "cuda/stream.h"

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

#define WEFT_DIRECT_MAX_BARRIERS 3

typedef struct {
    int nbarriers; /* 2: one-shot; 3: two-shot */
    void (*ready[WEFT_DIRECT_MAX_BARRIERS])(void *arg);
    void (*passed)(void *arg);
    void *arg;
    const void *flag_dev[WEFT_DIRECT_MAX_BARRIERS]; /* mapped words the proxy sets */
    void *gave_up_dev[WEFT_DIRECT_MAX_BARRIERS];    /* set by a wait at its deadline */
    const void *heartbeat_dev;
    uint64_t wait_limit_ns;
    const void *in; /* copy in */
    void *mine;
    size_t bytes;
    void *red_dst; /* reduce */
    const void *red_srcs[WEFT_CUDA_REDUCE_MAX_SRCS];
    int nsrcs;
    size_t red_count;
    weft_datatype_t dt;
    weft_op_t op;                    /* AVG reduces as SUM, then divides */
    weft__cuda_copy_t gather[WEFT_CUDA_REDUCE_MAX_SRCS]; /* two-shot: [nsrcs] */
    void *div_dst;                   /* divide */
    size_t div_count;
    uint32_t divisor;                /* 1: none */
} weft__cuda_direct_round_t;

/* Queues the round on stream.  On failure part of it may be queued. */
weft_status_t weft__cuda_direct_round(int device, void *stream, const weft__cuda_direct_round_t *r);

#endif
