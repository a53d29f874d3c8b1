/*
 * socket_notice.c - the socket transport's failure frames (layout in
 * socket.h): telling the peers why this rank failed, and reading what a
 * failed peer said.
 *
 * Telling costs nothing until a rank fails: the sender only remembers, per
 * connection, whether a piece is half written (then a frame there would
 * land inside the piece's bytes, so that connection just closes).  The
 * frame goes out in one non-blocking send right before the shutdown; the
 * kernel delivers it ahead of the end of stream.
 *
 * A receiver meets the frame where it expects a piece header, so it reads
 * it only while it waits for that peer -- which is exactly when it needs
 * to know.  The header is checked before the reason is read (its length is
 * bounded), and the notice is checked again as a whole
 * (weft__notice_sanitize) before anyone uses it.
 */
#include "transport/socket/socket.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define NOTICE_MAX_LEN (WEFT_NOTICE_REASON_BYTES - 1)
#define NOTICE_RESERVED_AT 28 /* header bytes 28..63 are zero */

static uint32_t pack_notice(uint8_t *out, const weft_fail_notice_t *n)
{
    uint32_t len = (uint32_t)strnlen(n->reason, NOTICE_MAX_LEN);
    memset(out, 0, SOCK_PIECE_HDR);
    weft__put_le32(out, WEFT_WIRE_MAGIC);
    weft__put_le16(out + 4, WEFT_WIRE_VERSION);
    weft__put_le16(out + 6, SOCK_MSG_FAIL);
    weft__put_le64(out + 8, len);
    weft__put_le32(out + 16, (uint32_t)n->kind);
    weft__put_le32(out + 20, (uint32_t)n->status);
    weft__put_le32(out + 24, (uint32_t)n->origin);
    memcpy(out + SOCK_PIECE_HDR, n->reason, len);
    return SOCK_PIECE_HDR + len;
}

