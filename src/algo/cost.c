/*
 * cost.c - a cost model from a topology: the defaults measured on this
 * project's machines (docs/TUNING.md), refined by what the system knows.
 *
 *   inter-node: a cluster file's rails -- line rate / 8 (GB/s) divided by
 *     the oversubscription, latency + what our socket path adds, and the
 *     token bucket that shapes them, if the file gives one; without
 *     one, the line rate of the interface the sockets use, when slower
 *     than TCP manages here anyway;
 *   intra-node: a topology file's host-memory link; detection only guesses
 *     it, so the measured default stays.
 */
#include "algo/sim.h"
#include "topology/topo.h"

#include <string.h>

/* What our TCP path adds to a network's own latency (measured here: about
 * 9 us per message between two processes over loopback). */
#define SOCKET_SOFTWARE_US 10.0

weft_cost_model_t weft__cost_model_default(void)
{
    /* docs/TUNING.md: measured on the project's 2-core VM, shared memory
     * between processes and TCP over loopback. */
    weft_cost_model_t m = {{0.3, 4.0, 0, 0}, {10.0, 1.0, 0, 0}, 8.0, 10.0};
    return m;
}

/* Ranks that outnumber the CPUs: a message then waits for its receiver to
 * be scheduled.  Measured on the project's 2-core machine with 8 ranks
 * (4x oversubscribed):
 *   - within one node, an 8-byte recursive-doubling all-reduce took 26 us
 *     for 3 rounds against 0.3 us with 2 ranks: +8 us a message;
 *   - across the emulated cluster (4 nodes x 2 ranks, perf/cluster), the
 *     1 KiB all-reduces of six algorithms (docs/PERFORMANCE.md, medians
 *     of 5 rounds) fit about 90 us per inter-node step and 40 us per
 *     intra-node step: a rank that waits on sockets sleeps in poll(), and
 *     a shared-memory message to it waits for the nap to end (core/wait.c).
 * Steps, not bytes, then decide between algorithms; a model without this
 * chose the 8-step hierarchical all-reduce at 16 KiB where the 3-step
 * recursive doubling was 3x faster. */
void weft__cost_model_oversubscribed(weft_cost_model_t *m, int ranks_here, int cpus,
                                     int multi_node)
{
    if (cpus <= 0 || ranks_here <= cpus)
        return;
    m->intra.alpha_us += multi_node ? 40.0 : 8.0;
    m->inter.alpha_us += 75.0;
}

weft_cost_model_t weft__cost_model_from_system(const weft_system_t *sys, const char *ifname)
{
    weft_cost_model_t m = weft__cost_model_default();
    const weft_network_t *net = &sys->network;
    if (net->nnodes > 1 && net->rails > 0 && net->rail_gbps > 0) {
        double over = net->oversubscription > 1 ? net->oversubscription : 1;
        m.inter.bw_gbps = net->rail_gbps / 8 / over;
        m.inter.alpha_us = net->rail_lat_us + SOCKET_SOFTWARE_US;
        /* A shaped rail: inside its bucket a message goes as fast as our
         * TCP path does (the default's figure). */
        m.inter.burst_bytes = net->rail_burst_bytes;
        m.inter.peak_gbps = weft__cost_model_default().inter.bw_gbps;
    } else if (ifname != NULL && ifname[0] != '\0') {
        for (int i = 0; i < sys->node.nnics; i++) {
            const weft_topo_nic_t *nic = &sys->node.nic[i];
            double gbps = nic->speed_gbps / 8;
            int match = strcmp(nic->name, ifname) == 0 || strcmp(nic->netdev, ifname) == 0;
            if (match && gbps > 0 && gbps < m.inter.bw_gbps)
                m.inter.bw_gbps = gbps;
        }
    }
    if (strcmp(sys->node.source, "detected") != 0 && sys->node.host_shm.bw_gbps > 0) {
        m.intra.bw_gbps = sys->node.host_shm.bw_gbps;
        m.intra.alpha_us = sys->node.host_shm.lat_us;
    }
    return m;
}
