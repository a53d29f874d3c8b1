/*
 * exec.c - the executor (see exec.h).
 *
 * Setting up a run is linear in the schedule: successor lists and per-peer
 * posting queues are built with counting sorts into arrays that the
 * communicator keeps from run to run, so that a small collective costs no
 * allocation.
 */
#include "core/comm.h"
#include "reduce/reduce.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { X_PENDING, X_READY, X_POSTED, X_DONE };

static int grow(void **arr, uint32_t need, size_t elem)
{
    void *p = realloc(*arr, (size_t)(need ? need : 1) * elem);
    if (p == NULL)
        return -1;
    *arr = p;
    return 0;
}

static weft_status_t reserve(weft_exec_t *x, const weft_sched_t *s, int nranks)
{
    if (s->nsteps > x->cap_steps || x->remaining == NULL) {
        uint32_t n = s->nsteps + s->nsteps / 2 + 16;
        if (grow((void **)&x->remaining, n, sizeof(uint32_t)) ||
            grow((void **)&x->remaining0, n, sizeof(uint32_t)) ||
            grow((void **)&x->ready0, n, sizeof(uint32_t)) ||
            grow((void **)&x->ready, n, sizeof(uint32_t)) || grow((void **)&x->state, n, 1) ||
            grow((void **)&x->reqs, n, sizeof(weft_treq_t)))
            return WEFT_ERR_NO_MEMORY;
        x->cap_steps = n;
    }
    if (s->nbufs > x->cap_bufs || x->base == NULL) {
        if (grow((void **)&x->base, s->nbufs, sizeof(void *)))
            return WEFT_ERR_NO_MEMORY;
        x->cap_bufs = s->nbufs;
    }
    if (nranks > x->cap_ranks || x->cursor[0] == NULL) {
        for (int d = 0; d < 2; d++) {
            if (grow((void **)&x->cursor[d], (uint32_t)nranks, sizeof(uint32_t)))
                return WEFT_ERR_NO_MEMORY;
        }
        x->cap_ranks = nranks;
    }
    return weft__graph_build(&x->graph, s, nranks);
}

/* The state at the start of a run, kept for restarts. */
static void initial_state(weft_exec_t *x, const weft_sched_t *s, int nranks)
{
    uint32_t ns = s->nsteps;
    x->nready = 0;
    for (uint32_t i = 0; i < ns; i++) {
        x->remaining[i] = s->steps[i].ndeps;
        x->state[i] = X_PENDING;
        if (x->remaining[i] == 0) {
            x->state[i] = X_READY;
            x->ready[x->nready++] = i;
        }
    }
    for (int d = 0; d < 2; d++)
        memset(x->cursor[d], 0, (size_t)nranks * sizeof(uint32_t));
    memcpy(x->remaining0, x->remaining, ns * sizeof(uint32_t));
    memcpy(x->ready0, x->ready, x->nready * sizeof(uint32_t));
    x->nready0 = x->nready;
}

void weft__exec_restart(weft_exec_t *x, void *const *base)
{
    const weft_sched_t *s = x->sched;
    int n = x->comm->nranks;
    memcpy(x->base, base, s->nbufs * sizeof(void *));
    memcpy(x->remaining, x->remaining0, s->nsteps * sizeof(uint32_t));
    memset(x->state, X_PENDING, s->nsteps);
    memcpy(x->ready, x->ready0, x->nready0 * sizeof(uint32_t));
    x->nready = x->nready0;
    for (uint32_t i = 0; i < x->nready; i++)
        x->state[x->ready[i]] = X_READY;
    memset(x->cursor[0], 0, (size_t)n * sizeof(uint32_t));
    memset(x->cursor[1], 0, (size_t)n * sizeof(uint32_t));
    x->ndone = 0;
    x->status = WEFT_OK;
    x->failed_step = -1;
    x->notice = NULL;
}

weft_status_t weft__exec_start(weft_exec_t *x, struct weft_comm *comm, const weft_sched_t *s,
                               void *const *base)
{
    if (reserve(x, s, comm->nranks) != WEFT_OK)
        return weft__error(WEFT_ERR_NO_MEMORY, "executor state for %u steps", s->nsteps);
    x->comm = comm;
    x->sched = s;
    memcpy(x->base, base, s->nbufs * sizeof(void *));
    x->ndone = 0;
    x->status = WEFT_OK;
    x->failed_step = -1;
    x->notice = NULL;
    initial_state(x, s, comm->nranks);
    return WEFT_OK;
}

