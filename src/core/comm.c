/*
 * comm.c - creating and destroying communicators.
 *
 * Init runs in phases, each collective over the ranks:
 *   1. bootstrap: rendezvous through the id's root (authenticated);
 *   2. peers: allgather of each rank's node identity and pid; ranks with the
 *      same node id talk over shared memory, the others over sockets
 *      (WEFT_SHM_DISABLE=1 sends everything through sockets);
 *   3. transports: each is created on every rank, in the same order, since
 *      creation exchanges addresses through the bootstrap.
 * A failure in any phase frees what the earlier ones built.
 */
#include "core/comm.h"
#include "core/direct.h"
#include "core/proxy_device.h"
#include "core/shrink.h"
#include "cuda/probe.h"
#include "reduce/reduce.h"
#include "util/config.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static weft_status_t create_transports(struct weft_comm *comm, uint64_t deadline)
{
    static const weft_transport_ops_t *const kinds[WEFT_NUM_TP] = {
        [WEFT_TP_SHM] = &weft__shm_ops, [WEFT_TP_SOCKET] = &weft__socket_ops};
    uint8_t *use = malloc((size_t)comm->nranks);
    if (use == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "transport setup");
    weft_status_t st = WEFT_OK;
    for (int t = 0; t < WEFT_NUM_TP && st == WEFT_OK; t++) {
        for (int p = 0; p < comm->nranks; p++)
            use[p] = p != comm->rank && comm->peer_class[p] == t;
        weft_tctx_t ctx = {comm->rank,      comm->nranks,    comm->bs, comm->secret, use,
                           comm->peer_pid, comm->peer_host, deadline};
        st = kinds[t]->create(&ctx, &comm->tp[t]);
    }
    free(use);
    return st;
}

/* Ended communicators stay allocated, reachable from here: a call racing
 * with destroy can still read their flags safely. */
static struct weft_comm *tombstones;
static pthread_mutex_t tombstone_lock = PTHREAD_MUTEX_INITIALIZER;

weft_status_t weft__comm_enter(struct weft_comm *comm)
{
    /* Dekker-style with destroy: it sets dying, then reads in_flight; we
     * bump in_flight, then read dying.  One of us sees the other. */
    atomic_fetch_add(&comm->in_flight, 1);
    if (atomic_load(&comm->dying)) {
        atomic_fetch_sub(&comm->in_flight, 1);
        return weft__error(WEFT_ERR_INVALID_USAGE, "comm %p is being destroyed or aborted",
                           (void *)comm);
    }
    return WEFT_OK;
}

void weft__comm_leave(struct weft_comm *comm)
{
    atomic_fetch_sub(&comm->in_flight, 1);
}

static void free_resources(struct weft_comm *comm)
{
    for (int t = 0; t < WEFT_NUM_TP; t++) {
        if (comm->tp[t] != NULL)
            comm->tp[t]->ops->destroy(comm->tp[t]);
    }
    if (comm->bs != NULL)
        weft__bootstrap_destroy(comm->bs);
    weft__shrink_teardown(comm);
    for (int i = 0; i < WEFT_PLAN_CACHE; i++)
        weft__plan_free(&comm->plans[i]);
    weft__plan_free(&comm->group_plan);
    free(comm->base);
    free(comm->scratch);
    free(comm->peer_pid);
    free(comm->peer_host);
    free(comm->peer_class);
    weft__diag_free(&comm->diag);
    free(comm->peer_rail);
    weft__layout_free(&comm->layout);
    memset(comm->tp, 0, sizeof(comm->tp));
    comm->bs = NULL;
    comm->base = NULL;
    comm->scratch = NULL;
    comm->peer_pid = NULL;
    comm->peer_host = NULL;
    comm->peer_class = NULL;
    comm->peer_rail = NULL;
}

weft_status_t weft__comm_end(struct weft_comm *comm, int abort)
{
    /* Stream-ordered calls first, while the communicator still works:
     * destroy lets them finish (with a deadline), abort fails those not
     * running; the running one ends with the `dying` below. */
    if (!atomic_load(&comm->dying))
        weft__device_stop(comm, abort);
    if (atomic_exchange(&comm->dying, 1))
        return weft__error(WEFT_ERR_INVALID_USAGE, "comm %p is already being destroyed or "
                           "aborted by another thread", (void *)comm);
    weft__comm_unregister(comm);
    /* A call in flight (another thread's, or the proxy's) notices
     * `dying` within a progress round and returns. */
    while (atomic_load(&comm->in_flight) > 0)
        sched_yield();
    weft__device_end(comm, abort); /* joins the proxy, frees the staging */
    if (abort) {
        /* Peers waiting on this rank fail now, told why (unless a failure
         * of this communicator told them already: the first notice stays). */
        weft_fail_notice_t why;
        char text[96];
        snprintf(text, sizeof(text), "rank %d/%d: weft_comm_abort was called", comm->rank,
                 comm->nranks);
        weft__notice_make(&why, WEFT_NOTICE_ABORT, WEFT_ERR_INVALID_USAGE, comm->rank, text);
        for (int t = 0; t < WEFT_NUM_TP; t++) {
            if (comm->tp[t] != NULL)
                comm->tp[t]->ops->shutdown(comm->tp[t], &why);
        }
    }
    free_resources(comm);
    pthread_mutex_lock(&tombstone_lock);
    comm->next_tombstone = tombstones;
    tombstones = comm;
    pthread_mutex_unlock(&tombstone_lock);
    return WEFT_OK;
}

