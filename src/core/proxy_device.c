/*
 * proxy_device.c - one stream-ordered proxy call for a list of calls on
 * device buffers (one, or a group's calls on one communicator): staging,
 * the pieces on the stream, and what the proxy thread runs.
 *
 * The calls are rewritten to point at their regions of one staging
 * buffer (proxy_layout.c); the proxy runs them together with
 * weft__run_ops, exactly as a host group would run them.  On the stream
 * (cuda/stream.h): the inputs are copied into staging, the proxy is told,
 * the stream waits on the staging buffer's flag, the results are copied
 * out, and the buffer goes back to the pool once both the proxy and the
 * stream are done with it (proxy.h: the call's release).
 *
 * A large all-reduce, broadcast or reduce goes in pieces of
 * WEFT_STAGE_PIECE_BYTES (proxy_layout.c), each a call of its own: the
 * stream first copies every piece in and hands it over, then waits for
 * each and copies it out, so that the copies of one piece overlap the
 * proxy moving another -- the network phase of a staged call no longer
 * waits for the whole input to reach host memory, nor the copy back for
 * the whole collective.
 *
 * After the host function that passes the call is queued, the call may
 * complete and be freed at any moment: nothing here touches it then.
 */
#include "core/comm.h"
#include "core/proxy_device.h"
#include "cuda/stream.h"
#include "util/config.h"
#include "util/log.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    weft_stream_calls_t *sc;
    weft_proxy_op_t *op;
    weft_stage_t *stage;
    const char *fn;
    int nops;
    weft_op_desc_t *ops;    /* the calls, on staging memory */
    weft__cuda_copy_t *out; /* the copies back, queued with the wait */
    int nout;
} device_call_t;

/* Regions start on this boundary (a cache line and more). */
#define SPAN_ALIGN 256

static size_t span_round(size_t bytes)
{
    return (bytes + SPAN_ALIGN - 1) / SPAN_ALIGN * SPAN_ALIGN;
}

static void call_free(device_call_t *c)
{
    free(c->ops);
    free(c->out);
    free(c);
}

/* The proxy thread: the host collective(s) on staging memory. */
static weft_status_t run_call(void *arg, char *why, size_t why_len)
{
    device_call_t *c = arg;
    weft__clear_error();
    weft_status_t st = weft__run_ops(c->ops, c->nops);
    if (st != WEFT_OK)
        snprintf(why, why_len, "%s: %s", c->fn, weft_last_error());
    return st;
}

static void release_call(void *arg)
{
    device_call_t *c = arg;
    weft__stage_put(c->sc, c->stage);
    call_free(c);
}

/* Host functions on the stream: no CUDA call, no blocking. */
static void stream_ready(void *arg)
{
    device_call_t *c = arg;
    weft__proxy_op_ready(c->op);
}

static void stream_passed(void *arg)
{
    device_call_t *c = arg;
    const weft_stage_header_t *h = (const weft_stage_header_t *)c->stage->host;
    int gave_up = h->gave_up != 0;
    weft__proxy_op_passed(c->op, gave_up); /* may release c */
}

/* Points c's calls at staging and lists the copies; returns the number
 * of each kind through nin_p / nout_p. */
static void place_calls(device_call_t *c, const weft_op_desc_t *ops, weft__cuda_copy_t *in,
                        int *nin_p, weft__cuda_copy_t *out, int *nout_p)
{
    uint8_t *data = c->stage->host + WEFT_STAGE_DATA_OFFSET;
    size_t at = 0;
    int nin = 0, nout = 0;
    for (int i = 0; i < c->nops; i++) {
        weft_stage_span_t s;
        weft__stage_span(&ops[i], &s);
        c->ops[i] = ops[i];
        c->ops[i].sendbuf = s.has_send ? data + at + s.send_off : NULL;
        c->ops[i].recvbuf = s.has_recv ? data + at + s.recv_off : NULL;
        if (s.in_bytes > 0)
            in[nin++] = (weft__cuda_copy_t){data + at + s.in_off, s.in_src, s.in_bytes};
        if (s.out_bytes > 0)
            out[nout++] = (weft__cuda_copy_t){s.out_dst, data + at + s.out_off, s.out_bytes};
        at += span_round(s.bytes);
    }
    *nin_p = nin;
    *nout_p = nout;
}

/* A stage whose copies may still be pending is never reused. */
static void poison(weft_stream_calls_t *sc, weft_stage_t *stage)
{
    pthread_mutex_lock(&sc->pool_lock);
    stage->poisoned = 1;
    pthread_mutex_unlock(&sc->pool_lock);
}

/* The GPU's wait gives up only if the proxy shows no sign of life for
 * twice the timeout: the proxy's own waits end at the timeout and then
 * fail the call, which ends the GPU's wait with the real reason. */
uint64_t weft__device_wait_limit_ns(const struct weft_comm *comm)
{
    return comm->timeout_s > 0 ? (uint64_t)((2 * comm->timeout_s + 5) * 1e9) : 0;
}

/* Pieces 2-5 on the stream, after the call was issued (piece 2 only if
 * with_ready: a call cut into pieces queued its own). */
static weft_status_t queue_wait(weft_stream_calls_t *sc, device_call_t *c, void *stream,
                                int with_ready)
{
    weft_proxy_op_t *op = c->op;
    weft__cuda_wait_out_t w = {
        .ready = with_ready ? stream_ready : NULL,
        .flag_dev = c->stage->dev + offsetof(weft_stage_header_t, flag),
        .heartbeat_dev = sc->beat->dev + offsetof(weft_stage_header_t, flag),
        .gave_up_dev = c->stage->dev + offsetof(weft_stage_header_t, gave_up),
        .wait_limit_ns = weft__device_wait_limit_ns(sc->comm),
        .to_device = c->out,
        .n_to_device = c->nout,
        .passed = stream_passed,
        .arg = c,
    };
    weft_status_t st = weft__cuda_wait_out(sc->comm->device, stream, &w);
    if (st != WEFT_OK) /* the stream may hold part of it: keep all of it */
        weft__proxy_op_cancel(op, st, weft_last_error());
    return st;
}

