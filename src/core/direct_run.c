/*
 * direct_run.c - a call on the direct path (direct.h): its rounds, the
 * two barriers of each on the proxy thread, and the stream's pieces.
 *
 * A round is two proxy calls, A and B, issued back to back, each with a
 * flag word of its own (a header-only staging buffer of the pool).  The
 * round's memory is freed once both calls are released: the proxy has
 * completed them and the stream has passed the round.
 */
#include "core/comm.h"
#include "core/direct.h"
#include "core/proxy_device.h"
#include "cuda/ipc_mem.h"
#include "reduce/reduce.h"
#include "util/log.h"
#include "util/time.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    weft_stream_calls_t *sc;
    weft_stage_t *flags[2]; /* A and B */
    weft_proxy_op_t *op[2];
    uint64_t round; /* its index among this communicator's rounds */
    _Atomic int refs;
} round_t;

#define ROUND_POLL_US 20

static weft_stage_header_t *header(const weft_stage_t *st)
{
    return (weft_stage_header_t *)st->host;
}

int weft__direct_takes(const weft_op_desc_t *ops, int n)
{
    return n == 1 && ops[0].on_device && ops[0].args.coll == WEFT_COLL_ALLREDUCE &&
           ops[0].comm->direct != NULL;
}

/* The proxy thread: a barrier over the host transports. */
static weft_status_t barrier(struct weft_comm *comm, char *why, size_t why_len)
{
    weft_op_desc_t d;
    memset(&d, 0, sizeof(d)); /* the plan cache compares it byte for byte */
    d.comm = comm;
    d.args.coll = WEFT_COLL_BARRIER;
    d.args.rank = comm->rank;
    d.args.nranks = comm->nranks;
    d.args.dt = WEFT_UINT8;
    d.args.op = WEFT_SUM;
    d.args.slice = 1;
    d.args.layout = &comm->layout;
    weft__clear_error();
    weft_status_t st = weft__run_ops(&d, 1);
    if (st != WEFT_OK)
        snprintf(why, why_len, "weft_allreduce (direct path): %s", weft_last_error());
    return st;
}

/* Barrier A: first, this rank's earlier rounds must have passed, so that
 * once every rank has joined no one reads the shared buffers any more. */
static weft_status_t run_a(void *arg, char *why, size_t why_len)
{
    round_t *r = arg;
    struct weft_comm *comm = r->sc->comm;
    uint64_t deadline = weft__deadline_after(comm->timeout_s);
    while (atomic_load(&comm->direct->passed) < r->round) {
        if (atomic_load(&comm->dying)) {
            snprintf(why, why_len, "weft_allreduce (direct path): the communicator is ending");
            return WEFT_ERR_INVALID_USAGE;
        }
        if (comm->timeout_s > 0 && weft__deadline_passed(deadline)) {
            snprintf(why, why_len, "weft_allreduce (direct path): the stream of an earlier "
                     "round did not pass it within %.1f s", comm->timeout_s);
            return WEFT_ERR_TIMEOUT;
        }
        usleep(ROUND_POLL_US);
    }
    return barrier(comm, why, why_len);
}

/* Barrier B: every rank's input is in its shared buffer -- unless the
 * GPU stopped waiting for barrier A: its guarded copy may then have
 * skipped the input, and joining would have peers read a stale buffer.
 * (ready_b runs after that wait kernel ended, so gave_up is final.) */
static weft_status_t run_b(void *arg, char *why, size_t why_len)
{
    round_t *r = arg;
    if (header(r->flags[0])->gave_up) {
        snprintf(why, why_len, "weft_allreduce (direct path): the GPU stopped waiting for the "
                 "first barrier of round %llu", (unsigned long long)r->round);
        return WEFT_ERR_TIMEOUT;
    }
    weft_status_t st = barrier(r->sc->comm, why, why_len);
    if (st == WEFT_OK)
        r->sc->comm->last_algo = "oneshot_cuda_ipc";
    return st;
}

static void release(round_t *r, int which)
{
    weft__stage_put(r->sc, r->flags[which]);
    if (atomic_fetch_sub(&r->refs, 1) == 1)
        free(r);
}

static void release_a(void *arg)
{
    release(arg, 0);
}

static void release_b(void *arg)
{
    release(arg, 1);
}

/* Host functions on the stream: no CUDA call, no blocking. */
static void ready_a(void *arg)
{
    weft__proxy_op_ready(((round_t *)arg)->op[0]);
}

static void ready_b(void *arg)
{
    weft__proxy_op_ready(((round_t *)arg)->op[1]);
}

static void passed(void *arg)
{
    round_t *r = arg;
    weft_proxy_op_t *a = r->op[0], *b = r->op[1];
    int gave_up_a = header(r->flags[0])->gave_up != 0;
    int gave_up_b = header(r->flags[1])->gave_up != 0;
    atomic_fetch_add(&r->sc->comm->direct->passed, 1);
    weft__proxy_op_passed(a, gave_up_a); /* r lives until both are released */
    weft__proxy_op_passed(b, gave_up_b); /* r may be gone now */
}

