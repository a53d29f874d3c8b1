/*
 * socket.c - the TCP transport's data path: cutting messages into pieces
 * over a peer's connections, non-blocking sends and receives, and progress
 * (the wire format is in socket.h).
 *
 * A receive with a consume function (RECV_REDUCE) reads into a bounce
 * buffer and hands whole elements to consume as they arrive, keeping the
 * bytes of a split element for the next read; a plain receive reads
 * straight into its destination.
 */
#include "transport/socket/socket.h"
#include "util/compiler.h"
#include "util/config.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static sock_piece_t *piece_get(sock_t *t)
{
    sock_piece_t *p = t->free_pieces;
    if (p != NULL)
        t->free_pieces = p->next;
    else
        p = malloc(sizeof(*p));
    if (p != NULL)
        memset(p, 0, sizeof(*p));
    return p;
}

static void piece_put(sock_t *t, sock_piece_t *p)
{
    p->next = t->free_pieces;
    t->free_pieces = p;
}

static void piece_enqueue(sock_piece_t **head, sock_piece_t **tail, sock_piece_t *p)
{
    p->next = NULL;
    if (*tail != NULL)
        (*tail)->next = p;
    else
        *head = p;
    *tail = p;
}

static sock_piece_t *piece_dequeue(sock_piece_t **head, sock_piece_t **tail)
{
    sock_piece_t *p = *head;
    *head = p->next;
    if (*head == NULL)
        *tail = NULL;
    return p;
}

static void pack_piece_hdr(uint8_t *out, uint64_t len, uint64_t msg_bytes, uint64_t off,
                           uint64_t msg)
{
    weft__put_le32(out, WEFT_WIRE_MAGIC);
    weft__put_le16(out + 4, WEFT_WIRE_VERSION);
    weft__put_le16(out + 6, SOCK_MSG_DATA);
    weft__put_le64(out + 8, len);
    weft__put_le64(out + 16, msg_bytes);
    weft__put_le64(out + 24, off);
    weft__put_le64(out + 32, msg);
}

/* The call's signature, after the 40 bytes of framing. */
static void pack_piece_sig(uint8_t *out, const weft_wire_sig_t *sig)
{
    static const weft_wire_sig_t none = {0, 0, 0, 0, 0, 0, 0};
    const weft_wire_sig_t *s = sig != NULL ? sig : &none;
    weft__put_le64(out + 40, s->seq);
    weft__put_le64(out + 48, s->count);
    out[56] = s->coll;
    out[57] = s->dtype;
    out[58] = s->op;
    out[59] = s->flags;
    weft__put_le32(out + 60, (uint32_t)s->root);
}

static weft_wire_sig_t unpack_piece_sig(const uint8_t *h)
{
    weft_wire_sig_t s = {weft__get_le64(h + 40), weft__get_le64(h + 48), h[56], h[57], h[58],
                         h[59], (int32_t)weft__get_le32(h + 60)};
    return s;
}

