/*
 * sim.h - the simulator: prices schedules on a model of the machine.
 *
 * Every rank's schedule runs together (as in the verifier, the same graph
 * the executor runs) on a model of links:
 *   - a message between ranks of one node costs alpha_intra + bytes /
 *     bw_intra on the sender's and the receiver's memory path;
 *   - between nodes, alpha_inter + bytes / bw_inter on the sender's NIC
 *     (egress) and the receiver's NIC (ingress); every rank has its own
 *     NIC (its rail), and a NIC carries one message at a time in each
 *     direction, so messages that share it queue;
 *     a shaped network link (burst_bytes) moves what its token bucket
 *     holds at peak_gbps (sim.c);
 *   - a RECV_REDUCE adds bytes / reduce_bw at the receiver, a COPY or
 *     REDUCE bytes / copy_bw (or reduce_bw) on the rank.
 * A transfer starts when both its send and its receive are posted (the
 * strict transport the verifier assumes) and both ends are free, except
 * a small (eager) message, which leaves when its send is posted and waits
 * at the receiver, as the shm FIFO and socket buffers let it.  The
 * result is when the last rank finishes, and the bytes each class of link
 * carried: what the tuner compares, and what weft-sim predicts for
 * clusters too large to have.
 */
#ifndef WEFT_ALGO_SIM_H
#define WEFT_ALGO_SIM_H

#include "algo/algo.h"

typedef struct {
    double alpha_us;    /* per message */
    double bw_gbps;     /* GB/s */
    double burst_bytes; /* a token bucket of this many bytes shapes it; 0: none */
    double peak_gbps;   /* GB/s while the bucket has tokens */
} weft_cost_link_t;

typedef struct {
    weft_cost_link_t intra, inter;
    double reduce_gbps; /* bytes of output per second, in GB/s */
    double copy_gbps;
} weft_cost_model_t;

typedef struct {
    double time_us;
    uint64_t intra_bytes, inter_bytes; /* sent, over all ranks */
    uint64_t max_inter_bytes;          /* sent by the busiest rank */
    uint32_t max_steps;                /* the longest schedule */
} weft_sim_result_t;

/* Simulates `algo` on every rank of tmpl's layout (tmpl->rank is ignored;
 * a NULL layout means one node).  Slices are coarsened to keep at most a
 * few per block: pipelining is modelled, not every slice. */
weft_status_t weft__simulate(const weft_algo_t *algo, const weft_coll_args_t *tmpl,
                             const weft_cost_model_t *m, weft_sim_result_t *res_p);

/* The defaults of this project's machines (docs/TUNING.md). */
weft_cost_model_t weft__cost_model_default(void);

/* Adds what waiting for the CPU costs each message when ranks_here ranks
 * share cpus CPUs and outnumber them (cost.c); multi_node: the
 * communicator spans nodes, so waiting ranks sleep on their sockets. */
void weft__cost_model_oversubscribed(weft_cost_model_t *m, int ranks_here, int cpus,
                                     int multi_node);

/* The defaults refined by a topology (cost.c); ifname is the interface
 * the sockets use, or NULL. */
struct weft_system;
weft_cost_model_t weft__cost_model_from_system(const struct weft_system *sys, const char *ifname);

#endif
