/*
 * sched.c - building schedules (see sched.h).
 *
 * Arrays grow by doubling and are kept across weft__sched_reset(), so that
 * a communicator that issues the same collective again builds its schedule
 * without touching the allocator.
 */
#include "algo/sched.h"
#include "util/log.h"

/* hazard.c */
void weft__hazards_reset(weft_hazards_t *h);
void weft__hazards_free(weft_hazards_t *h);
int weft__hazards_begin(weft_sched_t *s, uint32_t self);
int weft__hazards_dep(weft_sched_t *s, uint32_t dep, uint32_t self);
int weft__hazards_step(weft_sched_t *s, const weft_step_t *st, uint32_t self);

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    uint32_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (p == NULL)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

void weft__sched_init(weft_sched_t *s, int rank, int nranks)
{
    memset(s, 0, sizeof(*s));
    s->rank = rank;
    s->nranks = nranks;
}

void weft__sched_reset(weft_sched_t *s, int rank, int nranks)
{
    s->nsteps = s->ndeps = s->nbufs = 0;
    s->rank = rank;
    s->nranks = nranks;
    s->algo = NULL;
    s->status = WEFT_OK;
    weft__hazards_reset(s->hz);
}

void weft__sched_done(weft_sched_t *s)
{
    weft__hazards_free(s->hz);
    s->hz = NULL;
}

void weft__sched_free(weft_sched_t *s)
{
    weft__hazards_free(s->hz);
    free(s->steps);
    free(s->deps);
    free(s->bufs);
    memset(s, 0, sizeof(*s));
}

uint32_t weft__sched_add_buf(weft_sched_t *s, weft_buf_kind_t kind, weft_datatype_t dt,
                             uint64_t count)
{
    if (grow((void **)&s->bufs, &s->bufs_cap, s->nbufs + 1, sizeof(*s->bufs)) != 0) {
        s->status = WEFT_ERR_NO_MEMORY;
        return UINT32_MAX;
    }
    weft_sched_buf_t *b = &s->bufs[s->nbufs];
    b->kind = (uint8_t)kind;
    b->dtype = (uint8_t)dt;
    b->group = 0;
    b->count = count;
    return s->nbufs++;
}

static int step_moves_nothing(const weft_step_t *st)
{
    if (st->flags & WEFT_STEP_F_SIGNAL)
        return 0;
    switch (st->kind) {
    case WEFT_STEP_SEND: return st->src.count == 0;
    default: return st->dst.count == 0;
    }
}

int32_t weft__sched_add(weft_sched_t *s, const weft_step_t *step, const int32_t *deps,
                        int ndeps)
{
    if (s->status != WEFT_OK || step_moves_nothing(step))
        return WEFT_NO_STEP;
    uint32_t self = s->nsteps;
    if (grow((void **)&s->steps, &s->steps_cap, self + 1, sizeof(*s->steps)) != 0 ||
        weft__hazards_begin(s, self) != 0) {
        s->status = WEFT_ERR_NO_MEMORY;
        return WEFT_NO_STEP;
    }
    uint32_t first = s->ndeps;
    for (int i = 0; i < ndeps; i++) {
        if (deps[i] == WEFT_NO_STEP)
            continue;
        /* Deps name earlier steps only: the graph stays acyclic and the
         * executor can evaluate readiness in one forward pass. */
        if (deps[i] < 0 || (uint32_t)deps[i] >= self) {
            s->status = WEFT_ERR_INTERNAL;
            return WEFT_NO_STEP;
        }
        if (weft__hazards_dep(s, (uint32_t)deps[i], self) != 0) {
            s->status = WEFT_ERR_NO_MEMORY;
            return WEFT_NO_STEP;
        }
    }
    if (weft__hazards_step(s, step, self) != 0) {
        s->status = WEFT_ERR_NO_MEMORY;
        return WEFT_NO_STEP;
    }
    weft_step_t *st = &s->steps[self];
    *st = *step;
    st->dep_first = first;
    st->ndeps = s->ndeps - first;
    return (int32_t)s->nsteps++;
}

static weft_step_t make_step(weft_step_kind_t kind, weft_datatype_t dt, weft_op_t op, int peer)
{
    weft_step_t st;
    memset(&st, 0, sizeof(st));
    st.kind = (uint8_t)kind;
    st.dtype = (uint8_t)dt;
    st.op = (uint8_t)op;
    st.peer = peer;
    return st;
}

int32_t weft__sched_send(weft_sched_t *s, int peer, weft_region_t src, weft_datatype_t dt,
                         const int32_t *deps, int ndeps)
{
    weft_step_t st = make_step(WEFT_STEP_SEND, dt, WEFT_SUM, peer);
    st.src = src;
    return weft__sched_add(s, &st, deps, ndeps);
}

int32_t weft__sched_recv(weft_sched_t *s, int peer, weft_region_t dst, weft_datatype_t dt,
                         const int32_t *deps, int ndeps)
{
    weft_step_t st = make_step(WEFT_STEP_RECV, dt, WEFT_SUM, peer);
    st.dst = dst;
    return weft__sched_add(s, &st, deps, ndeps);
}

int32_t weft__sched_recv_reduce(weft_sched_t *s, int peer, weft_region_t src,
                                weft_region_t dst, weft_datatype_t dt, weft_op_t op,
                                const int32_t *deps, int ndeps)
{
    weft_step_t st = make_step(WEFT_STEP_RECV_REDUCE, dt, op, peer);
    st.src = src;
    st.dst = dst;
    return weft__sched_add(s, &st, deps, ndeps);
}

