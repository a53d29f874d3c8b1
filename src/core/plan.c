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
    const weft_algo_t *al = weft__algo_choose(&op->args, weft__config_str(WEFT_CFG_ALGO));
    if (al == NULL)
        return weft__error(WEFT_ERR_INTERNAL, "no algorithm for %s",
                           weft__coll_name(op->args.coll));
    *algo_p = al->name;
    return weft__algo_generate(al, &op->args, into);
}

/* Builds p's schedule from ops: one call, or a group's calls appended. */
static weft_status_t build(struct weft_comm *comm, weft_plan_t *p, weft_op_desc_t *ops, int nops)
{
    weft_status_t st = WEFT_OK;
    if (nops == 1)
        return generate_op(&ops[0], &p->sched, &p->algo);
    weft__sched_reset(&p->sched, comm->rank, comm->nranks);
    for (int i = 0; i < nops && st == WEFT_OK; i++) {
        st = generate_op(&ops[i], &comm->part, &p->algo);
        if (st == WEFT_OK)
            st = weft__sched_append(&p->sched, &comm->part, (uint16_t)i);
    }
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

weft_status_t weft__plan_prepare(struct weft_comm *comm, weft_op_desc_t *ops, int nops)
{
    int hit = 0;
    weft_plan_t *p = nops == 1 ? lookup(comm, &ops[0].args, &hit) : &comm->group_plan;
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
    }
    return st;
}

void weft__plan_free(weft_plan_t *p)
{
    weft__sched_free(&p->sched);
    weft__exec_free(&p->exec);
    memset(p, 0, sizeof(*p));
}
