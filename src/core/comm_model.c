/*
 * comm_model.c - a communicator's cost model, for the tuner.
 *
 * The model comes from the topology (algo/cost.c).  Ranks may see
 * different machines, yet they must choose the
 * same algorithm: each publishes its model and all take the most
 * pessimistic figures (lowest bandwidth, highest latency).
 *
 * Ranks that outnumber the machine's CPUs pay for waiting to be scheduled
 * on every message (weft__cost_model_oversubscribed).
 *
 * A topology file that disagrees with the ranks present -- another number
 * of nodes than the cluster file says, more ranks on a node than it has
 * GPUs -- fails init with a message, rather than mispricing every call.
 */
#include "core/comm.h"
#include "topology/topo.h"
#include "util/compiler.h"
#include "util/config.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static weft_status_t check_against_ranks(const struct weft_comm *comm, const weft_system_t *sys)
{
    const char *file = weft__config_str(WEFT_CFG_TOPO_FILE);
    if (file[0] == '\0')
        return WEFT_OK;
    if (sys->network.nnodes > 1 && sys->network.nnodes != comm->nnodes)
        return weft__error(WEFT_ERR_INVALID_USAGE,
                           "WEFT_TOPO_FILE %s describes %d nodes, but the %d ranks of this "
                           "communicator are on %d", file, sys->network.nnodes, comm->nranks,
                           comm->nnodes);
    if (sys->node.ngpus > 0 && comm->local_size > sys->node.ngpus)
        return weft__error(WEFT_ERR_INVALID_USAGE,
                           "WEFT_TOPO_FILE %s gives a node %d GPUs, but %d ranks share node %s",
                           file, sys->node.ngpus, comm->local_size, comm->host);
    return WEFT_OK;
}

static void take_worse_link(weft_cost_link_t *m, const weft_cost_link_t *o)
{
    m->alpha_us = WEFT_MAX(m->alpha_us, o->alpha_us);
    m->bw_gbps = WEFT_MIN(m->bw_gbps, o->bw_gbps);
    m->burst_bytes = WEFT_MIN(m->burst_bytes, o->burst_bytes);
    m->peak_gbps = WEFT_MIN(m->peak_gbps, o->peak_gbps);
}

/* The most pessimistic of two models, figure by figure, into m. */
static void take_worse(weft_cost_model_t *m, const weft_cost_model_t *o)
{
    take_worse_link(&m->intra, &o->intra);
    take_worse_link(&m->inter, &o->inter);
    m->reduce_gbps = WEFT_MIN(m->reduce_gbps, o->reduce_gbps);
    m->copy_gbps = WEFT_MIN(m->copy_gbps, o->copy_gbps);
}

weft_status_t weft__comm_cost_model(struct weft_comm *comm, uint64_t deadline,
                                    weft_cost_model_t *m_p)
{
    weft_cost_model_t m = weft__cost_model_default(), *all = NULL;
    weft_system_t *sys = malloc(sizeof(*sys));
    if (sys == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "topology of rank %d", comm->rank);
    weft_status_t st = weft__topo_get(sys);
    if (st == WEFT_OK)
        st = check_against_ranks(comm, sys);
    if (st == WEFT_OK)
        m = weft__cost_model_from_system(sys, weft__config_str(WEFT_CFG_SOCKET_IFNAME));
    free(sys);
    weft__cost_model_oversubscribed(&m, comm->ranks_here, (int)sysconf(_SC_NPROCESSORS_ONLN),
                                    comm->nnodes > 1);
    /* Everyone takes part in the exchange, even after a local failure. */
    all = calloc((size_t)comm->nranks, sizeof(*all));
    if (all == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "cost models of %d ranks", comm->nranks);
    weft_status_t xs = weft__bootstrap_allgather(comm->bs, &m, all, sizeof(m), deadline);
    if (st == WEFT_OK)
        st = xs;
    for (int r = 0; r < comm->nranks && st == WEFT_OK; r++)
        take_worse(&m, &all[r]);
    free(all);
    if (st == WEFT_OK)
        *m_p = m;
    return st;
}
