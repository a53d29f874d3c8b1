/*
 * layout.h - which ranks share a node: the part of the topology that the
 * hierarchical generators read.  Nodes are numbered in the order of their
 * lowest rank; ranks of a node need not be contiguous, and nodes may hold
 * different numbers of ranks.
 */
#ifndef WEFT_ALGO_LAYOUT_H
#define WEFT_ALGO_LAYOUT_H

#include <weft.h>

typedef struct {
    int nranks, nnodes;
    int *node_of;    /* [nranks] */
    int *local_rank; /* [nranks]: index among the ranks of its node */
    int *node_first; /* [nnodes + 1]: members of node j are members[node_first[j]..] */
    int *members;    /* [nranks]: ranks grouped by node, in local-rank order */
    int min_node_size;
} weft_layout_t;

/* From any labelling of nodes (equal labels share a node); the ranks of a
 * node in rank order, or ordered by key (distinct per rank) when not NULL. */
weft_status_t weft__layout_build(weft_layout_t *l, int nranks, const int *label);
weft_status_t weft__layout_build_ordered(weft_layout_t *l, int nranks, const int *label,
                                         const int *key);
void weft__layout_free(weft_layout_t *l);

static inline int weft__layout_node_size(const weft_layout_t *l, int node)
{
    return l->node_first[node + 1] - l->node_first[node];
}

/* The rank with local index `local` on `node`. */
static inline int weft__layout_rank(const weft_layout_t *l, int node, int local)
{
    return l->members[l->node_first[node] + local];
}

#endif
