/*
 * allreduce_hier.c - rail-parallel hierarchical all-reduce.
 *
 * With N nodes of k ranks, rank l of every node is on "rail" l (in a GPU
 * cluster, the NIC nearest its GPU).  Three phases:
 *   1. within each node, a ring reduce-scatter over the k local ranks:
 *      local rank l ends with block l+1 (of k) summed over its node;
 *   2. across nodes, k all-reduces at once, one per rail, each of one block
 *      (S/k bytes) among the N ranks of that rail: a ring ("hier"), each
 *      rank sending 2(N-1)/N S/k over its own link in 2(N-1) steps;
 *      halving-doubling ("hier_hd", prims_hd.c), the same bytes in
 *      2 log2 N steps; or recursive doubling ("hier_rd"), log2 N steps of
 *      S/k, for small blocks.  The tuner prices all three;
 *   3. within each node, a ring all-gather of the k blocks.
 * Between nodes every rank moves 2(N-1)/N S/k instead of the flat ring's
 * 2(Nk-1)/(Nk) S through the few links that cross, and all k rails carry
 * data at once.  The builder orders each phase after the slices of the one
 * before that it reads, so the phases overlap slice by slice.
 *
 * Uneven nodes: with R the size of the smallest node, ranks with local
 * index l >= R first hand their input to local rank l mod R (which adds it
 * in), sit out the phases over R rails, and get the result back at the end.
 *
 * Cost with the ring: 2(R-1) alpha_intra + 2(R-1)/R S beta_intra
 *     + 2(N-1) alpha_inter + 2(N-1)/N S/R beta_inter.
 */
#include "algo/algo.h"
#include "algo/pattern.h"
#include "algo/prims.h"

#include <stdlib.h>

typedef enum { INTER_RING, INTER_HD, INTER_RD } inter_kind_t;

typedef struct {
    const weft_coll_args_t *a;
    weft_sched_t *s;
    const weft_layout_t *l;
    int node, local, rails;
    inter_kind_t inter;
} hier_t;

/* Ranks with local index >= rails fold into local rank (index mod rails):
 * the extras send their input and later receive the result. */
static int fold_extras(const hier_t *h, uint32_t *input_p)
{
    const weft_coll_args_t *a = h->a;
    weft_region_t all = weft__region(1, 0, a->count), in = weft__region(0, 0, a->count);
    int size = weft__layout_node_size(h->l, h->node);
    if (h->local >= h->rails) {
        int owner = weft__layout_rank(h->l, h->node, h->local % h->rails);
        weft__sched_send(h->s, owner, in, a->dt, NULL, 0);
        weft__sched_recv(h->s, owner, all, a->dt, NULL, 0);
        return 1;
    }
    *input_p = 0;
    for (int e = h->local + h->rails; e < size; e += h->rails) {
        weft__sched_recv_reduce(h->s, weft__layout_rank(h->l, h->node, e),
                                *input_p == 0 ? in : all, all, a->dt, a->op, NULL, 0);
        *input_p = 1;
    }
    return 0;
}

static void unfold_extras(const hier_t *h)
{
    int size = weft__layout_node_size(h->l, h->node);
    for (int e = h->local + h->rails; e < size; e += h->rails)
        weft__sched_send(h->s, weft__layout_rank(h->l, h->node, e),
                         weft__region(1, 0, h->a->count), h->a->dt, NULL, 0);
}

static void phases(const hier_t *h, uint32_t input, int *intra, int *inter)
{
    const weft_coll_args_t *a = h->a;
    int nnodes = h->l->nnodes;
    weft_op_t op = a->op == WEFT_AVG ? WEFT_SUM : a->op;
    for (int i = 0; i < h->rails; i++)
        intra[i] = weft__layout_rank(h->l, h->node, i);
    for (int j = 0; j < nnodes; j++)
        inter[j] = weft__layout_rank(h->l, j, h->local);
    weft_group_t gi = {h->s, intra, h->rails, h->local, a->dt, op, a->slice};
    weft_group_t gx = {h->s, inter, nnodes, h->node, a->dt, op, a->slice};
    /* 1: this rank's block of the node's sum, in the receive buffer. */
    weft_blocks_t node_blocks = weft__blocks_split(0, a->count, h->rails);
    weft__ring_reduce_scatter(&gi, &node_blocks, input, 1, 1);
    int b = weft__mod(h->local + 1, h->rails);
    uint64_t boff = weft__block_off(a->count, (uint64_t)h->rails, (uint64_t)b);
    uint64_t bcnt = weft__block_count(a->count, (uint64_t)h->rails, (uint64_t)b);
    /* 2: the block summed over the nodes, along this rank's rail. */
    uint32_t divisor = a->op == WEFT_AVG ? (uint32_t)a->nranks : 1;
    if (h->inter == INTER_HD) {
        weft__hd_allreduce(&gx, boff, bcnt, 1, divisor);
    } else if (h->inter == INTER_RD) {
        weft__rd_allreduce(&gx, boff, bcnt, 1, divisor);
    } else {
        weft_blocks_t rail_blocks = weft__blocks_split(boff, bcnt, nnodes);
        weft__ring_reduce_scatter(&gx, &rail_blocks, 1, 1, 1);
        if (divisor > 1)
            weft__divide_block(&gx, &rail_blocks, 1, 1, divisor);
        weft__ring_allgather(&gx, &rail_blocks, 1, 1);
    }
    /* 3: every block to every rank of the node. */
    weft__ring_allgather(&gi, &node_blocks, 1, 1);
}

static weft_status_t gen_hier(const weft_coll_args_t *a, weft_sched_t *s, inter_kind_t kind,
                              const char *name)
{
    s->algo = name;
    const weft_layout_t *l = a->layout;
    if (l == NULL || a->nranks == 1 || a->count == 0) {
        weft_status_t st = weft__gen_allreduce_ring(a, s);
        s->algo = name;
        return st;
    }
    hier_t h = {a, s, l, l->node_of[a->rank], l->local_rank[a->rank], l->min_node_size, kind};
    uint32_t input = 0;
    if (fold_extras(&h, &input))
        return s->status;
    int *intra = malloc((size_t)h.rails * sizeof(int));
    int *inter = malloc((size_t)l->nnodes * sizeof(int));
    if (intra == NULL || inter == NULL) {
        free(intra);
        free(inter);
        return s->status = WEFT_ERR_NO_MEMORY;
    }
    phases(&h, input, intra, inter);
    unfold_extras(&h);
    free(intra);
    free(inter);
    s->algo = name;
    return s->status;
}

weft_status_t weft__gen_allreduce_hier(const weft_coll_args_t *a, weft_sched_t *s)
{
    return gen_hier(a, s, INTER_RING, "hier");
}

weft_status_t weft__gen_allreduce_hier_hd(const weft_coll_args_t *a, weft_sched_t *s)
{
    return gen_hier(a, s, INTER_HD, "hier_hd");
}

weft_status_t weft__gen_allreduce_hier_rd(const weft_coll_args_t *a, weft_sched_t *s)
{
    return gen_hier(a, s, INTER_RD, "hier_rd");
}
