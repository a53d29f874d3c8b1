/*
 * reduce_scatter_hier.c - rail-parallel hierarchical reduce-scatter.
 *
 * The all-gather of allgather_hier.c run backwards, over a scratch copy W
 * of the whole vector (rails.h names the members):
 *   1. within each node, a ring reduce-scatter: rank l ends with the node's
 *      sum of the N blocks that belong to rail l's ranks;
 *   2. across nodes, k reduce-scatters at once, one per rail: rank l of
 *      node j ends with its own block summed over every node.
 * Each rank sends (N-1) blocks over its own NIC.  Extra ranks of uneven
 * nodes hand their whole input to their member first and get their block
 * back at the end.
 *
 * Cost (c bytes per rank): (k-1) (alpha_intra + N c beta_intra)
 *                        + (N-1) (alpha_inter + c beta_inter) + gamma terms.
 */
#include "algo/algo.h"
#include "algo/prims.h"
#include "algo/rails.h"

#include <stdlib.h>

/* Phases 1 and 2 from `input` into W. */
static weft_status_t phases(const weft_coll_args_t *a, weft_sched_t *s, const weft_rails_t *rl,
                            uint32_t input, uint32_t w)
{
    const weft_layout_t *l = rl->l;
    weft_op_t op = a->op == WEFT_AVG ? WEFT_SUM : a->op;
    weft_rail_groups_t g;
    if (weft__rails_groups(rl, s, a->dt, op, a->slice, &g) != WEFT_OK)
        return s->status;
    weft_rail_slots_t h = {rl, a->count, rl->local};
    weft_blocks_t rail_bl = {rl->max_folded, weft__rails_slots_of_node, &h, 0, 0, 0};
    weft_blocks_t node_bl = {l->nnodes * rl->max_folded, weft__rails_slots_of_rail, &h, 0,
                             0, 0};
    weft__ring_reduce_scatter(&g.intra, &node_bl, input, w, 0);
    weft__ring_reduce_scatter(&g.inter, &rail_bl, w, w, 0);
    if (a->op == WEFT_AVG)
        weft__divide_block(&g.inter, &rail_bl, w, 0, (uint32_t)a->nranks);
    weft__rails_groups_free(&g);
    return s->status;
}

weft_status_t weft__gen_reduce_scatter_hier(const weft_coll_args_t *a, weft_sched_t *s)
{
    if (a->layout == NULL || a->nranks == 1 || a->count == 0)
        return weft__gen_reduce_scatter_ring(a, s);
    s->algo = "hier";
    uint64_t c = a->count, total = c * (uint64_t)a->nranks;
    weft_rails_t rl;
    weft__rails_init(&rl, a->layout, a->rank);
    int owner = weft__rails_owner(&rl);
    if (owner >= 0) { /* an extra rank: hand over the input, get the block back */
        weft__sched_send(s, owner, weft__region(0, 0, total), a->dt, NULL, 0);
        weft__sched_recv(s, owner, weft__region(1, 0, c), a->dt, NULL, 0);
        return s->status;
    }
    uint32_t w = weft__sched_add_buf(s, WEFT_BUF_SCRATCH, a->dt, total), input = 0;
    weft_op_t op = a->op == WEFT_AVG ? WEFT_SUM : a->op;
    for (int i = 1, e; (e = weft__rails_folded(&rl, rl.node, rl.local, i)) >= 0; i++) {
        weft__sched_recv_reduce(s, e, weft__region(input, 0, total), weft__region(w, 0, total),
                                a->dt, op, NULL, 0);
        input = w;
    }
    if (phases(a, s, &rl, input, w) != WEFT_OK)
        return s->status;
    weft__sched_copy(s, weft__region(w, (uint64_t)a->rank * c, c), weft__region(1, 0, c), a->dt,
                     NULL, 0);
    for (int i = 1, e; (e = weft__rails_folded(&rl, rl.node, rl.local, i)) >= 0; i++)
        weft__sched_send(s, e, weft__region(w, (uint64_t)e * c, c), a->dt, NULL, 0);
    s->algo = "hier";
    return s->status;
}
