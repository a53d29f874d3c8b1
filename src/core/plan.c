/*
 * plan.c - building, binding and caching plans (see plan.h).
 */
#include "core/plan.h"
#include "core/comm.h"
#include "reduce/reduce.h"
#include "util/config.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

static weft_status_t generate_op(weft_op_desc_t *op, weft_sched_t *into, const char **algo_p)
{
    const weft_algo_t *al =
        weft__tuner_choose(&op->comm->tuner, &op->args, weft__config_str(WEFT_CFG_ALGO));
    if (al == NULL)
        return weft__error(WEFT_ERR_INTERNAL, "no algorithm for %s",
                           weft__coll_name(op->args.coll));
    *algo_p = al->name;
    return weft__algo_generate(al, &op->args, into);
}

typedef struct {
    uintptr_t lo, hi;
    uint32_t buf; /* in the merged schedule */
} span_t;

static int cmp_span(const void *a, const void *b)
{
    const span_t *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Places the user buffers of a merged group schedule in memory as they
 * really are: buffers whose address ranges overlap share a space, at their
 * byte distance from the lowest of them.  Calls of a group are then
 * ordered exactly where their memory meets. */
static weft_status_t place_user_buffers(weft_sched_t *s, const weft_op_desc_t *ops)
{
    span_t *sp = malloc(((size_t)s->nbufs + 1) * sizeof(*sp));
    uint32_t n = 0;
    if (sp == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "group buffer table");
    for (uint32_t b = 0; b < s->nbufs; b++) {
        const weft_sched_buf_t *sb = &s->bufs[b];
        const void *p = sb->kind == WEFT_BUF_SEND   ? ops[sb->group].sendbuf
                        : sb->kind == WEFT_BUF_RECV ? ops[sb->group].recvbuf
                                                    : NULL;
        size_t bytes = sb->count * weft__dtype_size((weft_datatype_t)sb->dtype);
        if (p != NULL && bytes > 0)
            sp[n++] = (span_t){(uintptr_t)p, (uintptr_t)p + bytes, b};
    }
    qsort(sp, n, sizeof(*sp), cmp_span);
    uint32_t first = 0;
    uintptr_t reach = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i == 0 || sp[i].lo >= reach) { /* starts a new run of overlapping buffers */
            first = i;
            reach = sp[i].hi;
            continue;
        }
        weft__sched_alias_bytes(s, sp[i].buf, sp[first].buf, sp[i].lo - sp[first].lo);
        reach = sp[i].hi > reach ? sp[i].hi : reach;
    }
    free(sp);
    return s->status;
}

/* Builds p's schedule from ops: one call, or a group's calls merged. */
static weft_status_t build(struct weft_comm *comm, weft_plan_t *p, weft_op_desc_t *ops, int nops)
{
    if (nops == 1)
        return generate_op(&ops[0], &p->sched, &p->algo);
    weft_sched_t *parts = calloc((size_t)nops, sizeof(*parts));
    uint32_t *buf0 = calloc((size_t)nops, sizeof(*buf0));
    weft_status_t st = parts && buf0 ? WEFT_OK : WEFT_ERR_NO_MEMORY;
    weft__sched_reset(&p->sched, comm->rank, comm->nranks);
    for (int i = 0; i < nops && st == WEFT_OK; i++) {
        weft__sched_init(&parts[i], comm->rank, comm->nranks);
        st = generate_op(&ops[i], &parts[i], &p->algo);
        if (st == WEFT_OK)
            buf0[i] = weft__sched_append_bufs(&p->sched, &parts[i], (uint32_t)i);
    }
    if (st == WEFT_OK)
        st = place_user_buffers(&p->sched, ops);
    for (int i = 0; i < nops && st == WEFT_OK; i++)
        st = weft__sched_append_steps(&p->sched, &parts[i], buf0[i]);
    weft__sched_done(&p->sched);
    for (int i = 0; parts != NULL && i < nops; i++)
        weft__sched_free(&parts[i]);
    free(parts);
    free(buf0);
    if (st == WEFT_ERR_NO_MEMORY)
        return weft__error(st, "merging a group of %d calls", nops);
    return st;
}

