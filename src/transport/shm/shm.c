/*
 * shm.c - the shared-memory transport: its requests and progress, and
 * creating and destroying it (the memory layout and its ordering rules are
 * in shm.h).
 *
 * Each served peer has a queue of sends and a queue of receives; only the
 * head of each queue moves, which gives the in-order matching the executor
 * relies on.  Progress drives the sender side of each peer's channel
 * (shm_send.c) and the receiver side (shm_recv.c); an idle round looks for
 * peers that failed or exited (shm_liveness.c).  Failing a peer fails
 * every request queued with it, with the peer's notice when it sent one.
 */
#include "transport/shm/shm.h"
#include "util/config.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

void weft__shm_enqueue(weft_treq_t **head, weft_treq_t **tail, weft_treq_t *req)
{
    req->next = NULL;
    if (*tail != NULL)
        (*tail)->next = req;
    else
        *head = req;
    *tail = req;
}

weft_treq_t *weft__shm_dequeue(weft_treq_t **head, weft_treq_t **tail)
{
    weft_treq_t *req = *head;
    *head = req->next;
    if (*head == NULL)
        *tail = NULL;
    return req;
}

/* Fails every request with the peer; `notice`, when the peer reported
 * its failure, goes with each (transport.h). */
void weft__shm_fail_peer_notice(shm_peer_t *pe, weft_status_t st, const weft_fail_notice_t *notice)
{
    pe->broken = 1;
    pe->send_cursor = NULL;
    while (pe->sendq != NULL) {
        weft_treq_t *req = weft__shm_dequeue(&pe->sendq, &pe->sendq_tail);
        weft__shm_revoke_single_copy(pe, req);
        req->notice = notice;
        weft__treq_finish(req, st);
    }
    while (pe->recvq != NULL) {
        weft_treq_t *req = weft__shm_dequeue(&pe->recvq, &pe->recvq_tail);
        req->notice = notice;
        weft__treq_finish(req, st);
    }
}

void weft__shm_fail_peer(shm_peer_t *pe, weft_status_t st)
{
    weft__shm_fail_peer_notice(pe, st, NULL);
}

static weft_status_t shm_progress(weft_transport_t *tp, int *progressed_p)
{
    shm_t *t = (shm_t *)tp;
    int moved = 0;
    for (int i = 0; i < t->nserved; i++) {
        int p = t->served[i];
        if (t->peers[p].sendq != NULL)
            moved |= weft__shm_send_progress(t, &t->peers[p]);
        if (t->peers[p].recvq != NULL)
            moved |= weft__shm_recv_progress(t, p);
    }
    if (!moved)
        weft__shm_check_liveness(t);
    *progressed_p = moved;
    return WEFT_OK;
}

/* Shared memory has nothing to poll(): a pending request needs looking at. */
static int shm_wait_fds(weft_transport_t *tp, struct pollfd *fds, int max)
{
    shm_t *t = (shm_t *)tp;
    (void)fds;
    (void)max;
    for (int i = 0; i < t->nserved; i++) {
        const shm_peer_t *pe = &t->peers[t->served[i]];
        if (pe->sendq != NULL || pe->recvq != NULL)
            return -1;
    }
    return 0;
}

static weft_status_t post(shm_t *t, int peer, weft_treq_t *req, int is_send)
{
    shm_peer_t *pe = &t->peers[peer];
    if (pe->out == NULL)
        return weft__error(WEFT_ERR_INTERNAL, "shm: rank %d is not a local peer of %d", peer,
                           t->rank);
    memset(req->priv, 0, sizeof(req->priv));
    req->done_bytes = 0;
    if (pe->broken)
        return weft__error(WEFT_ERR_REMOTE, "shm: the channel with rank %d failed earlier", peer);
    if (is_send) {
        weft__shm_enqueue(&pe->sendq, &pe->sendq_tail, req);
        if (pe->send_cursor == NULL)
            pe->send_cursor = req;
    }
    else
        weft__shm_enqueue(&pe->recvq, &pe->recvq_tail, req);
    return WEFT_OK;
}

static weft_status_t shm_isend(weft_transport_t *tp, int peer, weft_treq_t *req)
{
    return post((shm_t *)tp, peer, req, 1);
}

static weft_status_t shm_irecv(weft_transport_t *tp, int peer, weft_treq_t *req)
{
    return post((shm_t *)tp, peer, req, 0);
}

static void shm_cancel_all(weft_transport_t *tp, weft_status_t status)
{
    shm_t *t = (shm_t *)tp;
    for (int i = 0; i < t->nserved; i++) {
        shm_peer_t *pe = &t->peers[t->served[i]];
        if (pe->sendq != NULL || pe->recvq != NULL)
            weft__shm_fail_peer(pe, status);
    }
}

static void shm_counters(weft_transport_t *tp, weft_tcounters_t *c_p)
{
    *c_p = ((shm_t *)tp)->counters;
}

static void shm_destroy(weft_transport_t *tp)
{
    shm_t *t = (shm_t *)tp;
    if (t == NULL)
        return;
    weft__shm_teardown(t);
    for (int p = 0; t->peers != NULL && p < t->nranks; p++)
        free(t->peers[p].notice);
    free(t->peers);
    free(t->served);
    free(t->bounce);
    free(t);
}

static weft_status_t shm_create(const weft_tctx_t *ctx, weft_transport_t **tp_p)
{
    shm_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "shm transport");
    t->base.ops = &weft__shm_ops;
    t->rank = ctx->rank;
    t->nranks = ctx->nranks;
    uint64_t nslots = (uint64_t)WEFT_MAX(2, weft__config_int(WEFT_CFG_SHM_NSLOTS));
    uint64_t slot = (uint64_t)WEFT_MAX(64, weft__config_int(WEFT_CFG_SHM_SLOT_BYTES));
    t->geom = (shm_geom_t){nslots, WEFT_ALIGN_UP(slot, 64), 0};
    t->geom.chan_bytes = WEFT_ALIGN_UP(sizeof(shm_chan_t) + nslots * shm_slot_stride(&t->geom),
                                       4096);
    t->single_copy_min = (uint64_t)weft__config_int(WEFT_CFG_SHM_SINGLE_COPY_MIN_BYTES);
    t->peers = calloc((size_t)ctx->nranks, sizeof(*t->peers));
    t->served = calloc((size_t)ctx->nranks, sizeof(*t->served));
    if (t->peers == NULL || t->served == NULL) {
        shm_destroy(&t->base);
        return weft__error(WEFT_ERR_NO_MEMORY, "shm transport for %d ranks", ctx->nranks);
    }
    for (int p = 0; p < ctx->nranks; p++) {
        if (ctx->use_peer[p])
            t->served[t->nserved++] = p;
    }
    weft_status_t st = weft__shm_setup(t, ctx);
    if (st != WEFT_OK) {
        shm_destroy(&t->base);
        return st;
    }
    *tp_p = &t->base;
    return WEFT_OK;
}

const weft_transport_ops_t weft__shm_ops = {
    .name = "shm",
    .create = shm_create,
    .isend = shm_isend,
    .irecv = shm_irecv,
    .progress = shm_progress,
    .wait_fds = shm_wait_fds,
    .cancel_all = shm_cancel_all,
    .shutdown = weft__shm_shutdown,
    .counters = shm_counters,
    .announce = weft__shm_announce,
    .peer_announced = weft__shm_peer_announced,
    .destroy = shm_destroy,
};
