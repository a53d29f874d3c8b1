/*
 * allgather_hier.c - rail-parallel hierarchical all-gather.
 *
 * With N nodes of k ranks (rails, see rails.h):
 *   1. across nodes, k all-gathers at once, one per rail: rank l of every
 *      node gathers the blocks of the rank l of every other node (a ring
 *      over its own rail);
 *   2. within each node, a ring all-gather of those rail collections: rank
 *      l contributes the N blocks of rail l and receives the others.
 * Every rank sends (N-1) blocks over its own NIC -- each node receives
 * the (N-1)k blocks it lacks through all k rails at once -- instead of
 * pushing everything around one ring whose few node crossings carry all.
 * Extra ranks of uneven nodes hand their block to their member first and
 * get the whole result from it at the end.
 *
 * Cost (c bytes per rank): (N-1) (alpha_inter + c beta_inter)
 *                        + (k-1) (alpha_intra + N c beta_intra).
 */
#include "algo/algo.h"
#include "algo/prims.h"
#include "algo/rails.h"

#include <stdlib.h>

static weft_status_t phases(const weft_coll_args_t *a, weft_sched_t *s, const weft_rails_t *rl)
{
    const weft_layout_t *l = rl->l;
    weft_rail_groups_t g;
    if (weft__rails_groups(rl, s, a->dt, a->op, a->slice, &g) != WEFT_OK)
        return s->status;
    weft_rail_slots_t h = {rl, a->count, rl->local};
    weft_blocks_t rail_bl = {rl->max_folded, weft__rails_slots_of_node, &h, 0, 0, 0};
    weft_blocks_t node_bl = {l->nnodes * rl->max_folded, weft__rails_slots_of_rail, &h, 0,
                             0, 0};
    weft__ring_allgather(&g.inter, &rail_bl, 1, 0);
    weft__ring_allgather(&g.intra, &node_bl, 1, 0);
    weft__rails_groups_free(&g);
    return s->status;
}

weft_status_t weft__gen_allgather_hier(const weft_coll_args_t *a, weft_sched_t *s)
{
    if (a->layout == NULL || a->nranks == 1 || a->count == 0)
        return weft__gen_allgather_ring(a, s);
    s->algo = "hier";
    uint64_t c = a->count, total = c * (uint64_t)a->nranks;
    weft_rails_t rl;
    weft__rails_init(&rl, a->layout, a->rank);
    int owner = weft__rails_owner(&rl);
    if (owner >= 0) { /* an extra rank: hand over the block, get everything back */
        weft__sched_send(s, owner, weft__region(0, 0, c), a->dt, NULL, 0);
        weft__sched_recv(s, owner, weft__region(1, 0, total), a->dt, NULL, 0);
        return s->status;
    }
    weft__sched_copy(s, weft__region(0, 0, c), weft__region(1, (uint64_t)a->rank * c, c), a->dt,
                     NULL, 0);
    for (int i = 1, e; (e = weft__rails_folded(&rl, rl.node, rl.local, i)) >= 0; i++)
        weft__sched_recv(s, e, weft__region(1, (uint64_t)e * c, c), a->dt, NULL, 0);
    if (phases(a, s, &rl) != WEFT_OK)
        return s->status;
    for (int i = 1, e; (e = weft__rails_folded(&rl, rl.node, rl.local, i)) >= 0; i++)
        weft__sched_send(s, e, weft__region(1, 0, total), a->dt, NULL, 0);
    s->algo = "hier";
    return s->status;
}
