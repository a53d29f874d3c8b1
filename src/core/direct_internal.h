/*
 * direct_internal.h - a round of the direct path (direct.h) as its two
 * halves see it: direct_run.c (the proxy calls, one per barrier, and the
 * stream's host functions) and direct_submit.c (the calls and what a
 * round puts on the stream).  Nothing else includes it.
 */
#ifndef WEFT_CORE_DIRECT_INTERNAL_H
#define WEFT_CORE_DIRECT_INTERNAL_H

#include "core/direct.h"
#include "core/proxy_device.h"
#include "cuda/direct_round.h"

typedef struct direct_round direct_round_t;

/* One barrier of a round: the proxy call's argument. */
typedef struct {
    direct_round_t *round;
    int k; /* 0, 1, 2 */
} direct_part_t;

struct direct_round {
    weft_stream_calls_t *sc;
    int nbarriers; /* 2: one-shot; 3: two-shot */
    const char *algo;
    uint64_t index; /* among this communicator's rounds */
    weft_stage_t *flags[WEFT_DIRECT_MAX_BARRIERS];
    weft_proxy_op_t *op[WEFT_DIRECT_MAX_BARRIERS];
    direct_part_t part[WEFT_DIRECT_MAX_BARRIERS];
    _Atomic int refs; /* one per barrier: freed once all are released */
};

/* Takes the round's flag words and issues its barriers to the proxy; on
 * failure nothing of it is left issued, or what is is cancelled. */
weft_status_t weft__direct_issue(weft_stream_calls_t *sc, int nbarriers, const char *algo,
                                 const char *fn, direct_round_t **round_p);

/* The stream side of a round: host functions, flags and waits filled in
 * q (the caller fills the data). */
void weft__direct_stream_pieces(const direct_round_t *r, weft__cuda_direct_round_t *q);

/* A round whose stream pieces could not all be queued. */
void weft__direct_cancel(direct_round_t *r, weft_status_t st);

#endif