static char *addr(const weft_exec_t *x, const weft_step_t *st, weft_region_t r)
{
    return (char *)x->base[r.buf] + r.off * weft__dtype_size((weft_datatype_t)st->dtype);
}

static void step_done(weft_exec_t *x, uint32_t i)
{
    x->state[i] = X_DONE;
    x->ndone++;
    for (uint32_t k = x->graph.succ_first[i]; k < x->graph.succ_first[i + 1]; k++) {
        uint32_t j = x->graph.succ[k];
        if (--x->remaining[j] == 0) {
            x->state[j] = X_READY;
            x->ready[x->nready++] = j;
        }
    }
}

/* A message arrived (or failed to fit): note where its sender is, for
 * timeout messages and hang reports, and put a disagreement into words. */
static void note_receive(weft_exec_t *x, const weft_step_t *st, const weft_treq_t *req)
{
    const weft_wire_sig_t *got = &req->peer_sig;
    if ((got->flags & (WEFT_SIG_F_PRESENT | WEFT_SIG_F_P2P)) == WEFT_SIG_F_PRESENT)
        atomic_store_explicit(&x->comm->diag.peer_seen[st->peer], got->seq,
                              memory_order_relaxed);
    /* Only the receive that read the header holds a signature here. */
    if (req->status == WEFT_ERR_INVALID_USAGE && req->sig != NULL && !weft__sig_agree(req->sig, got))
        weft__sig_mismatch(x->comm, st->peer, req->sig, got,
                           "seen in the header of its message, before any data was written");
}

/* Transport callback: a SEND or RECV step finished. */
static void on_complete(weft_treq_t *req)
{
    weft_exec_t *x = req->user;
    const weft_step_t *st = &x->sched->steps[req->user_index];
    if (st->kind != WEFT_STEP_SEND)
        note_receive(x, st, req);
    if (req->status != WEFT_OK) {
        /* The first failure is the run's; a peer's notice, which says why,
         * is preferred to a bare "peer gone" that came first. */
        if (x->status == WEFT_OK ||
            (x->notice == NULL && req->notice != NULL && x->status == WEFT_ERR_REMOTE)) {
            x->status = req->status;
            x->failed_step = (int)req->user_index;
            x->notice = req->notice;
            x->notice_peer = st->peer;
        }
        x->state[req->user_index] = X_DONE;
        return;
    }
    step_done(x, req->user_index);
}

/* Transport callback for RECV_REDUCE: dst = local op incoming, piecewise. */
static void on_reduce_piece(weft_treq_t *req, size_t off, const void *data, size_t len)
{
    weft_exec_t *x = req->user;
    const weft_step_t *st = &x->sched->steps[req->user_index];
    size_t es = weft__dtype_size((weft_datatype_t)st->dtype);
    weft__reduce(addr(x, st, st->dst) + off, addr(x, st, st->src) + off, data, len / es,
                 (weft_datatype_t)st->dtype, (weft_op_t)st->op);
}

static weft_status_t post(weft_exec_t *x, uint32_t i)
{
    const weft_step_t *st = &x->sched->steps[i];
    weft_treq_t *req = &x->reqs[i];
    size_t es = weft__dtype_size((weft_datatype_t)st->dtype);
    memset(req, 0, sizeof(*req));
    req->align = es;
    req->complete = on_complete;
    req->user = x;
    req->user_index = i;
    /* The signature of the call this step belongs to (calls of a group
     * are told apart by their buffers). */
    const weft_wire_sig_t *sigs = x->comm->diag.run_sigs;
    if (sigs != NULL) {
        uint32_t b = st->kind == WEFT_STEP_SEND ? st->src.buf : st->dst.buf;
        req->sig = &sigs[b < x->sched->nbufs ? x->sched->bufs[b].group : 0];
    }
    weft_transport_t *tp = x->comm->tp[x->comm->peer_class[st->peer]];
    x->state[i] = X_POSTED;
    if (st->kind == WEFT_STEP_SEND) {
        req->buf = addr(x, st, st->src);
        req->bytes = st->src.count * es;
        return tp->ops->isend(tp, st->peer, req);
    }
    req->buf = addr(x, st, st->dst);
    req->bytes = st->dst.count * es;
    if (st->kind == WEFT_STEP_RECV_REDUCE)
        req->consume = on_reduce_piece;
    return tp->ops->irecv(tp, st->peer, req);
}

