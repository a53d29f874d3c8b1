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
            grow((void **)&x->succ_first, n + 1, sizeof(uint32_t)) ||
            grow((void **)&x->ready, n, sizeof(uint32_t)) || grow((void **)&x->state, n, 1) ||
            grow((void **)&x->q[0], n, sizeof(uint32_t)) ||
            grow((void **)&x->q[1], n, sizeof(uint32_t)) ||
            grow((void **)&x->reqs, n, sizeof(weft_treq_t)))
            return WEFT_ERR_NO_MEMORY;
        x->cap_steps = n;
    }
    if (s->ndeps > x->cap_deps || x->succ == NULL) {
        uint32_t n = s->ndeps + s->ndeps / 2 + 16;
        if (grow((void **)&x->succ, n, sizeof(uint32_t)))
            return WEFT_ERR_NO_MEMORY;
        x->cap_deps = n;
    }
    if (s->nbufs > x->cap_bufs || x->base == NULL) {
        if (grow((void **)&x->base, s->nbufs, sizeof(void *)))
            return WEFT_ERR_NO_MEMORY;
        x->cap_bufs = s->nbufs;
    }
    if (nranks > x->cap_ranks || x->cursor[0] == NULL) {
        for (int d = 0; d < 2; d++) {
            if (grow((void **)&x->q_first[d], (uint32_t)nranks + 1, sizeof(uint32_t)) ||
                grow((void **)&x->cursor[d], (uint32_t)nranks, sizeof(uint32_t)))
                return WEFT_ERR_NO_MEMORY;
        }
        x->cap_ranks = nranks;
    }
    return WEFT_OK;
}

static int is_comm(const weft_step_t *st)
{
    return st->kind <= WEFT_STEP_RECV_REDUCE;
}

static int dir_of(const weft_step_t *st)
{
    return st->kind == WEFT_STEP_SEND ? 0 : 1;
}

/* Successor lists and the per-peer queues, by counting sort. */
static void build_graph(weft_exec_t *x, const weft_sched_t *s, int nranks)
{
    uint32_t ns = s->nsteps;
    memset(x->succ_first, 0, (ns + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < ns; i++) {
        x->remaining[i] = s->steps[i].ndeps;
        x->state[i] = X_PENDING;
        for (uint32_t d = 0; d < s->steps[i].ndeps; d++)
            x->succ_first[s->deps[s->steps[i].dep_first + d] + 1]++;
    }
    for (uint32_t i = 0; i < ns; i++)
        x->succ_first[i + 1] += x->succ_first[i];
    /* Fill using ready[] as a temporary per-step cursor. */
    memset(x->ready, 0, ns * sizeof(uint32_t));
    for (uint32_t i = 0; i < ns; i++) {
        for (uint32_t d = 0; d < s->steps[i].ndeps; d++) {
            uint32_t dep = s->deps[s->steps[i].dep_first + d];
            x->succ[x->succ_first[dep] + x->ready[dep]++] = i;
        }
    }
    for (int d = 0; d < 2; d++) {
        memset(x->q_first[d], 0, ((size_t)nranks + 1) * sizeof(uint32_t));
        memset(x->cursor[d], 0, (size_t)nranks * sizeof(uint32_t));
    }
    for (uint32_t i = 0; i < ns; i++) {
        if (is_comm(&s->steps[i]))
            x->q_first[dir_of(&s->steps[i])][s->steps[i].peer + 1]++;
    }
    for (int d = 0; d < 2; d++) {
        for (int p = 0; p < nranks; p++)
            x->q_first[d][p + 1] += x->q_first[d][p];
    }
    for (uint32_t i = 0; i < ns; i++) {
        const weft_step_t *st = &s->steps[i];
        if (is_comm(st)) {
            int d = dir_of(st);
            x->q[d][x->q_first[d][st->peer] + x->cursor[d][st->peer]++] = i;
        }
    }
    for (int d = 0; d < 2; d++)
        memset(x->cursor[d], 0, (size_t)nranks * sizeof(uint32_t));
    x->nready = 0;
    for (uint32_t i = 0; i < ns; i++) {
        if (x->remaining[i] == 0) {
            x->state[i] = X_READY;
            x->ready[x->nready++] = i;
        }
    }
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
    build_graph(x, s, comm->nranks);
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
    for (uint32_t k = x->succ_first[i]; k < x->succ_first[i + 1]; k++) {
        uint32_t j = x->succ[k];
        if (--x->remaining[j] == 0) {
            x->state[j] = X_READY;
            x->ready[x->nready++] = j;
        }
    }
}

/* Transport callback: a SEND or RECV step finished. */
static void on_complete(weft_treq_t *req)
{
    weft_exec_t *x = req->user;
    if (req->status != WEFT_OK) {
        if (x->status == WEFT_OK) {
            x->status = req->status;
            x->failed_step = (int)req->user_index;
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
    uint32_t first = x->q_first[d][peer], len = x->q_first[d][peer + 1] - first;
    while (x->cursor[d][peer] < len) {
        uint32_t i = x->q[d][first + x->cursor[d][peer]];
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
            if (!is_comm(st)) {
                run_local(x, i);
                continue;
            }
            weft_status_t ps = post_ready(x, dir_of(st), st->peer);
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
        if (x->state[i] == X_DONE || !is_comm(st))
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
    free(x->succ_first);
    free(x->succ);
    free(x->ready);
    free(x->state);
    for (int d = 0; d < 2; d++) {
        free(x->q_first[d]);
        free(x->q[d]);
        free(x->cursor[d]);
    }
    free(x->reqs);
    memset(x, 0, sizeof(*x));
}
