/*
 * proxy_device.h - calls on device buffers, as the rest of src/core sees
 * them: stream-ordered, staged through pinned host memory, run by the
 * communicator's proxy thread (proxy.h) with the ordinary host executor.
 *
 *   proxy_layout.c  where each call's inputs and results sit in staging
 *                   memory (pure: unit-tested without a GPU);
 *   proxy_stage.c   the pool of pinned staging buffers;
 *   proxy_device.c  one proxy call for a list of calls on one stream: the
 *                   copies, the wait and the run (cuda/stream.h);
 *   proxy_comm.c    a communicator's side: the proxy started at its first
 *                   device call, host calls ordered after device calls,
 *                   the async error, destroy and abort.
 */
#ifndef WEFT_CORE_PROXY_DEVICE_H
#define WEFT_CORE_PROXY_DEVICE_H

#include "core/proxy.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct weft_comm;
typedef struct weft_op_desc weft_op_desc_t;

/* The start of every staging buffer: the two words the wait kernel uses. */
typedef struct {
    volatile uint32_t flag;    /* the proxy's verdict: WEFT_PROXY_PENDING, DONE, FAILED */
    volatile uint32_t gave_up; /* set by the wait kernel at its deadline */
} weft_stage_header_t;
/* Data starts here: aligned for any element and for fast copies. */
#define WEFT_STAGE_DATA_OFFSET 256

typedef struct weft_stage {
    uint8_t *host; /* pinned, mapped: the header, then capacity bytes */
    uint8_t *dev;  /* the same memory, as the GPU addresses it */
    size_t capacity;
    int in_use;
    int poisoned; /* a copy into it may be pending: never reused */
    struct weft_stage *next;
} weft_stage_t;

/* A communicator's stream-ordered side (comm->streams), made at its first
 * call on device buffers. */
typedef struct weft_stream_calls {
    struct weft_comm *comm;
    weft_proxy_t *proxy;
    pthread_mutex_t pool_lock; /* stages' in_use, and the list */
    weft_stage_t *stages;
    weft_stage_t *beat; /* its flag word is the proxy's heartbeat */
} weft_stream_calls_t;

/* --- proxy_layout.c ------------------------------------------------------ */

/* One call in staging memory, offsets from the start of its region. */
typedef struct {
    size_t bytes;              /* the region */
    const void *in_src;        /* device -> staging: in_bytes from in_src */
    size_t in_off, in_bytes;   /*   to in_off (none if in_bytes == 0) */
    void *out_dst;             /* staging -> device: out_bytes from out_off */
    size_t out_off, out_bytes; /*   to out_dst (none if out_bytes == 0) */
    int has_send, has_recv;    /* the host call's buffers (else NULL) ... */
    size_t send_off, recv_off; /*   at these offsets */
} weft_stage_span_t;

void weft__stage_span(const weft_op_desc_t *d, weft_stage_span_t *span_p);

/* A large call is staged in pieces of piece_bytes (WEFT_STAGE_PIECE_BYTES),
 * each a proxy call of its own, so that the stream copies one piece while
 * the proxy moves another: all-reduce, broadcast and reduce, whose
 * buffers are single vectors.  How many pieces d takes (1: whole), and
 * piece k of them (a call on a sub-range of the same buffers). */
uint64_t weft__stage_piece_count(const weft_op_desc_t *d, size_t piece_bytes);
void weft__stage_piece(const weft_op_desc_t *d, size_t piece_bytes, uint64_t k,
                       weft_op_desc_t *piece_p);

/* 1 if a call of ops writes device memory that a later call reads (the
 * staged copy of the later call's input would be the memory before the
 * earlier call): first_p and second_p name them. */
int weft__stage_conflict(const weft_op_desc_t *ops, int n, int *first_p, int *second_p);

/* --- proxy_stage.c ------------------------------------------------------- */

/* A free buffer of at least bytes, or a new one (the caller's thread). */
weft_status_t weft__stage_get(weft_stream_calls_t *sc, size_t bytes, weft_stage_t **stage_p);
/* Back to the pool (any thread; no CUDA call, never blocks for long). */
void weft__stage_put(weft_stream_calls_t *sc, weft_stage_t *stage);
void weft__stage_free_all(weft_stream_calls_t *sc);

/* --- proxy_device.c ------------------------------------------------------ */

/* How long a stream's wait kernel waits for a proxy that shows no sign of
 * life before it gives up (0: never): twice the timeout and 5 s, so that
 * the proxy's own deadlines fail first and say why. */
uint64_t weft__device_wait_limit_ns(const struct weft_comm *comm);

/* Issues ops (all of comm, all on stream) as one proxy call. */
weft_status_t weft__device_submit(weft_stream_calls_t *sc, weft_op_desc_t *ops, int nops,
                                  void *stream, const char *fn);

/* --- proxy_comm.c -------------------------------------------------------- */

/* comm's stream-ordered side, started on first use. */
weft_status_t weft__device_calls(struct weft_comm *comm, weft_stream_calls_t **sc_p);
/* The recorded failure of comm's stream-ordered calls as an error of fn
 * (WEFT_OK if none); *busy_p: some are still running or waiting. */
weft_status_t weft__device_check(struct weft_comm *comm, const char *fn, int *busy_p);
/* A host call on comm waits for its earlier device calls. */
weft_status_t weft__device_quiesce(struct weft_comm *comm, const char *fn);
/* One call on device buffers (ops[0]), or a group's (any communicators). */
weft_status_t weft__device_run(weft_op_desc_t *ops, int nops, const char *fn);
/* weft__comm_end: stop before the communicator is marked dying (destroy
 * lets the calls finish, abort fails them), end after its calls left. */
void weft__device_stop(struct weft_comm *comm, int abort);
void weft__device_end(struct weft_comm *comm, int abort);

#endif