/* Posts, in order, every ready step at the head of a peer's queue. */
static weft_status_t post_ready(weft_exec_t *x, int d, int peer)
{
    uint32_t first = x->graph.q_first[d][peer], len = x->graph.q_first[d][peer + 1] - first;
    while (x->cursor[d][peer] < len) {
        uint32_t i = x->graph.q[d][first + x->cursor[d][peer]];
        if (x->state[i] != X_READY)
            break;
        x->cursor[d][peer]++;
        weft_status_t st = post(x, i);
        if (st != WEFT_OK)
            return st;
    }
    return WEFT_OK;
}

static void run_local(weft_exec_t *x, uint32_t i)
{
    const weft_step_t *st = &x->sched->steps[i];
    weft_datatype_t dt = (weft_datatype_t)st->dtype;
    char *dst = addr(x, st, st->dst);
    switch (st->kind) {
    case WEFT_STEP_COPY: {
        const char *src = addr(x, st, st->src);
        if (src != dst) /* in-place calls copy a block onto itself */
            memcpy(dst, src, st->dst.count * weft__dtype_size(dt));
        break;
    }
    case WEFT_STEP_REDUCE:
        weft__reduce(dst, addr(x, st, st->src), addr(x, st, st->src2), st->dst.count, dt,
                     (weft_op_t)st->op);
        break;
    case WEFT_STEP_DIVIDE: weft__divide(dst, st->dst.count, dt, st->divisor); break;
    default: break;
    }
    step_done(x, i);
}

weft_status_t weft__exec_progress(weft_exec_t *x, int *progressed_p)
{
    int moved = 0;
    for (;;) {
        while (x->nready > 0 && x->status == WEFT_OK) {
            uint32_t i = x->ready[--x->nready];
            const weft_step_t *st = &x->sched->steps[i];
            moved = 1;
            if (!weft__step_is_comm(st)) {
                run_local(x, i);
                continue;
            }
            weft_status_t ps = post_ready(x, weft__step_dir(st), st->peer);
            if (ps != WEFT_OK && x->status == WEFT_OK) {
                x->status = ps;
                x->failed_step = (int)i;
            }
        }
        if (x->status != WEFT_OK)
            break;
        if (x->ndone == x->sched->nsteps)
            break;
        int tmoved = 0;
        for (int t = 0; t < WEFT_NUM_TP; t++) {
            int m = 0;
            if (x->comm->tp[t] != NULL)
                x->comm->tp[t]->ops->progress(x->comm->tp[t], &m);
            tmoved |= m;
        }
        moved |= tmoved;
        /* Completions may have made steps ready: go round again at once. */
        if (!tmoved || x->nready == 0)
            break;
    }
    *progressed_p = moved;
    if (x->status != WEFT_OK)
        return x->status;
    return x->ndone == x->sched->nsteps ? WEFT_OK : WEFT_IN_PROGRESS;
}

void weft__exec_describe_pending(const weft_exec_t *x, char *buf, size_t len)
{
    const weft_sched_t *s = x->sched;
    size_t used = 0;
    int shown = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < s->nsteps && shown < 3 && used < len; i++) {
        const weft_step_t *st = &s->steps[i];
        if (x->state[i] == X_DONE || !weft__step_is_comm(st))
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%sstep %u %s %s rank %d%s",
                                 shown ? ", " : "", i, weft__step_kind_name(st->kind),
                                 st->kind == WEFT_STEP_SEND ? "to" : "from", st->peer,
                                 x->state[i] == X_POSTED ? " (posted)" : " (not yet posted)");
        shown++;
    }
    if (shown == 0)
        snprintf(buf, len, "no communication step pending");
}

void weft__exec_free(weft_exec_t *x)
{
    free(x->base);
    free(x->remaining);
    free(x->remaining0);
    free(x->ready0);
    free(x->ready);
    free(x->state);
    for (int d = 0; d < 2; d++)
        free(x->cursor[d]);
    weft__graph_free(&x->graph);
    free(x->reqs);
    memset(x, 0, sizeof(*x));
}
