/*
 * comm_peers.c - init phase 2: the cluster view.
 *
 * Every rank publishes where it runs -- its node (hostname + boot id, or
 * WEFT_HOSTID), its machine (boot id: to count the ranks that share the
 * CPUs), its pid (for shared memory) and its rail: the network interface
 * it sends through between nodes (WEFT_SOCKET_IFNAME, as a launcher sets
 * it per rank on a multi-rail cluster; else, for a rank that drives a GPU,
 * the NIC nearest that GPU in the node's topology, as on a DGX where GPU
 * g and NIC g share a PCIe switch), and its GPU.  An allgather gives
 * every rank the same table, from which each derives the same layout:
 *
 *   - ranks with equal node ids form a node; nodes are numbered in the
 *     order of their lowest rank (ranks need not be contiguous, nodes may
 *     be uneven);
 *   - within a node, ranks are ordered by rail name, then by rank.  The
 *     hierarchical algorithms pair local rank l of every node in one
 *     inter-node ring, so this makes each ring run over one rail: on a
 *     cluster whose rails are separate switches, a ring that mixed rail 0
 *     of one node with rail 1 of another would have to cross the spine.
 *     Ranks without a rail name sort first, in rank order (the old layout).
 */
#include "core/comm.h"
#include "core/direct.h"
#include "topology/topo.h"
#include "util/config.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char host[WEFT_HOSTID_BYTES];
    char machine[WEFT_HOSTID_BYTES];
    char rail[WEFT_RAIL_NAME_BYTES];
    int32_t pid;
    int32_t device; /* its GPU, -1: none */
    int32_t wants_direct; /* 1: WEFT_CUDA_IPC and a GPU (core/direct.h) */
} peer_info_t;

/* How long a waiting rank polls before it yields: WEFT_SPIN_US, or by
 * default 50 us, and none when the ranks on this machine outnumber its
 * CPUs -- then a polling rank only delays the peer it waits for (measured:
 * 4 threads on 2 cores, 8-byte all-reduce 140 us with polling, 7.5 us
 * without). */
static uint64_t spin_budget_ns(int ranks_here)
{
    if (weft__config_is_set(WEFT_CFG_SPIN_US))
        return (uint64_t)weft__config_int(WEFT_CFG_SPIN_US) * 1000;
    /* The machine's CPUs, not this process's affinity: a launcher that
     * binds each rank to one core does not make the machine oversubscribed. */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 && ranks_here > cpus ? 0 : 50000;
}

/* Node labels (the lowest rank with the same node id) and the order of
 * ranks within a node: by rail name, then rank. */
static weft_status_t build_layout(struct weft_comm *comm, const peer_info_t *all)
{
    int n = comm->nranks;
    int *label = malloc((size_t)n * sizeof(int)), *order = malloc((size_t)n * sizeof(int));
    if (label == NULL || order == NULL) {
        free(label);
        free(order);
        return weft__error(WEFT_ERR_NO_MEMORY, "node labels for %d ranks", n);
    }
    for (int p = 0; p < n; p++) {
        label[p] = p;
        for (int q = 0; q < p; q++) {
            if (strcmp(all[q].host, all[p].host) == 0) {
                label[p] = label[q];
                break;
            }
        }
        /* order[p]: how many ranks sort before p by (rail, rank). */
        order[p] = 0;
        for (int q = 0; q < n; q++) {
            int c = strcmp(all[q].rail, all[p].rail);
            order[p] += c < 0 || (c == 0 && q < p);
        }
    }
    weft_status_t st = weft__layout_build_ordered(&comm->layout, n, label, order);
    free(label);
    free(order);
    return st == WEFT_OK ? WEFT_OK : weft__error(st, "node layout for %d ranks", n);
}

/* The name of the NIC nearest GPU `device` in this node's topology, or ""
 * (no such GPU or no NIC: said at INFO, the rank then has no rail). */