/* Scratch memory and the buffer table large enough for p. */
static weft_status_t reserve(struct weft_comm *comm, const weft_sched_t *s)
{
    size_t scratch = 0;
    for (uint32_t b = 0; b < s->nbufs; b++) {
        if (s->bufs[b].kind == WEFT_BUF_SCRATCH)
            scratch += WEFT_ALIGN_UP(s->bufs[b].count * weft__dtype_size(s->bufs[b].dtype), 64);
    }
    if (scratch > comm->scratch_bytes) {
        free(comm->scratch);
        comm->scratch = NULL;
        comm->scratch_bytes = 0;
        if (posix_memalign(&comm->scratch, 64, scratch) != 0)
            return weft__error(WEFT_ERR_NO_MEMORY, "%zu bytes of scratch memory", scratch);
        comm->scratch_bytes = scratch;
    }
    if (s->nbufs > comm->base_cap) {
        void **nb = realloc(comm->base, s->nbufs * sizeof(void *));
        if (nb == NULL)
            return weft__error(WEFT_ERR_NO_MEMORY, "buffer table");
        comm->base = nb;
        comm->base_cap = s->nbufs;
    }
    return WEFT_OK;
}

static void bind_buffers(struct weft_comm *comm, const weft_sched_t *s, const weft_op_desc_t *ops)
{
    size_t at = 0;
    for (uint32_t b = 0; b < s->nbufs; b++) {
        const weft_sched_buf_t *sb = &s->bufs[b];
        const weft_op_desc_t *op = &ops[sb->group];
        if (sb->kind == WEFT_BUF_SEND) {
            comm->base[b] = (void *)op->sendbuf;
        } else if (sb->kind == WEFT_BUF_RECV) {
            comm->base[b] = op->recvbuf;
        } else {
            comm->base[b] = (char *)comm->scratch + at;
            at += WEFT_ALIGN_UP(sb->count * weft__dtype_size(sb->dtype), 64);
        }
    }
}

/* The cached plan for these arguments, or the least recently used slot. */
static weft_plan_t *lookup(struct weft_comm *comm, const weft_coll_args_t *args, int *hit_p)
{
    weft_plan_t *victim = &comm->plans[0];
    for (int i = 0; i < WEFT_PLAN_CACHE; i++) {
        weft_plan_t *p = &comm->plans[i];
        if (p->valid && memcmp(&p->args, args, sizeof(*args)) == 0) {
            *hit_p = 1;
            return p;
        }
        if (!p->valid || p->last_use < victim->last_use)
            victim = p;
    }
    *hit_p = 0;
    return victim;
}

/* The group plan still fits: the same calls, in order, on the same buffers. */
static int group_hit(const weft_plan_t *p, const weft_op_desc_t *ops, int nops)
{
    if (!p->valid || p->group_nops != nops)
        return 0;
    for (int i = 0; i < nops; i++) {
        const weft_op_desc_t *a = &p->group_ops[i], *b = &ops[i];
        if (memcmp(&a->args, &b->args, sizeof(a->args)) != 0 || a->sendbuf != b->sendbuf ||
            a->recvbuf != b->recvbuf)
            return 0;
    }
    return 1;
}

static void group_remember(weft_plan_t *p, const weft_op_desc_t *ops, int nops)
{
    weft_op_desc_t *keep = realloc(p->group_ops, (size_t)nops * sizeof(*keep));
    if (keep == NULL)
        return; /* not cached: rebuilt next time */
    memcpy(keep, ops, (size_t)nops * sizeof(*keep));
    p->group_ops = keep;
    p->group_nops = nops;
    p->valid = 1;
}

weft_status_t weft__plan_prepare(struct weft_comm *comm, weft_op_desc_t *ops, int nops)
{
    int hit = 0;
    weft_plan_t *p = &comm->group_plan;
    if (nops == 1)
        p = lookup(comm, &ops[0].args, &hit);
    else
        hit = group_hit(p, ops, nops);
    p->last_use = ++comm->plan_clock;
    comm->active = p;
    if (hit) {
        comm->last_algo = p->algo;
        bind_buffers(comm, &p->sched, ops);
        weft__exec_restart(&p->exec, comm->base);
        return WEFT_OK;
    }
    p->valid = 0;
    weft_status_t st = build(comm, p, ops, nops);
    if (st == WEFT_OK)
        st = reserve(comm, &p->sched);
    if (st != WEFT_OK)
        return st;
    comm->last_algo = p->algo;
    bind_buffers(comm, &p->sched, ops);
    st = weft__exec_start(&p->exec, comm, &p->sched, comm->base);
    if (st == WEFT_OK && nops == 1) {
        p->args = ops[0].args;
        p->valid = 1;
    } else if (st == WEFT_OK) {
        group_remember(p, ops, nops);
    }
    return st;
}

void weft__plan_free(weft_plan_t *p)
{
    free(p->group_ops);
    weft__sched_free(&p->sched);
    weft__exec_free(&p->exec);
    memset(p, 0, sizeof(*p));
}
