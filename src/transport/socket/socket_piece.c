/*
 * socket_piece.c - message pieces: their free list and queues, their
 * header, and posting a message as pieces on a peer's connections
 * (the wire format is in socket.h).
 *
 * A message is numbered in its peer stream and cut into one piece, or K
 * on K connections when large; each piece is queued on its connection and
 * the request completes with its last piece.  A received header is checked
 * against the piece posted before any data is read.
 */
#include "transport/socket/socket.h"
#include "util/compiler.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

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

sock_piece_t *weft__sock_piece_dequeue(sock_piece_t **head, sock_piece_t **tail)
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
void weft__sock_piece_finished(sock_t *t, sock_piece_t *p, weft_status_t st, int is_send)
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

weft_status_t weft__sock_isend(weft_transport_t *tp, int peer, weft_treq_t *req)
{
    return post((sock_t *)tp, peer, req, 1);
}

weft_status_t weft__sock_irecv(weft_transport_t *tp, int peer, weft_treq_t *req)
{
    return post((sock_t *)tp, peer, req, 0);
}