void weft__sock_tell(sock_t *t, const weft_fail_notice_t *why)
{
    uint8_t frame[SOCK_PIECE_HDR + NOTICE_MAX_LEN];
    uint32_t bytes = pack_notice(frame, why);
    for (int p = 0; p < t->nranks; p++) {
        for (int i = 0; i < t->nconns; i++) {
            const sock_conn_t *c = &t->peers[p].conn[i];
            if (c->fd < 0 || c->send_mid)
                continue;
            /* Best effort: a peer that is gone, or a full socket buffer
             * (the frame is then cut, which the peer reads as a close),
             * must not hold up a rank that is failing. */
            if (send(c->fd, frame, bytes, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                WEFT_INFO("rank %d: no failure frame to rank %d: %s", t->rank, p,
                          strerror(errno));
        }
    }
}

int weft__sock_is_notice_hdr(const uint8_t hdr[SOCK_PIECE_HDR])
{
    /* Only the type here: the whole header is checked once it is chosen. */
    return weft__get_le16(hdr + 6) == SOCK_MSG_FAIL;
}

int weft__sock_notice_hdr_check(const uint8_t hdr[SOCK_PIECE_HDR], int nranks,
                                weft_fail_notice_t *n_p, uint32_t *len_p, char *why,
                                size_t why_len)
{
    char pwhy[200];
    if (weft__wire_prefix_check(hdr, SOCK_MSG_FAIL, pwhy, sizeof(pwhy)) != WEFT_OK) {
        snprintf(why, why_len, "%s", pwhy);
        return -1;
    }
    uint64_t len = weft__get_le64(hdr + 8);
    if (len > NOTICE_MAX_LEN) {
        snprintf(why, why_len, "a reason of %llu bytes (at most %d)", (unsigned long long)len,
                 NOTICE_MAX_LEN);
        return -1;
    }
    for (int i = NOTICE_RESERVED_AT; i < SOCK_PIECE_HDR; i++) {
        if (hdr[i] != 0) {
            snprintf(why, why_len, "byte %d of its header is not zero", i);
            return -1;
        }
    }
    memset(n_p, 0, sizeof(*n_p));
    n_p->kind = (int32_t)weft__get_le32(hdr + 16);
    n_p->status = (int32_t)weft__get_le32(hdr + 20);
    n_p->origin = (int32_t)weft__get_le32(hdr + 24);
    /* The reason is empty for now: this checks kind, status and origin. */
    if (weft__notice_sanitize(n_p, nranks) != 0) {
        snprintf(why, why_len, "kind %d, status %d, origin %d: not a notice of %d ranks",
                 n_p->kind, n_p->status, n_p->origin, nranks);
        return -1;
    }
    *len_p = (uint32_t)len;
    return 0;
}

/* The frame is unusable: the peer failed all the same. */
static int fail_malformed(sock_t *t, int peer, const char *why)
{
    weft__sock_fail_peer(t, peer, weft__error(WEFT_ERR_REMOTE, "rank %d: rank %d failed and "
                                              "sent a failure frame that does not pass the "
                                              "checks: %s", t->rank, peer, why));
    return -1;
}

int weft__sock_notice_begin(sock_t *t, int peer, sock_conn_t *c, const uint8_t *hdr)
{
    char why[256];
    uint32_t len = 0;
    weft_fail_notice_t *n = malloc(sizeof(*n));
    if (n == NULL)
        return fail_malformed(t, peer, "no memory to read it");
    if (weft__sock_notice_hdr_check(hdr, t->nranks, n, &len, why, sizeof(why)) != 0) {
        free(n);
        return fail_malformed(t, peer, why);
    }
    c->notice_in = n;
    c->notice_len = len;
    c->notice_got = 0;
    /* The header's bytes came in any case. */
    return weft__sock_notice_read(t, peer, c) < 0 ? -1 : 1;
}

int weft__sock_notice_read(sock_t *t, int peer, sock_conn_t *c)
{
    weft_fail_notice_t *n = c->notice_in;
    int moved = 0;
    while (c->notice_got < c->notice_len) {
        ssize_t r = recv(c->fd, n->reason + c->notice_got, c->notice_len - c->notice_got,
                         MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return moved;
        if (r <= 0) {
            /* Cut short: as if the peer closed without a frame here. */
            c->notice_in = NULL;
            free(n);
            weft__sock_peer_lost(t, peer, r);
            return -1;
        }
        c->notice_got += (uint32_t)r;
        moved = 1;
    }
    c->notice_in = NULL;
    n->reason[c->notice_len] = '\0';
    /* Kind, status and origin passed with the header: this cleans the text. */
    (void)weft__notice_sanitize(n, t->nranks);
    sock_peer_t *pe = &t->peers[peer];
    if (pe->notice == NULL)
        pe->notice = n;
    else
        free(n); /* the first one stays: requests may point at it */
    weft__sock_fail_peer_notice(t, peer, weft__notice_status(pe->notice), pe->notice);
    return -1;
}

/* --- after a connection ended ------------------------------------------ */

/* Reads exactly len more bytes of fd into buf (NULL: discards them through
 * the bounce buffer) without waiting: 0, or -1 if the stream ends or has
 * nothing more for now. */
static int drain(sock_t *t, int fd, uint8_t *buf, uint64_t len)
{
    while (len > 0) {
        size_t want = buf != NULL ? len : WEFT_MIN(len, t->bounce_bytes);
        ssize_t r = recv(fd, buf != NULL ? (void *)buf : (void *)t->bounce, want, MSG_DONTWAIT);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        buf = buf != NULL ? buf + r : NULL;
        len -= (uint64_t)r;
    }
    return 0;
}

/* The rest of the frame begun on c: a notice half read, the tail of the
 * posted piece's header, or of its data.  Returns the header bytes already
 * in hdr (0 unless a header is half read), -1 if the stream ended. */
static int finish_frame(sock_t *t, sock_conn_t *c, uint8_t *hdr, weft_fail_notice_t **n_p)
{
    const sock_piece_t *p = c->recvq;
    weft_fail_notice_t *n = c->notice_in;
    c->notice_in = NULL;
    if (n != NULL) {
        if (drain(t, c->fd, (uint8_t *)n->reason + c->notice_got,
                  c->notice_len - c->notice_got) != 0) {
            free(n);
            return -1;
        }
        n->reason[c->notice_len] = '\0';
        (void)weft__notice_sanitize(n, t->nranks);
        *n_p = n;
        return 0;
    }
    if (p != NULL && p->hdr_done < SOCK_PIECE_HDR) {
        memcpy(hdr, p->hdr, p->hdr_done);
        return (int)p->hdr_done;
    }
    return p != NULL && drain(t, c->fd, NULL, p->len - p->data_done) != 0 ? -1 : 0;
}

/* Reads what is left of connection c's stream, without waiting, for the
 * failure frame that may end it; the data pieces before it are skipped (no
 * receive will take them now).  The frame's notice (malloc'd), or NULL. */
static weft_fail_notice_t *salvage_conn(sock_t *t, sock_conn_t *c)
{
    uint8_t hdr[SOCK_PIECE_HDR];
    weft_fail_notice_t *n = NULL;
    int have = finish_frame(t, c, hdr, &n);
    if (n != NULL || have < 0)
        return n;
    for (;;) {
        char why[200];
        if (drain(t, c->fd, hdr + have, SOCK_PIECE_HDR - (size_t)have) != 0)
            return NULL;
        have = 0;
        if (weft__sock_is_notice_hdr(hdr))
            break;
        if (weft__wire_prefix_check(hdr, SOCK_MSG_DATA, why, sizeof(why)) != WEFT_OK ||
            drain(t, c->fd, NULL, weft__get_le64(hdr + 8)) != 0)
            return NULL;
    }
    char why[256];
    uint32_t len;
    n = malloc(sizeof(*n));
    if (n == NULL || weft__sock_notice_hdr_check(hdr, t->nranks, n, &len, why, sizeof(why)) != 0 ||
        drain(t, c->fd, (uint8_t *)n->reason, len) != 0) {
        free(n);
        return NULL;
    }
    n->reason[len] = '\0';
    (void)weft__notice_sanitize(n, t->nranks);
    return n;
}

void weft__sock_peer_lost(sock_t *t, int peer, ssize_t n)
{
    int err = errno;
    sock_peer_t *pe = &t->peers[peer];
    for (int i = 0; i < t->nconns && pe->notice == NULL; i++) {
        if (pe->conn[i].fd >= 0)
            pe->notice = salvage_conn(t, &pe->conn[i]);
    }
    if (pe->notice != NULL) {
        weft__sock_fail_peer_notice(t, peer, weft__notice_status(pe->notice), pe->notice);
        return;
    }
    errno = err;
    weft__sock_fail_peer(t, peer, weft__sock_closed_error(t, peer, n));
}

void weft__sock_notice_free(sock_t *t)
{
    for (int p = 0; t->peers != NULL && p < t->nranks; p++) {
        free(t->peers[p].notice);
        t->peers[p].notice = NULL;
        for (int i = 0; i < SOCK_MAX_CONNS; i++) {
            free(t->peers[p].conn[i].notice_in);
            t->peers[p].conn[i].notice_in = NULL;
        }
    }
}