int32_t weft__sched_copy(weft_sched_t *s, weft_region_t src, weft_region_t dst,
                         weft_datatype_t dt, const int32_t *deps, int ndeps)
{
    weft_step_t st = make_step(WEFT_STEP_COPY, dt, WEFT_SUM, -1);
    st.src = src;
    st.dst = dst;
    return weft__sched_add(s, &st, deps, ndeps);
}

int32_t weft__sched_reduce(weft_sched_t *s, weft_region_t a, weft_region_t b,
                           weft_region_t dst, weft_datatype_t dt, weft_op_t op,
                           const int32_t *deps, int ndeps)
{
    weft_step_t st = make_step(WEFT_STEP_REDUCE, dt, op, -1);
    st.src = a;
    st.src2 = b;
    st.dst = dst;
    return weft__sched_add(s, &st, deps, ndeps);
}

int32_t weft__sched_divide(weft_sched_t *s, weft_region_t dst, weft_datatype_t dt,
                           uint32_t divisor, const int32_t *deps, int ndeps)
{
    weft_step_t st = make_step(WEFT_STEP_DIVIDE, dt, WEFT_AVG, -1);
    st.dst = dst;
    st.divisor = divisor;
    return weft__sched_add(s, &st, deps, ndeps);
}

uint32_t weft__sched_append_bufs(weft_sched_t *dst, const weft_sched_t *src, uint32_t group)
{
    uint32_t buf0 = dst->nbufs;
    if (src->status != WEFT_OK && dst->status == WEFT_OK)
        dst->status = src->status;
    for (uint32_t i = 0; i < src->nbufs && dst->status == WEFT_OK; i++) {
        const weft_sched_buf_t *b = &src->bufs[i];
        uint32_t k = weft__sched_add_buf(dst, (weft_buf_kind_t)b->kind, (weft_datatype_t)b->dtype,
                                         b->count);
        if (k != UINT32_MAX)
            dst->bufs[k].group = group;
    }
    return buf0;
}

weft_status_t weft__sched_append_steps(weft_sched_t *dst, const weft_sched_t *src, uint32_t buf0)
{
    uint32_t most = 1;
    for (uint32_t i = 0; i < src->nsteps; i++)
        most = src->steps[i].ndeps > most ? src->steps[i].ndeps : most;
    int32_t *map = malloc(((size_t)src->nsteps + 1) * sizeof(*map));
    int32_t *deps = malloc((size_t)most * sizeof(*deps));
    if (map == NULL || deps == NULL) {
        free(map);
        free(deps);
        return dst->status = WEFT_ERR_NO_MEMORY;
    }
    for (uint32_t i = 0; i < src->nsteps && dst->status == WEFT_OK; i++) {
        weft_step_t st = src->steps[i];
        st.src.buf += buf0;
        st.src2.buf += buf0;
        st.dst.buf += buf0;
        /* Memory deps are derived again; the others are carried over. */
        int n = 0;
        for (uint32_t d = 0; d < st.ndeps; d++)
            deps[n++] = map[src->deps[st.dep_first + d]];
        map[i] = weft__sched_add(dst, &st, deps, n);
    }
    free(map);
    free(deps);
    if (dst->algo == NULL)
        dst->algo = src->algo;
    return dst->status;
}

const char *weft__step_kind_name(int kind)
{
    static const char *const names[] = {"SEND", "RECV", "RECV_REDUCE", "COPY", "REDUCE", "DIVIDE"};
    return kind >= 0 && kind < (int)(sizeof(names) / sizeof(names[0])) ? names[kind] : "?";
}

static void print_region(FILE *f, const char *label, weft_region_t r)
{
    fprintf(f, " %s=b%u[%llu+%llu]", label, r.buf, (unsigned long long)r.off,
            (unsigned long long)r.count);
}

void weft__sched_print(const weft_sched_t *s, void *file)
{
    FILE *f = file != NULL ? file : stdout;
    fprintf(f, "schedule rank %d/%d algo %s: %u steps, %u buffers\n", s->rank, s->nranks,
            s->algo ? s->algo : "?", s->nsteps, s->nbufs);
    for (uint32_t b = 0; b < s->nbufs; b++)
        fprintf(f, "  b%u: %s %llu elements\n", b,
                s->bufs[b].kind == WEFT_BUF_SEND   ? "send"
                : s->bufs[b].kind == WEFT_BUF_RECV ? "recv"
                                                   : "scratch",
                (unsigned long long)s->bufs[b].count);
    for (uint32_t i = 0; i < s->nsteps; i++) {
        const weft_step_t *st = &s->steps[i];
        fprintf(f, "  %4u %-11s", i, weft__step_kind_name(st->kind));
        if (st->kind <= WEFT_STEP_RECV_REDUCE)
            fprintf(f, " peer=%d", st->peer);
        if (st->kind != WEFT_STEP_RECV && st->kind != WEFT_STEP_DIVIDE)
            print_region(f, "src", st->src);
        if (st->kind == WEFT_STEP_REDUCE)
            print_region(f, "src2", st->src2);
        if (st->kind != WEFT_STEP_SEND)
            print_region(f, "dst", st->dst);
        if (st->ndeps) {
            fprintf(f, " deps=");
            for (uint32_t d = 0; d < st->ndeps; d++)
                fprintf(f, "%s%u", d ? "," : "", s->deps[st->dep_first + d]);
        }
        fprintf(f, "\n");
    }
}