/* The wait kernel gives up only when the proxy shows no sign of life for
 * twice the timeout (as in proxy_device.c). */
static uint64_t wait_limit_ns(const struct weft_comm *comm)
{
    return comm->timeout_s > 0 ? (uint64_t)((2 * comm->timeout_s + 5) * 1e9) : 0;
}

/* A round's two flag words and its two proxy calls; on failure nothing
 * is left issued. */
static weft_status_t issue_round(weft_stream_calls_t *sc, const char *fn, round_t **r_p)
{
    round_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: a round of the direct path", fn);
    r->sc = sc;
    r->round = sc->comm->direct->rounds;
    weft_status_t st = weft__stage_get(sc, 0, &r->flags[0]);
    if (st == WEFT_OK && (st = weft__stage_get(sc, 0, &r->flags[1])) != WEFT_OK)
        weft__stage_put(sc, r->flags[0]);
    if (st != WEFT_OK) {
        free(r);
        return st;
    }
    atomic_store(&r->refs, 2);
    weft_proxy_work_t a = {run_a, release_a, r, &header(r->flags[0])->flag, fn};
    weft_proxy_work_t b = {run_b, release_b, r, &header(r->flags[1])->flag, fn};
    st = weft__proxy_issue(sc->proxy, &a, &r->op[0]);
    if (st != WEFT_OK) {
        weft__stage_put(sc, r->flags[0]);
        weft__stage_put(sc, r->flags[1]);
        free(r);
        return st;
    }
    st = weft__proxy_issue(sc->proxy, &b, &r->op[1]);
    if (st != WEFT_OK) { /* A stays issued: its stream will never come */
        weft__stage_put(sc, r->flags[1]);
        weft__proxy_op_cancel(r->op[0], st, weft_last_error());
        return st;
    }
    sc->comm->direct->rounds++;
    *r_p = r;
    return WEFT_OK;
}

/* One round over elements [off, off + count) of the call. */
static weft_status_t one_round(weft_stream_calls_t *sc, const weft_op_desc_t *op, void *stream,
                               uint64_t off, uint64_t count, const char *fn)
{
    struct weft_comm *comm = sc->comm;
    weft_direct_t *d = comm->direct;
    size_t es = weft__dtype_size(op->args.dt);
    round_t *r = NULL;
    weft_status_t st = issue_round(sc, fn, &r);
    if (st != WEFT_OK)
        return st;
    weft__cuda_direct_round_t q = {
        .ready_a = ready_a,
        .ready_b = ready_b,
        .passed = passed,
        .arg = r,
        .flag_a_dev = r->flags[0]->dev + offsetof(weft_stage_header_t, flag),
        .flag_b_dev = r->flags[1]->dev + offsetof(weft_stage_header_t, flag),
        .gave_up_a_dev = r->flags[0]->dev + offsetof(weft_stage_header_t, gave_up),
        .gave_up_b_dev = r->flags[1]->dev + offsetof(weft_stage_header_t, gave_up),
        .heartbeat_dev = sc->beat->dev + offsetof(weft_stage_header_t, flag),
        .wait_limit_ns = wait_limit_ns(comm),
        .in = (const uint8_t *)op->sendbuf + off * es,
        .mine = d->mine,
        .bytes = count * es,
        .out = (uint8_t *)op->recvbuf + off * es,
        .srcs = (const void *const *)d->peer,
        .nsrcs = comm->nranks,
        .count = count,
        .dt = op->args.dt,
        .op = op->args.op,
        .divisor = op->args.op == WEFT_AVG ? (uint32_t)comm->nranks : 1,
    };
    weft_proxy_op_t *a = r->op[0], *b = r->op[1];
    st = weft__cuda_direct_round(comm->device, stream, &q);
    if (st != WEFT_OK) { /* the stream may hold part of it: keep all of it */
        weft__proxy_op_cancel(a, st, weft_last_error());
        weft__proxy_op_cancel(b, st, weft_last_error());
    }
    return st;
}

weft_status_t weft__direct_submit(weft_stream_calls_t *sc, const weft_op_desc_t *op,
                                  void *stream, const char *fn)
{
    size_t es = weft__dtype_size(op->args.dt);
    uint64_t per = sc->comm->direct->bytes / es, total = op->args.count, off = 0;
    weft_status_t st = WEFT_OK;
    /* The kernel writes the output in elements (the copy in takes any
     * alignment).  Refused before anything is issued: the peers then
     * time out in the barrier, as for any call one rank does not make. */
    if (total > 0 && (uintptr_t)op->recvbuf % es != 0)
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT,
                         "%s: recvbuf %p is not aligned to its %zu-byte elements, which the "
                         "direct path (WEFT_CUDA_IPC=1) needs", fn, op->recvbuf, es);
    while (st == WEFT_OK) { /* a zero count is one round too: every rank runs the barriers */
        uint64_t n = total - off < per ? total - off : per;
        st = one_round(sc, op, stream, off, n, fn);
        off += n;
        if (off >= total)
            break;
    }
    if (st != WEFT_OK) /* peers run rounds this rank skipped (the first error stays) */
        weft__proxy_fail(sc->proxy, st, weft_last_error());
    return st;
}
