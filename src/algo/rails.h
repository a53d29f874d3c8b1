/*
 * rails.h - ranks as rails: how the hierarchical generators see a layout.
 *
 * With R the size of the smallest node, local rank l < R of node j is
 * the member of rail l on that node; in a GPU cluster, the rank whose NIC
 * is rail l.  A rank with l >= R (nodes may be uneven) folds into member
 * (j, l mod R): it hands its data to that member and gets the result back,
 * so every node presents exactly R members.  The ranks a member stands for
 * are its "folded" ranks: itself first, then its extras in local order.
 */
#ifndef WEFT_ALGO_RAILS_H
#define WEFT_ALGO_RAILS_H

#include "algo/layout.h"
#include "algo/prims.h"

typedef struct {
    const weft_layout_t *l;
    int rails;       /* R */
    int node, local; /* of this rank */
    int max_folded;  /* most ranks one member stands for, over all nodes */
} weft_rails_t;

void weft__rails_init(weft_rails_t *rl, const weft_layout_t *l, int rank);

/* The member of rail `rail` on `node`. */
static inline int weft__rails_member(const weft_rails_t *rl, int node, int rail)
{
    return weft__layout_rank(rl->l, node, rail);
}

/* The i-th rank that member (node, rail) stands for, or -1 past the end. */
int weft__rails_folded(const weft_rails_t *rl, int node, int rail, int i);

/* This rank's member if it is an extra, or -1 if it is a member itself. */
int weft__rails_owner(const weft_rails_t *rl);

/* This rank's two groups in the hierarchical phases: `intra`, the rail
 * members of its node (rails of them), and `inter`, the members of its
 * rail across nodes.  Allocates their member lists; on failure sets
 * s->status and returns it.  Free with weft__rails_groups_free. */
typedef struct {
    weft_group_t intra, inter;
} weft_rail_groups_t;
weft_status_t weft__rails_groups(const weft_rails_t *rl, weft_sched_t *s, weft_datatype_t dt,
                                 weft_op_t op, uint64_t slice, weft_rail_groups_t *g);
void weft__rails_groups_free(weft_rail_groups_t *g);

/* The per-rank slots of an all-gather or reduce-scatter (count elements
 * per rank, slot r at r x count) as the blocks of the hierarchical phases;
 * ctx of the weft_blocks_t is a weft_rail_slots_t. */
typedef struct {
    const weft_rails_t *rl;
    uint64_t count;
    int rail; /* weft__rails_slots_of_node: the rail whose members form the group */
} weft_rail_slots_t;

/* Across nodes on one rail, block j: the slots of the ranks that member
 * (j, rail) stands for (rl->max_folded parts). */
void weft__rails_slots_of_node(const weft_blocks_t *bl, int block, int part, uint64_t *off_p,
                               uint64_t *count_p);

/* Within a node, block i: the slots of rail i on every node
 * (nnodes x rl->max_folded parts). */
void weft__rails_slots_of_rail(const weft_blocks_t *bl, int block, int part, uint64_t *off_p,
                               uint64_t *count_p);

#endif