/* Stages ops (piece 1) and issues them to the proxy as one call; on
 * failure nothing of it is left issued. */
static weft_status_t stage_call(weft_stream_calls_t *sc, const weft_op_desc_t *ops, int nops,
                                void *stream, const char *fn, device_call_t **c_p)
{
    size_t total = 0;
    for (int i = 0; i < nops; i++) {
        weft_stage_span_t s;
        weft__stage_span(&ops[i], &s);
        total += span_round(s.bytes);
    }
    device_call_t *c = calloc(1, sizeof(*c));
    weft__cuda_copy_t *in = calloc((size_t)nops, sizeof(*in));
    if (c != NULL) {
        c->ops = calloc((size_t)nops, sizeof(*c->ops));
        c->out = calloc((size_t)nops, sizeof(*c->out));
    }
    if (c == NULL || c->ops == NULL || c->out == NULL || in == NULL) {
        free(in);
        if (c != NULL)
            call_free(c);
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: a stream-ordered call", fn);
    }
    c->sc = sc;
    c->fn = fn;
    c->nops = nops;
    weft_status_t st = weft__stage_get(sc, total, &c->stage);
    if (st != WEFT_OK) {
        free(in);
        call_free(c);
        return st;
    }
    int nin = 0;
    place_calls(c, ops, in, &nin, c->out, &c->nout);
    st = weft__cuda_stage_in(sc->comm->device, stream, in, nin);
    free(in);
    if (st != WEFT_OK) /* this rank skips a call its peers make: fail what follows */
        weft__proxy_fail(sc->proxy, st, weft_last_error());
    weft_proxy_work_t work = {run_call, release_call, c,
                              &((weft_stage_header_t *)c->stage->host)->flag, fn};
    if (st == WEFT_OK)
        st = weft__proxy_issue(sc->proxy, &work, &c->op);
    if (st != WEFT_OK) {
        poison(sc, c->stage);
        call_free(c);
        return st;
    }
    *c_p = c;
    return WEFT_OK;
}

/* WEFT_STAGE_PIECE_BYTES (0: never cut). */
static size_t piece_bytes(void)
{
    int64_t v = weft__config_int(WEFT_CFG_STAGE_PIECE_BYTES);
    return v > 0 ? (size_t)v : 0;
}

/* Issued calls whose waits will never be queued: their streams do not
 * hold them, and the communicator must fail (a rank skipped work). */
static void cancel_from(device_call_t **calls, uint64_t from, uint64_t n, weft_status_t st)
{
    char why[1024];
    snprintf(why, sizeof(why), "%s", weft_last_error());
    for (uint64_t k = from; k < n; k++) {
        if (calls[k] != NULL)
            weft__proxy_op_cancel(calls[k]->op, st, why);
    }
}

/* A call in n pieces: every piece's copy in and hand-over first, then
 * every wait and copy out, so that the copies of later pieces run while
 * the proxy moves earlier ones.  If a piece cannot be handed over, the
 * proxy is failed and the pieces already handed over still get their
 * waits: they complete as failed and their streams pass them, so that
 * nothing is held for ever. */
static weft_status_t submit_pieces(weft_stream_calls_t *sc, const weft_op_desc_t *op, uint64_t n,
                                   void *stream, const char *fn)
{
    device_call_t **calls = calloc(n, sizeof(*calls));
    if (calls == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: %llu pieces", fn, (unsigned long long)n);
    weft_status_t st = WEFT_OK;
    uint64_t handed = 0;
    for (uint64_t k = 0; k < n && st == WEFT_OK; k++) {
        weft_op_desc_t piece;
        weft__stage_piece(op, piece_bytes(), k, &piece);
        st = stage_call(sc, &piece, 1, stream, fn, &calls[k]);
        if (st == WEFT_OK && (st = weft__cuda_host_fn(sc->comm->device, stream, stream_ready,
                                                      calls[k])) != WEFT_OK)
            cancel_from(calls, k, k + 1, st); /* its copy in is queued: keep it all */
        if (st == WEFT_OK)
            handed = k + 1;
    }
    if (st != WEFT_OK) /* peers make the pieces this rank skips (the first error stays) */
        weft__proxy_fail(sc->proxy, st, weft_last_error());
    for (uint64_t k = 0; k < handed; k++) {
        weft_status_t w = queue_wait(sc, calls[k], stream, 0); /* calls[k] may be gone after */
        if (w != WEFT_OK) {
            cancel_from(calls, k + 1, handed, w);
            st = st != WEFT_OK ? st : w;
            break;
        }
    }
    free(calls);
    return st;
}

weft_status_t weft__device_submit(weft_stream_calls_t *sc, weft_op_desc_t *ops, int nops,
                                  void *stream, const char *fn)
{
    uint64_t pieces = nops == 1 ? weft__stage_piece_count(&ops[0], piece_bytes()) : 1;
    if (pieces > 1)
        return submit_pieces(sc, &ops[0], pieces, stream, fn);
    device_call_t *c = NULL;
    weft_status_t st = stage_call(sc, ops, nops, stream, fn, &c);
    if (st != WEFT_OK) /* peers make the call this rank skips (the first error stays) */
        weft__proxy_fail(sc->proxy, st, weft_last_error());
    else
        st = queue_wait(sc, c, stream, 1); /* c may be gone once it returns */
    return st;
}
