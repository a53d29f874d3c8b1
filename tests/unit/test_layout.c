/*
 * test_layout.c - the node layout: nodes numbered by their lowest rank,
 * uneven and non-contiguous nodes, and local ranks ordered by a key (the
 * cluster view orders a node's ranks by rail name, so that local rank l of
 * every node is on the same rail).
 */
#include "algo/layout.h"

#include <stdio.h>

static int failures;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* 7 ranks on 3 nodes, interleaved and uneven: labels 5 9 5 7 9 5 7. */
static void rank_order(void)
{
    const int label[7] = {5, 9, 5, 7, 9, 5, 7};
    weft_layout_t l;
    EXPECT(weft__layout_build(&l, 7, label) == WEFT_OK, "build");
    EXPECT(l.nnodes == 3, "nnodes %d", l.nnodes);
    const int node[7] = {0, 1, 0, 2, 1, 0, 2}, local[7] = {0, 0, 1, 0, 1, 2, 1};
    for (int r = 0; r < 7; r++) {
        EXPECT(l.node_of[r] == node[r], "rank %d on node %d, not %d", r, l.node_of[r], node[r]);
        EXPECT(l.local_rank[r] == local[r], "rank %d local %d, not %d", r, l.local_rank[r],
               local[r]);
    }
    EXPECT(l.min_node_size == 2, "min node size %d", l.min_node_size);
    EXPECT(weft__layout_rank(&l, 0, 2) == 5, "node 0 local 2 is %d", weft__layout_rank(&l, 0, 2));
    weft__layout_free(&l);
}

/* 2 nodes x 2 ranks where node 1 lists its rails the other way round:
 * rank 2 on rail1, rank 3 on rail0.  Keys are the (rail, rank) order. */
static void rail_order(void)
{
    const int label[4] = {0, 0, 2, 2};
    const int key[4] = {0, 2, 3, 1}; /* rail0: ranks 0, 3; rail1: ranks 1, 2 */
    weft_layout_t l;
    EXPECT(weft__layout_build_ordered(&l, 4, label, key) == WEFT_OK, "build");
    EXPECT(l.local_rank[3] == 0 && l.local_rank[2] == 1, "node 1 not ordered by rail: "
           "rank 2 local %d, rank 3 local %d", l.local_rank[2], l.local_rank[3]);
    EXPECT(weft__layout_rank(&l, 1, 0) == 3, "node 1 local 0 is %d", weft__layout_rank(&l, 1, 0));
    EXPECT(l.local_rank[0] == 0 && l.local_rank[1] == 1, "node 0 reordered");
    weft__layout_free(&l);
}

int main(void)
{
    rank_order();
    rail_order();
    printf("%s\n", failures ? "FAILED" : "passed");
    return failures != 0;
}