/* A piece is done: the request completes with its last piece. */
static void piece_finished(sock_t *t, sock_piece_t *p, weft_status_t st, int is_send)
{
    weft_treq_t *req = p->req;
    if (st != WEFT_OK && req->status == WEFT_OK)
        req->status = st;
    if (--req->priv[0] == 0) {
        if (req->status == WEFT_OK) {
            if (is_send)
                t->counters.sent += req->bytes;
            else
                t->counters.recv += req->bytes;
        }
        weft__treq_finish(req, req->status);
    }
    piece_put(t, p);
}

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
            sock_piece_t *p = piece_dequeue(&c->sendq, &c->sendq_tail);
            p->req->notice = notice;
            piece_finished(t, p, st, 1);
        }
        while (c->recvq != NULL) {
            sock_piece_t *p = piece_dequeue(&c->recvq, &c->recvq_tail);
            p->req->notice = notice;
            piece_finished(t, p, st, 0);
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

static int would_block(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Writes queued pieces until the socket buffer is full; -1 on failure. */
static int send_conn(sock_t *t, int peer, sock_conn_t *c)
{
    int moved = 0;
    while (c->sendq != NULL) {
        sock_piece_t *p = c->sendq;
        struct iovec iov[2];
        int niov = 0;
        if (p->hdr_done < SOCK_PIECE_HDR)
            iov[niov++] = (struct iovec){p->hdr + p->hdr_done, SOCK_PIECE_HDR - p->hdr_done};
        if (p->data_done < p->len)
            iov[niov++] = (struct iovec){(char *)p->req->buf + p->off + p->data_done,
                                         p->len - p->data_done};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
        ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (would_block())
                break;
            weft__sock_peer_lost(t, peer, n);
            return -1;
        }
        moved = 1;
        size_t h = WEFT_MIN((size_t)n, SOCK_PIECE_HDR - p->hdr_done);
        p->hdr_done += h;
        p->data_done += (size_t)n - h;
        c->send_mid = p->hdr_done < SOCK_PIECE_HDR || p->data_done < p->len;
        if (c->send_mid)
            break; /* partial write: the socket buffer is full */
        piece_finished(t, piece_dequeue(&c->sendq, &c->sendq_tail), WEFT_OK, 1);
    }
    return moved;
}

weft_status_t weft__sock_check_piece_hdr(sock_t *t, int peer, const sock_piece_t *p)
{
    const uint8_t *h = p->hdr;
    char why[200];
    weft_status_t pst = weft__wire_prefix_check(h, SOCK_MSG_DATA, why, sizeof(why));
    if (pst != WEFT_OK)
        return weft__error(pst, "rank %d: bad piece header on the connection from rank %d: %s",
                           t->rank, peer, why);
    uint64_t len = weft__get_le64(h + 8), msg = weft__get_le64(h + 16), off = weft__get_le64(h + 24);
    /* The signature first: ranks that disagree on the call learn it
     * before any byte lands, whatever the sizes. */
    p->req->peer_sig = unpack_piece_sig(h);
    if (p->req->sig != NULL && !weft__sig_agree(p->req->sig, &p->req->peer_sig))
        return weft__error(WEFT_ERR_INVALID_USAGE, "rank %d: the message from rank %d belongs "
                           "to a different call", t->rank, peer);
    if (weft__get_le64(h + 32) != p->msg)
        return weft__error(WEFT_ERR_INVALID_USAGE,
                           "rank %d: message %llu from rank %d arrived where message %llu was "
                           "expected: the ranks issued different sequences of calls", t->rank,
                           (unsigned long long)weft__get_le64(h + 32), peer,
                           (unsigned long long)p->msg);
    if (msg != p->req->bytes || len != p->len || off != p->off)
        return weft__error(WEFT_ERR_INVALID_USAGE,
                           "rank %d: a message of %llu bytes arrived from rank %d where a receive "
                           "of %zu bytes was posted: the ranks disagree on the collective's "
                           "count, datatype or order", t->rank, (unsigned long long)msg, peer,
                           p->req->bytes);
    return WEFT_OK;
}

/* Reads the data of piece p; returns bytes read, 0 on EAGAIN, -1 once the
 * connection ended (the peer is then failed). */
static ssize_t recv_data(sock_t *t, int peer, sock_conn_t *c, sock_piece_t *p)
{
    weft_treq_t *req = p->req;
    size_t left = p->len - p->data_done;
    ssize_t n;
    if (req->consume == NULL) {
        n = recv(c->fd, (char *)req->buf + p->off + p->data_done, left, MSG_DONTWAIT);
        if (n > 0 || (n < 0 && would_block()))
            return n > 0 ? n : 0;
        weft__sock_peer_lost(t, peer, n);
        return -1;
    }
    memcpy(t->bounce, c->carry, c->ncarry);
    n = recv(c->fd, t->bounce + c->ncarry, WEFT_MIN(left, t->bounce_bytes - c->ncarry),
             MSG_DONTWAIT);
    if (n <= 0) {
        if (n < 0 && would_block())
            return 0;
        weft__sock_peer_lost(t, peer, n);
        return -1;
    }
    size_t have = c->ncarry + (size_t)n, consumed_before = p->data_done - c->ncarry;
    size_t usable = (size_t)n == left ? have : have - have % req->align;
    if (usable > 0)
        req->consume(req, p->off + consumed_before, t->bounce, usable);
    c->ncarry = have - usable;
    memcpy(c->carry, t->bounce + usable, c->ncarry);
    return n;
}

static int recv_conn(sock_t *t, int peer, sock_conn_t *c)
{
    int moved = 0;
    if (c->notice_in != NULL)
        return weft__sock_notice_read(t, peer, c);
    while (c->recvq != NULL) {
        sock_piece_t *p = c->recvq;
        if (p->hdr_done < SOCK_PIECE_HDR) {
            ssize_t n = recv(c->fd, p->hdr + p->hdr_done, SOCK_PIECE_HDR - p->hdr_done,
                             MSG_DONTWAIT);
            if (n <= 0) {
                if (n < 0 && would_block())
                    break;
                weft__sock_peer_lost(t, peer, n);
                return -1;
            }
            moved = 1;
            p->hdr_done += (size_t)n;
            if (p->hdr_done < SOCK_PIECE_HDR)
                break;
            /* The peer failed and says why (socket.h): no data follows. */
            if (weft__sock_is_notice_hdr(p->hdr))
                return weft__sock_notice_begin(t, peer, c, p->hdr);
            weft_status_t st = weft__sock_check_piece_hdr(t, peer, p);
            if (st != WEFT_OK) {
                weft__sock_fail_peer(t, peer, st);
                return -1;
            }
        }
        while (p->data_done < p->len) {
            ssize_t n = recv_data(t, peer, c, p);
            if (n < 0)
                return -1;
            if (n == 0)
                return moved;
            moved = 1;
            p->data_done += (size_t)n;
        }
        piece_finished(t, piece_dequeue(&c->recvq, &c->recvq_tail), WEFT_OK, 0);
    }
    return moved;
}

static weft_status_t sock_progress(weft_transport_t *tp, int *progressed_p)
{
    sock_t *t = (sock_t *)tp;
    int moved = 0;
    /* The listener is looked at every round while hellos are half read,
     * every 16th while lower ranks may still connect (some never will: an
     * algorithm need not talk to every peer), and every 4096th after that,
     * to refuse and log strangers.  An accept() is a system call. */
    uint32_t every = t->pending != NULL ? 1 : t->awaiting > 0 ? 16 : 4096;
    if (t->listen_fd >= 0 && ++t->rounds % every == 0)
        moved |= weft__sock_accept_progress(t);
    for (int p = 0; p < t->nranks; p++) {
        sock_peer_t *pe = &t->peers[p];
        for (int i = 0; i < t->nconns && pe->nconn_ready > 0; i++) {
            sock_conn_t *c = &pe->conn[i];
            if (c->fd < 0)
                continue;
            int m = c->sendq != NULL ? send_conn(t, p, c) : 0;
            if (m >= 0 && c->recvq != NULL)
                m |= recv_conn(t, p, c);
            moved |= m != 0;
        }
    }
    *progressed_p = moved;
    return WEFT_OK;
}

/* POLLIN where a piece is awaited, POLLOUT where one waits to go, and the
 * listener while peers may still connect or owe a hello.  When there are
 * more than max, -1: the caller then looks rather than sleeps. */
static int sock_wait_fds(weft_transport_t *tp, struct pollfd *fds, int max)
{
    sock_t *t = (sock_t *)tp;
    int n = 0;
    if (t->listen_fd >= 0 && (t->pending != NULL || t->awaiting > 0)) {
        if (n == max)
            return -1;
        fds[n++] = (struct pollfd){t->listen_fd, POLLIN, 0};
    }
    for (sock_pending_t *h = t->pending; h != NULL; h = h->next) {
        if (n == max)
            return -1;
        fds[n++] = (struct pollfd){h->fd, POLLIN, 0};
    }
    for (int p = 0; p < t->nranks; p++) {
        const sock_peer_t *pe = &t->peers[p];
        for (int i = 0; i < t->nconns && pe->nconn_ready > 0; i++) {
            const sock_conn_t *c = &pe->conn[i];
            short events = (short)((c->recvq != NULL ? POLLIN : 0) |
                                   (c->sendq != NULL ? POLLOUT : 0));
            if (c->fd < 0 || events == 0)
                continue;
            if (n == max)
                return -1;
            fds[n++] = (struct pollfd){c->fd, events, 0};
        }
    }
    return n;
}

/* Cuts message m of `bytes` into pieces: whole on connection m % K when
 * small, else K near-equal pieces (multiples of 64 bytes, so that element
 * boundaries line up) on connections (m + j) % K. */
static int plan(const sock_t *t, uint64_t m, size_t bytes, size_t off[], size_t len[], int conn[])
{
    int k = t->nconns;
    if (bytes == 0 || bytes < t->min_stripe || k == 1) {
        off[0] = 0;
        len[0] = bytes;
        conn[0] = (int)(m % (uint64_t)k);
        return 1;
    }
    size_t chunk = WEFT_ALIGN_UP(WEFT_DIV_UP(bytes, (size_t)k), 64);
    int n = 0;
    for (size_t o = 0; o < bytes; o += chunk, n++) {
        off[n] = o;
        len[n] = WEFT_MIN(chunk, bytes - o);
        conn[n] = (int)((m + (uint64_t)n) % (uint64_t)k);
    }
    return n;
}

static weft_status_t post(sock_t *t, int peer, weft_treq_t *req, int is_send)
{
    sock_peer_t *pe = &t->peers[peer];
    if (pe->broken)
        return weft__error(WEFT_ERR_REMOTE, "rank %d: the connection to rank %d failed earlier",
                           t->rank, peer);
    if (!pe->connected && t->rank < peer) {
        weft_status_t st = weft__sock_connect_peer(t, peer);
        if (st != WEFT_OK)
            return st;
    }
    size_t off[SOCK_MAX_CONNS], len[SOCK_MAX_CONNS];
    int conn[SOCK_MAX_CONNS];
    uint64_t m = is_send ? pe->msgs_sent++ : pe->msgs_recv++;
    int n = plan(t, m, req->bytes, off, len, conn);
    req->status = WEFT_OK;
    req->priv[0] = (uint64_t)n;
    for (int i = 0; i < n; i++) {
        sock_piece_t *p = piece_get(t);
        if (p == NULL)
            return weft__error(WEFT_ERR_NO_MEMORY, "socket transport: a message piece");
        p->req = req;
        p->off = off[i];
        p->len = len[i];
        p->msg = m;
        sock_conn_t *c = &pe->conn[conn[i]];
        if (is_send) {
            pack_piece_hdr(p->hdr, len[i], req->bytes, off[i], m);
            pack_piece_sig(p->hdr, req->sig);
            piece_enqueue(&c->sendq, &c->sendq_tail, p);
        } else {
            piece_enqueue(&c->recvq, &c->recvq_tail, p);
        }
    }
    return WEFT_OK;
}

static weft_status_t sock_isend(weft_transport_t *tp, int peer, weft_treq_t *req)
{
    return post((sock_t *)tp, peer, req, 1);
}

static weft_status_t sock_irecv(weft_transport_t *tp, int peer, weft_treq_t *req)
{
    return post((sock_t *)tp, peer, req, 0);
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
    .isend = sock_isend,
    .irecv = sock_irecv,
    .progress = sock_progress,
    .wait_fds = sock_wait_fds,
    .cancel_all = sock_cancel_all,
    .shutdown = sock_shutdown,
    .counters = sock_counters,
    .announce = sock_announce,
    .peer_announced = sock_peer_announced,
    .destroy = sock_destroy,
};
