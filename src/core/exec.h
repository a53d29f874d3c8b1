/*
 * exec.h - the executor: runs one rank's schedule over the transports.
 *
 * A step becomes ready when the steps it depends on are complete.  Local
 * steps (COPY, REDUCE, DIVIDE) run at once; SEND and RECV steps are posted
 * to the peer's transport, towards each peer in schedule order (the order
 * in which messages match), and complete through the transport's callback,
 * which makes their successors ready.  The executor never blocks: the
 * caller drives weft__exec_progress() and decides how to wait (core/run.c).
 * It is the same model the verifier (algo/verify_sim.c) proves schedules
 * against.
 */
#ifndef WEFT_CORE_EXEC_H
#define WEFT_CORE_EXEC_H

#include "algo/graph.h"
#include "algo/sched.h"
#include "transport/transport.h"

typedef struct weft_exec {
    struct weft_comm *comm;
    const weft_sched_t *sched;
    void **base; /* per buffer: its address */
    weft_graph_t graph;  /* successors and per-peer queues (algo/graph.c) */
    uint32_t *remaining, *ready;
    uint32_t *remaining0, *ready0; /* the state at the start, for restarts */
    uint32_t nready0;
    uint8_t *state;
    uint32_t *cursor[2]; /* per peer: the next send [0] / receive [1] to post */
    weft_treq_t *reqs;                       /* per step */
    uint32_t nready, ndone;
    weft_status_t status;
    int failed_step; /* the first step that failed, or -1 */
    /* Why, when a peer's failure notice failed it (transport.h): the
     * notice, and the peer it came from. */
    const weft_fail_notice_t *notice;
    int notice_peer;
    /* Capacities of the arrays above, kept across runs. */
    uint32_t cap_steps, cap_deps, cap_bufs;
    int cap_ranks;
} weft_exec_t;

/* Prepares x to run s with buffer addresses base[] (copied). */
weft_status_t weft__exec_start(weft_exec_t *x, struct weft_comm *comm, const weft_sched_t *s,
                               void *const *base);

/* Runs the schedule of the previous start again, with new buffer
 * addresses: the graph is kept, only the state is reset. */
void weft__exec_restart(weft_exec_t *x, void *const *base);

/* Runs what can run: WEFT_OK once every step is complete, WEFT_IN_PROGRESS
 * while some are pending, or the first error. */
weft_status_t weft__exec_progress(weft_exec_t *x, int *progressed_p);

/* Describes the first step still waiting (for timeout messages). */
void weft__exec_describe_pending(const weft_exec_t *x, char *buf, size_t len);

void weft__exec_free(weft_exec_t *x);

#endif
