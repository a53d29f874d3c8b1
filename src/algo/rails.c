/*
 * rails.c - the rail view of a layout (see rails.h).
 */
#include "algo/rails.h"

#include <stdlib.h>

void weft__rails_init(weft_rails_t *rl, const weft_layout_t *l, int rank)
{
    rl->l = l;
    rl->rails = l->min_node_size;
    rl->node = l->node_of[rank];
    rl->local = l->local_rank[rank];
    rl->max_folded = 1;
    for (int j = 0; j < l->nnodes; j++) {
        int size = weft__layout_node_size(l, j);
        int folded = (size + rl->rails - 1) / rl->rails;
        rl->max_folded = folded > rl->max_folded ? folded : rl->max_folded;
    }
}

int weft__rails_folded(const weft_rails_t *rl, int node, int rail, int i)
{
    int local = rail + i * rl->rails;
    if (local >= weft__layout_node_size(rl->l, node))
        return -1;
    return weft__layout_rank(rl->l, node, local);
}

int weft__rails_owner(const weft_rails_t *rl)
{
    if (rl->local < rl->rails)
        return -1;
    return weft__layout_rank(rl->l, rl->node, rl->local % rl->rails);
}

void weft__rails_slots_of_node(const weft_blocks_t *bl, int block, int part, uint64_t *off_p,
                               uint64_t *count_p)
{
    const weft_rail_slots_t *h = bl->ctx;
    int r = weft__rails_folded(h->rl, block, h->rail, part);
    *off_p = r < 0 ? 0 : (uint64_t)r * h->count;
    *count_p = r < 0 ? 0 : h->count;
}

void weft__rails_slots_of_rail(const weft_blocks_t *bl, int block, int part, uint64_t *off_p,
                               uint64_t *count_p)
{
    const weft_rail_slots_t *h = bl->ctx;
    int node = part / h->rl->max_folded, i = part % h->rl->max_folded;
    int r = weft__rails_folded(h->rl, node, block, i);
    *off_p = r < 0 ? 0 : (uint64_t)r * h->count;
    *count_p = r < 0 ? 0 : h->count;
}

weft_status_t weft__rails_groups(const weft_rails_t *rl, weft_sched_t *s, weft_datatype_t dt,
                                 weft_op_t op, uint64_t slice, weft_rail_groups_t *g)
{
    int nnodes = rl->l->nnodes;
    int *inter = malloc((size_t)nnodes * sizeof(int)), *intra = malloc((size_t)rl->rails * sizeof(int));
    if (inter == NULL || intra == NULL) {
        free(inter);
        free(intra);
        return s->status = WEFT_ERR_NO_MEMORY;
    }
    for (int j = 0; j < nnodes; j++)
        inter[j] = weft__rails_member(rl, j, rl->local);
    for (int i = 0; i < rl->rails; i++)
        intra[i] = weft__rails_member(rl, rl->node, i);
    g->intra = (weft_group_t){s, intra, rl->rails, rl->local, dt, op, slice};
    g->inter = (weft_group_t){s, inter, nnodes, rl->node, dt, op, slice};
    return WEFT_OK;
}

void weft__rails_groups_free(weft_rail_groups_t *g)
{
    free((void *)g->intra.ranks);
    free((void *)g->inter.ranks);
}
