/*
 * socket_progress.c - the TCP transport's send and receive paths and its
 * progress: non-blocking writes and reads of queued pieces (socket.h).
 *
 * A connection is written while pieces wait to go, until its socket buffer
 * is full, and read only while a piece is posted on it.  A receive with a
 * consume function (RECV_REDUCE) reads into a bounce buffer and hands
 * whole elements to consume as they arrive, keeping the bytes of a split
 * element for the next read; a plain receive reads straight into its
 * destination.  A failure frame read where a piece header was expected
 * goes to socket_notice.c.
 */
#include "transport/socket/socket.h"
#include "util/compiler.h"
#include "util/log.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>


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
        weft__sock_piece_finished(t, weft__sock_piece_dequeue(&c->sendq, &c->sendq_tail), WEFT_OK,
                                  1);
    }
    return moved;
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
        weft__sock_piece_finished(t, weft__sock_piece_dequeue(&c->recvq, &c->recvq_tail), WEFT_OK,
                                  0);
    }
    return moved;
}

weft_status_t weft__sock_progress(weft_transport_t *tp, int *progressed_p)
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
int weft__sock_wait_fds(weft_transport_t *tp, struct pollfd *fds, int max)
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