static void nearest_nic(int device, char *rail, size_t len)
{
    weft_system_t *sys = malloc(sizeof(*sys));
    int nic = -1;
    if (sys != NULL && weft__topo_get(sys) == WEFT_OK && device < sys->node.ngpus)
        nic = weft__topo_nearest_nic(&sys->node, device);
    if (nic >= 0)
        snprintf(rail, len, "%s", sys->node.nic[nic].name);
    else
        WEFT_INFO("GPU %d: no NIC near it in the topology (%s); no rail", device,
                  sys != NULL && device >= sys->node.ngpus ? "no such GPU" : "none found");
    free(sys);
}

static void my_info(peer_info_t *mine, int device)
{
    memset(mine, 0, sizeof(*mine));
    weft__host_id(mine->host);
    weft__machine_id(mine->machine);
    /* The socket transport sends through WEFT_SOCKET_IFNAME when it is
     * set: that interface is this rank's rail.  Otherwise a GPU rank's
     * rail is the NIC nearest its GPU. */
    const char *ifname = weft__config_str(WEFT_CFG_SOCKET_IFNAME);
    if (ifname[0] != '\0' && strchr(ifname, ',') == NULL)
        snprintf(mine->rail, sizeof(mine->rail), "%s", ifname);
    else if (device >= 0)
        nearest_nic(device, mine->rail, sizeof(mine->rail));
    mine->pid = (int32_t)getpid();
    mine->device = device;
    mine->wants_direct = weft__direct_wanted(device);
}

weft_status_t weft__comm_exchange_peers(struct weft_comm *comm, uint64_t deadline)
{
    int n = comm->nranks;
    peer_info_t mine;
    my_info(&mine, comm->device);
    memcpy(comm->host, mine.host, WEFT_HOSTID_BYTES);
    memcpy(comm->rail, mine.rail, WEFT_RAIL_NAME_BYTES);
    peer_info_t *all = calloc((size_t)n, sizeof(*all));
    comm->peer_pid = calloc((size_t)n, sizeof(int));
    comm->peer_host = calloc((size_t)n, WEFT_HOSTID_BYTES);
    comm->peer_class = calloc((size_t)n, 1);
    comm->peer_rail = calloc((size_t)n, WEFT_RAIL_NAME_BYTES);
    if (!all || !comm->peer_pid || !comm->peer_host || !comm->peer_class || !comm->peer_rail) {
        free(all);
        return weft__error(WEFT_ERR_NO_MEMORY, "peer tables for %d ranks", n);
    }
    weft_status_t st = weft__bootstrap_allgather(comm->bs, &mine, all, sizeof(mine), deadline);
    if (st != WEFT_OK) {
        free(all);
        return st;
    }
    int no_shm = weft__config_int(WEFT_CFG_SHM_DISABLE) != 0, ranks_here = 0;
    for (int p = 0; p < n; p++) {
        all[p].host[WEFT_HOSTID_BYTES - 1] = '\0';
        all[p].machine[WEFT_HOSTID_BYTES - 1] = '\0';
        all[p].rail[WEFT_RAIL_NAME_BYTES - 1] = '\0';
        ranks_here += strcmp(all[p].machine, mine.machine) == 0;
        memcpy(comm->peer_host + (size_t)p * WEFT_HOSTID_BYTES, all[p].host, WEFT_HOSTID_BYTES);
        memcpy(comm->peer_rail + (size_t)p * WEFT_RAIL_NAME_BYTES, all[p].rail,
               WEFT_RAIL_NAME_BYTES);
        comm->peer_pid[p] = all[p].pid;
        int same = strcmp(all[p].host, mine.host) == 0;
        comm->peer_class[p] = same && !no_shm ? WEFT_TP_SHM : WEFT_TP_SOCKET;
    }
    st = build_layout(comm, all);
    int wants_direct = 1;
    for (int p = 0; p < n; p++)
        wants_direct &= all[p].wants_direct == 1;
    free(all);
    if (st != WEFT_OK)
        return st;
    comm->direct_possible = wants_direct && weft__direct_possible(n, comm->layout.nnodes);
    comm->ranks_here = ranks_here;
    comm->spin_ns = spin_budget_ns(ranks_here);
    comm->nnodes = comm->layout.nnodes;
    comm->local_rank = comm->layout.local_rank[comm->rank];
    comm->local_size = weft__layout_node_size(&comm->layout, comm->layout.node_of[comm->rank]);
    return WEFT_OK;
}
