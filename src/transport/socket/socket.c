/*
 * socket.c - the TCP transport's ops: creating and destroying it, failing
 * a peer, cancelling and shutting down (the wire format is in socket.h).
 *
 * Messages are cut into pieces and posted in socket_piece.c, and moved by
 * the send and receive paths in socket_progress.c.  Failing a peer fails
 * every piece queued with it, with the notice it sent when it sent one.
 * Shutting down tells every peer why with a failure frame
 * (socket_notice.c), then closes every connection.
 */
#include "transport/socket/socket.h"
#include "util/compiler.h"
#include "util/config.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>


/* Fails every piece queued with the peer; `notice`, when the peer sent
 * one, goes with each request (transport.h). */
void weft__sock_fail_peer_notice(sock_t *t, int peer, weft_status_t st,
                                 const weft_fail_notice_t *notice)
{
    sock_peer_t *pe = &t->peers[peer];
    pe->broken = 1;
    for (int i = 0; i < t->nconns; i++) {
        sock_conn_t *c = &pe->conn[i];
        while (c->sendq != NULL) {
            sock_piece_t *p = weft__sock_piece_dequeue(&c->sendq, &c->sendq_tail);
            p->req->notice = notice;
            weft__sock_piece_finished(t, p, st, 1);
        }
        while (c->recvq != NULL) {
            sock_piece_t *p = weft__sock_piece_dequeue(&c->recvq, &c->recvq_tail);
            p->req->notice = notice;
            weft__sock_piece_finished(t, p, st, 0);
        }
    }
}

void weft__sock_fail_peer(sock_t *t, int peer, weft_status_t st)
{
    weft__sock_fail_peer_notice(t, peer, st, NULL);
}

weft_status_t weft__sock_closed_error(sock_t *t, int peer, ssize_t n)
{
    if (n == 0)
        return weft__error(WEFT_ERR_REMOTE, "rank %d: rank %d closed its connection (it failed "
                           "or was aborted)", t->rank, peer);
    return weft__error(WEFT_ERR_REMOTE, "rank %d: connection to rank %d failed: %s", t->rank, peer,
                       strerror(errno));
}

static void sock_cancel_all(weft_transport_t *tp, weft_status_t status)
{
    sock_t *t = (sock_t *)tp;
    for (int p = 0; p < t->nranks; p++) {
        for (int i = 0; i < t->nconns; i++) {
            if (t->peers[p].conn[i].sendq != NULL || t->peers[p].conn[i].recvq != NULL) {
                weft__sock_fail_peer(t, p, status);
                break;
            }
        }
    }
}

/* A failure frame, then closing every connection, is how a peer learns:
 * its next read finds the frame, or, where none could be sent, EOF. */
static void sock_shutdown(weft_transport_t *tp, const weft_fail_notice_t *why)
{
    sock_t *t = (sock_t *)tp;
    if (!t->told) {
        /* Connections that lower ranks opened and this rank has not yet
         * admitted (it does so as it progresses) may be what a peer waits
         * on: admitted now, they carry the frame too. */
        if (t->listen_fd >= 0)
            weft__sock_accept_progress(t);
        if (why != NULL)
            weft__sock_tell(t, why);
    }
    t->told = 1;
    for (int p = 0; p < t->nranks; p++) {
        for (int i = 0; i < SOCK_MAX_CONNS; i++) {
            if (t->peers[p].conn[i].fd >= 0)
                shutdown(t->peers[p].conn[i].fd, SHUT_RDWR);
        }
        t->peers[p].broken = 1;
    }
    /* Those whose hello is not in yet just end. */
    for (sock_pending_t *pd = t->pending; pd != NULL; pd = pd->next) {
        if (pd->fd >= 0)
            shutdown(pd->fd, SHUT_RDWR);
    }
}

/* A remote peer's progress is seen only through its messages. */
static void sock_announce(weft_transport_t *tp, uint64_t seq)
{
    (void)tp;
    (void)seq;
}

static int sock_peer_announced(weft_transport_t *tp, int peer, uint64_t *seq_p)
{
    (void)tp;
    (void)peer;
    (void)seq_p;
    return 0;
}

static void sock_counters(weft_transport_t *tp, weft_tcounters_t *c_p)
{
    *c_p = ((sock_t *)tp)->counters;
}

static void sock_destroy(weft_transport_t *tp)
{
    sock_t *t = (sock_t *)tp;
    if (t == NULL)
        return;
    weft__sock_close_all(t);
    weft__sock_notice_free(t);
    while (t->free_pieces != NULL) {
        sock_piece_t *p = t->free_pieces;
        t->free_pieces = p->next;
        free(p);
    }
    free(t->peers);
    free(t->bounce);
    free(t);
}

static weft_status_t sock_create(const weft_tctx_t *ctx, weft_transport_t **tp_p)
{
    sock_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "socket transport");
    t->base.ops = &weft__socket_ops;
    t->rank = ctx->rank;
    t->nranks = ctx->nranks;
    t->listen_fd = -1;
    t->nconns = (int)WEFT_MIN(SOCK_MAX_CONNS, WEFT_MAX(1, weft__config_int(WEFT_CFG_SOCKET_NSOCKS)));
    t->min_stripe = (uint64_t)weft__config_int(WEFT_CFG_SOCKET_MIN_STRIPE_BYTES);
    memcpy(t->secret, ctx->secret, WEFT_SECRET_BYTES);
    t->bounce_bytes = 256 * 1024;
    t->peers = calloc((size_t)ctx->nranks, sizeof(*t->peers));
    t->bounce = malloc(t->bounce_bytes);
    if (t->peers == NULL || t->bounce == NULL) {
        sock_destroy(&t->base);
        return weft__error(WEFT_ERR_NO_MEMORY, "socket transport for %d ranks", ctx->nranks);
    }
    for (int p = 0; p < ctx->nranks; p++) {
        for (int i = 0; i < SOCK_MAX_CONNS; i++)
            t->peers[p].conn[i].fd = -1;
    }
    weft_status_t st = weft__sock_setup(t, ctx);
    if (st != WEFT_OK) {
        sock_destroy(&t->base);
        return st;
    }
    *tp_p = &t->base;
    return WEFT_OK;
}

const weft_transport_ops_t weft__socket_ops = {
    .name = "socket",
    .create = sock_create,
    .isend = weft__sock_isend,
    .irecv = weft__sock_irecv,
    .progress = weft__sock_progress,
    .wait_fds = weft__sock_wait_fds,
    .cancel_all = sock_cancel_all,
    .shutdown = sock_shutdown,
    .counters = sock_counters,
    .announce = sock_announce,
    .peer_announced = sock_peer_announced,
    .destroy = sock_destroy,
};
