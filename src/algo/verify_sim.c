/*
 * verify_sim.c - runs every rank's schedule together on symbolic data.
 *
 * The transport is modelled at its strictest: a step becomes ready when its
 * dependencies are done; a ready SEND or RECV is posted once every earlier
 * one towards (from) the same peer is posted; a posted send and the posted
 * receive of the same ordinal on the other side complete together (no
 * buffering at all).  A schedule set that finishes under this model
 * finishes under any transport that buffers more.  Steps that remain when
 * nothing can move are a deadlock, reported with the steps that wait.
 *
 * Each step also carries `heard`: the ranks whose entry into the
 * collective causally precedes it, which proves barriers.
 */
#include "algo/verify_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int rank;
    uint32_t step;
} item_t;

typedef struct {
    verifier_t *v;
    item_t *stack;
    size_t nstack;
} sim_t;


static int build_rank(verifier_t *v, int r)
{
    vrank_t *vr = &v->ranks[r];
    const weft_sched_t *s = &vr->sched;
    uint32_t ns = s->nsteps;
    vr->state = calloc(ns + 1, 1);
    vr->remaining = calloc(ns + 1, sizeof(uint32_t));
    vr->heard = calloc(ns + 1, sizeof(uint64_t));
    vr->cursor[0] = calloc((size_t)v->n, sizeof(uint32_t));
    vr->cursor[1] = calloc((size_t)v->n, sizeof(uint32_t));
    if (!vr->state || !vr->remaining || !vr->heard || !vr->cursor[0] || !vr->cursor[1] ||
        weft__graph_build(&vr->graph, s, v->n) != WEFT_OK)
        return -1;
    for (uint32_t i = 0; i < ns; i++)
        vr->remaining[i] = s->steps[i].ndeps;
    return 0;
}

static sym_t *at(vrank_t *vr, weft_region_t r)
{
    vmap_t m = weft__verify_where(vr, r);
    return vr->mem[m.space] + m.off;
}

static void make_ready(sim_t *sim, int r, uint32_t i)
{
    vrank_t *vr = &sim->v->ranks[r];
    const weft_step_t *st = &vr->sched.steps[i];
    uint64_t heard = 1ull << r;
    for (uint32_t d = 0; d < st->ndeps; d++)
        heard |= vr->heard[vr->sched.deps[st->dep_first + d]];
    vr->heard[i] = heard;
    vr->state[i] = ST_READY;
    sim->stack[sim->nstack++] = (item_t){r, i};
}

static void complete(sim_t *sim, int r, uint32_t i)
{
    vrank_t *vr = &sim->v->ranks[r];
    vr->state[i] = ST_DONE;
    for (uint32_t k = vr->graph.succ_first[i]; k < vr->graph.succ_first[i + 1]; k++) {
        uint32_t j = vr->graph.succ[k];
        if (--vr->remaining[j] == 0)
            make_ready(sim, r, j);
    }
}

static void run_local(sim_t *sim, int r, uint32_t i)
{
    verifier_t *v = sim->v;
    vrank_t *vr = &v->ranks[r];
    const weft_step_t *st = &vr->sched.steps[i];
    sym_t *dst = at(vr, st->dst);
    uint64_t all = v->n == 64 ? ~0ull : (1ull << v->n) - 1;
    if (st->kind == WEFT_STEP_COPY) {
        memmove(dst, at(vr, st->src), st->dst.count * sizeof(sym_t));
    } else if (st->kind == WEFT_STEP_REDUCE) {
        const sym_t *a = at(vr, st->src), *b = at(vr, st->src2);
        for (uint64_t e = 0; e < st->dst.count; e++) {
            if (weft__verify_combine(v, r, i, &dst[e], a[e], b[e]) != 0)
                return;
        }
    } else { /* DIVIDE */
        for (uint64_t e = 0; e < st->dst.count; e++) {
            if (dst[e].state != SYM_VALID || dst[e].mask != all || st->divisor != (uint32_t)v->n) {
                weft__verify_fail(v, "rank %d step %u divides element %u of ranks %#llx by %u: "
                                  "not a complete, undivided sum over %d ranks", r, i, dst[e].idx,
                                  (unsigned long long)dst[e].mask, st->divisor, v->n);
                return;
            }
            dst[e].state = SYM_DIVIDED;
        }
    }
    complete(sim, r, i);
}