void weft__op_desc_init(weft_op_desc_t *d, struct weft_comm *comm, weft_coll_t coll,
                        uint64_t count, weft_datatype_t dt, weft_op_t op, int root,
                        const void *send, void *recv)
{
    uint64_t chunk = (uint64_t)weft__config_int(WEFT_CFG_CHUNK_BYTES) / weft__dtype_size(dt);
    memset(d, 0, sizeof(*d));
    d->comm = comm;
    d->args.coll = coll;
    d->args.rank = comm->rank;
    d->args.nranks = comm->nranks;
    d->args.count = count;
    d->args.dt = dt;
    d->args.op = op;
    d->args.root = root;
    d->args.slice = chunk > 0 ? chunk : 1;
    d->args.layout = &comm->layout;
    d->sendbuf = send;
    d->recvbuf = recv;
}

/* For a communicator that never joined: nothing can hold it yet. */
static void comm_discard(struct weft_comm *comm)
{
    weft__direct_free(comm);
    free_resources(comm);
    free(comm);
}

weft_status_t weft__comm_create(int nranks, const weft_unique_id_t *id, int rank,
                                struct weft_comm **comm_p)
{
    return weft__comm_create_config(nranks, id, rank, NULL, comm_p);
}

weft_status_t weft__comm_create_config(int nranks, const weft_unique_id_t *id, int rank,
                                       const weft_config_t *config, struct weft_comm **comm_p)
{
    return weft__comm_create_device(nranks, id, rank, config, WEFT_DEVICE_CURRENT, comm_p);
}

weft_status_t weft__comm_create_device(int nranks, const weft_unique_id_t *id, int rank,
                                       const weft_config_t *config, int device,
                                       struct weft_comm **comm_p)
{
    struct weft_comm *comm = calloc(1, sizeof(*comm));
    if (comm == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "communicator");
    comm->rank = rank;
    comm->nranks = nranks;
    comm->device = device == WEFT_DEVICE_CURRENT ? weft__cuda_current_device() : device;
    weft__config_copy(config, &comm->config);
    /* The deadline covers init too: the rendezvous and every setup phase. */
    comm->timeout_s = comm->config.timeout_s > 0 ? comm->config.timeout_s
                                                 : weft__config_double(WEFT_CFG_TIMEOUT);
    int check = weft__diag_check_level(comm->config.check);
    if (weft__diag_init(&comm->diag, nranks, check) != WEFT_OK) {
        comm_discard(comm);
        return WEFT_ERR_NO_MEMORY;
    }
    /* Resolved, so that a child of split or shrink has exactly these. */
    comm->config.timeout_s = comm->timeout_s;
    comm->config.check = check;
    for (int i = 0; i < WEFT_PLAN_CACHE; i++)
        weft__sched_init(&comm->plans[i].sched, rank, nranks);
    weft__sched_init(&comm->group_plan.sched, rank, nranks);
    weft__log_set_context(rank, nranks);
    weft__cuda_probe(); /* once per process: says at INFO whether GPUs are usable */
    uint64_t deadline = weft__deadline_after(comm->timeout_s);
    weft_status_t st = weft__bootstrap_init(id, rank, nranks, deadline, &comm->bs);
    if (st == WEFT_OK) {
        memcpy(comm->secret, weft__bootstrap_secret(comm->bs), WEFT_SECRET_BYTES);
        st = weft__comm_exchange_peers(comm, deadline);
    }
    if (st == WEFT_OK)
        st = weft__shrink_setup(comm, deadline);
    if (st == WEFT_OK)
        st = create_transports(comm, deadline);
    if (st == WEFT_OK)
        st = weft__direct_setup(comm, deadline);
    weft_cost_model_t model;
    if (st == WEFT_OK)
        st = weft__comm_cost_model(comm, deadline, &model);
    if (st == WEFT_OK)
        weft__tuner_init(&comm->tuner, &model);
    if (st == WEFT_OK)
        st = weft__comm_register(comm);
    if (st != WEFT_OK) {
        comm_discard(comm);
        return weft__error_keep(st, "rank %d of %d could not join the communicator", rank,
                                nranks);
    }
    WEFT_INFO("rank %d/%d joined: node %d of %d, local rank %d of %d, GPU %d, rail %s", rank,
              nranks, comm->layout.node_of[rank], comm->nnodes, comm->local_rank,
              comm->local_size, comm->device, comm->rail[0] != '\0' ? comm->rail : "(none)");
    weft__diag_signal_setup();
    *comm_p = comm;
    return WEFT_OK;
}
