/*
 * algo.h - collectives, their arguments, and the table of schedule
 * generators.
 *
 * A generator fills a schedule for one rank.  weft__algo_generate() first
 * adds buffer 0 (the user's send buffer) and buffer 1 (the user's receive
 * buffer) with the sizes the collective defines, then calls the generator.
 * A buffer that a rank must not touch (the send buffer of a non-root
 * broadcast rank, the receive buffer of a non-root reduce rank) gets count
 * 0, so that the verifier rejects any step that uses it.
 */
#ifndef WEFT_ALGO_ALGO_H
#define WEFT_ALGO_ALGO_H

#include "algo/layout.h"
#include "algo/sched.h"

typedef enum {
    WEFT_COLL_ALLREDUCE,
    WEFT_COLL_ALLGATHER,
    WEFT_COLL_REDUCE_SCATTER,
    WEFT_COLL_BROADCAST,
    WEFT_COLL_REDUCE,
    WEFT_COLL_SEND,
    WEFT_COLL_RECV,
    WEFT_COLL_BARRIER,
    WEFT_NUM_COLLS
} weft_coll_t;

typedef struct {
    weft_coll_t coll;
    int rank, nranks;
    uint64_t count; /* per rank for all-gather and reduce-scatter */
    weft_datatype_t dt;
    weft_op_t op;
    int root;       /* broadcast/reduce root; send/recv peer */
    uint64_t slice; /* pipeline slice in elements (>= 1) */
    const weft_layout_t *layout; /* which ranks share a node; NULL: one node */
} weft_coll_args_t;

typedef weft_status_t (*weft_algo_gen_t)(const weft_coll_args_t *args, weft_sched_t *s);

typedef struct {
    const char *name;
    weft_coll_t coll;
    weft_algo_gen_t gen;
    /* 1: run only when WEFT_ALGO forces it; the tuner does not price it
     * (its measured behaviour departs from the cost model: see algo.c). */
    int forced_only;
} weft_algo_t;

const char *weft__coll_name(weft_coll_t coll);

/* All generators for a collective; returns how many (at most max). */
int weft__algo_list(weft_coll_t coll, const weft_algo_t **out, int max);

/* By name ("ring", "rd", ...); "ring" also names the chain of broadcast
 * and reduce.  NULL if the collective has no such algorithm. */
const weft_algo_t *weft__algo_find(weft_coll_t coll, const char *name);

/* The size-based choice, or `forced` where the collective has it. */
const weft_algo_t *weft__algo_choose(const weft_coll_args_t *args, const char *forced);

/* Resets s, adds the user buffers and runs the generator. */
weft_status_t weft__algo_generate(const weft_algo_t *algo, const weft_coll_args_t *args,
                                  weft_sched_t *s);

/* Generators (one file each, each opening with its explanation and cost). */
weft_status_t weft__gen_allreduce_ring(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allreduce_rd(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allreduce_rabenseifner(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allreduce_hier(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allreduce_hier_hd(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allreduce_hier_rd(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allreduce_dbt(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allreduce_oneshot(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allreduce_twoshot(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allgather_ring(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allgather_rd(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_allgather_hier(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_reduce_scatter_ring(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_reduce_scatter_halving(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_reduce_scatter_hier(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_broadcast_tree(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_broadcast_chain(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_reduce_tree(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_reduce_chain(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_barrier_dissemination(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_send(const weft_coll_args_t *a, weft_sched_t *s);
weft_status_t weft__gen_recv(const weft_coll_args_t *a, weft_sched_t *s);

#endif