static void transfer(sim_t *sim, int a, uint32_t si, int b, uint32_t ri)
{
    verifier_t *v = sim->v;
    vrank_t *va = &v->ranks[a], *vb = &v->ranks[b];
    const weft_step_t *snd = &va->sched.steps[si], *rcv = &vb->sched.steps[ri];
    if (snd->src.count != rcv->dst.count || snd->dtype != rcv->dtype) {
        weft__verify_fail(v, "message %u from rank %d to %d: sent %llu elements, receive expects "
                          "%llu (steps %u and %u)", va->graph.ordinal[si], a, b,
                          (unsigned long long)snd->src.count, (unsigned long long)rcv->dst.count,
                          si, ri);
        return;
    }
    const sym_t *in = at(va, snd->src);
    sym_t *dst = at(vb, rcv->dst);
    if (rcv->kind == WEFT_STEP_RECV) {
        memcpy(dst, in, rcv->dst.count * sizeof(sym_t));
    } else {
        const sym_t *local = at(vb, rcv->src);
        for (uint64_t e = 0; e < rcv->dst.count; e++) {
            if (weft__verify_combine(v, b, ri, &dst[e], local[e], in[e]) != 0)
                return;
        }
    }
    vb->heard[ri] |= va->heard[si];
    va->sent_elems += snd->src.count;
    va->nmsgs++;
    complete(sim, a, si);
    complete(sim, b, ri);
}

/* A posted step meets its counterpart if that one is posted too. */
static void try_match(sim_t *sim, int r, uint32_t i)
{
    vrank_t *vr = &sim->v->ranks[r];
    const weft_step_t *st = &vr->sched.steps[i];
    int d = weft__step_dir(st), p = st->peer;
    vrank_t *vp = &sim->v->ranks[p];
    uint32_t k = vr->graph.ordinal[i];
    uint32_t first = vp->graph.q_first[1 - d][r], len = vp->graph.q_first[1 - d][r + 1] - first;
    if (k >= len)
        return;
    uint32_t j = vp->graph.q[1 - d][first + k];
    if (vp->state[j] != ST_POSTED)
        return;
    if (d == 0)
        transfer(sim, r, i, p, j);
    else
        transfer(sim, p, j, r, i);
}

static void try_post(sim_t *sim, int r, int d, int p)
{
    vrank_t *vr = &sim->v->ranks[r];
    uint32_t first = vr->graph.q_first[d][p], len = vr->graph.q_first[d][p + 1] - first;
    while (vr->cursor[d][p] < len && sim->v->status == WEFT_OK) {
        uint32_t i = vr->graph.q[d][first + vr->cursor[d][p]];
        if (vr->state[i] != ST_READY)
            break;
        vr->state[i] = ST_POSTED;
        vr->cursor[d][p]++;
        try_match(sim, r, i);
    }
}

static void report_deadlock(verifier_t *v)
{
    char buf[400] = "";
    size_t used = 0;
    int shown = 0;
    for (int r = 0; r < v->n && shown < 4; r++) {
        const vrank_t *vr = &v->ranks[r];
        for (uint32_t i = 0; i < vr->sched.nsteps; i++) {
            if (vr->state[i] == ST_DONE)
                continue;
            const weft_step_t *st = &vr->sched.steps[i];
            used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s rank %d step %u %s%s%d",
                                     shown ? ";" : "", r, i, weft__step_kind_name(st->kind),
                                     weft__step_is_comm(st) ? " peer " : "", weft__step_is_comm(st) ? st->peer : -1);
            if (used >= sizeof(buf))
                used = sizeof(buf) - 1;
            shown++;
            break;
        }
    }
    weft__verify_fail(v, "deadlock: nothing can move; first waiting steps:%s", buf);
}

void weft__verify_simulate(verifier_t *v)
{
    size_t total = 0;
    for (int r = 0; r < v->n; r++) {
        if (build_rank(v, r) != 0) {
            weft__verify_fail(v, "verifier out of memory");
            return;
        }
        total += v->ranks[r].sched.nsteps;
    }
    sim_t sim = {v, malloc((total + 1) * sizeof(item_t)), 0};
    if (sim.stack == NULL) {
        weft__verify_fail(v, "verifier out of memory");
        return;
    }
    for (int r = 0; r < v->n; r++) {
        for (uint32_t i = 0; i < v->ranks[r].sched.nsteps; i++) {
            if (v->ranks[r].remaining[i] == 0)
                make_ready(&sim, r, i);
        }
    }
    while (sim.nstack > 0 && v->status == WEFT_OK) {
        item_t it = sim.stack[--sim.nstack];
        const weft_step_t *st = &v->ranks[it.rank].sched.steps[it.step];
        if (weft__step_is_comm(st))
            try_post(&sim, it.rank, weft__step_dir(st), st->peer);
        else
            run_local(&sim, it.rank, it.step);
    }
    free(sim.stack);
    for (int r = 0; r < v->n && v->status == WEFT_OK; r++) {
        for (uint32_t i = 0; i < v->ranks[r].sched.nsteps; i++) {
            if (v->ranks[r].state[i] != ST_DONE) {
                report_deadlock(v);
                break;
            }
        }
    }
}
