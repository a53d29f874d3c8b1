/*
 * layout.c - building the node layout from per-rank node labels, with the
 * ranks of a node in rank order or in the order of a per-rank sort key
 * (the cluster view orders them by rail).
 */
#include "algo/layout.h"

#include <stdlib.h>
#include <string.h>

/* Sorts each node's members by key (insertion sort: nodes are small). */
static void order_members(weft_layout_t *l, const int *key)
{
    for (int j = 0; j < l->nnodes; j++) {
        int *m = l->members + l->node_first[j], size = weft__layout_node_size(l, j);
        for (int a = 1; a < size; a++) {
            int r = m[a], b = a;
            for (; b > 0 && key[m[b - 1]] > key[r]; b--)
                m[b] = m[b - 1];
            m[b] = r;
        }
        for (int a = 0; a < size; a++)
            l->local_rank[m[a]] = a;
    }
}

weft_status_t weft__layout_build(weft_layout_t *l, int nranks, const int *label)
{
    return weft__layout_build_ordered(l, nranks, label, NULL);
}

weft_status_t weft__layout_build_ordered(weft_layout_t *l, int nranks, const int *label,
                                         const int *key)
{
    memset(l, 0, sizeof(*l));
    l->nranks = nranks;
    l->node_of = malloc((size_t)nranks * sizeof(int));
    l->local_rank = malloc((size_t)nranks * sizeof(int));
    l->node_first = calloc((size_t)nranks + 1, sizeof(int));
    l->members = malloc((size_t)nranks * sizeof(int));
    if (!l->node_of || !l->local_rank || !l->node_first || !l->members) {
        weft__layout_free(l);
        return WEFT_ERR_NO_MEMORY;
    }
    /* Node j is the j-th distinct label in rank order. */
    for (int r = 0; r < nranks; r++) {
        int node = -1;
        for (int q = 0; q < r && node < 0; q++) {
            if (label[q] == label[r])
                node = l->node_of[q];
        }
        l->node_of[r] = node >= 0 ? node : l->nnodes++;
    }
    for (int r = 0; r < nranks; r++)
        l->node_first[l->node_of[r] + 1]++;
    for (int j = 0; j < l->nnodes; j++)
        l->node_first[j + 1] += l->node_first[j];
    int *fill = calloc((size_t)l->nnodes + 1, sizeof(int));
    if (fill == NULL) {
        weft__layout_free(l);
        return WEFT_ERR_NO_MEMORY;
    }
    l->min_node_size = nranks;
    for (int r = 0; r < nranks; r++) {
        int j = l->node_of[r];
        l->local_rank[r] = fill[j];
        l->members[l->node_first[j] + fill[j]++] = r;
    }
    for (int j = 0; j < l->nnodes; j++) {
        int size = weft__layout_node_size(l, j);
        l->min_node_size = size < l->min_node_size ? size : l->min_node_size;
    }
    free(fill);
    if (key != NULL)
        order_members(l, key);
    return WEFT_OK;
}

void weft__layout_free(weft_layout_t *l)
{
    free(l->node_of);
    free(l->local_rank);
    free(l->node_first);
    free(l->members);
    memset(l, 0, sizeof(*l));
}
