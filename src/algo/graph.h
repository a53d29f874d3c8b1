/*
 * graph.h - a schedule as a graph: successor lists and, per peer, the
 * sends and receives in the order they are posted (and matched).
 *
 * One builder for the three consumers of schedules -- the executor runs
 * this graph, the verifier proves it and the simulator prices it -- so
 * that what is proven and priced is what runs.  Arrays grow as needed and
 * are kept for reuse.
 */
#ifndef WEFT_ALGO_GRAPH_H
#define WEFT_ALGO_GRAPH_H

#include "algo/sched.h"

typedef struct {
    uint32_t *succ_first, *succ;      /* successors of step i: succ[succ_first[i]..[i+1]) */
    uint32_t *q_first[2], *q[2];      /* [0] sends, [1] receives: peer p's are */
                                      /* q[d][q_first[d][p]..q_first[d][p+1]) */
    uint32_t *ordinal;                /* a send's or receive's place in its queue */
    uint32_t cap_steps, cap_deps;
    int cap_ranks;
} weft_graph_t;

static inline int weft__step_is_comm(const weft_step_t *st)
{
    return st->kind <= WEFT_STEP_RECV_REDUCE;
}

/* 0 for a send, 1 for a receive. */
static inline int weft__step_dir(const weft_step_t *st)
{
    return st->kind == WEFT_STEP_SEND ? 0 : 1;
}

weft_status_t weft__graph_build(weft_graph_t *g, const weft_sched_t *s, int nranks);
void weft__graph_free(weft_graph_t *g);

#endif
