/*
 * coll.c - allgather, broadcast and barrier over the bootstrap's star
 * (protocol in proto.h).
 *
 * Rank 0 is the hub: it gathers from every other rank, then sends the
 * result back to each.  Setup data is a few kilobytes, so the 2(n-1)
 * messages through one hub cost less than the latency of a smarter
 * schedule's extra rounds, and ordering is easy to check: every message
 * carries the collective's sequence number, kind, root and size, compared
 * with the receiver's own call before the data is read.
 *
 * Failure is sticky and spreads: when any transfer fails (a peer closed,
 * the deadline passed, the calls do not match), this rank shuts its star
 * connections down, so that each peer's pending or next transfer fails at
 * once with WEFT_ERR_REMOTE instead of waiting for its own deadline, and
 * every later collective on this bootstrap fails too.
 */
#include "bootstrap/proto.h"
#include "util/log.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

enum { COLL_ALLGATHER = 1, COLL_BCAST = 2, COLL_BARRIER = 3 };

typedef struct {
    uint32_t seq, kind, root;
    uint64_t bytes;
} coll_t;

static const char *kind_name(uint32_t kind)
{
    switch (kind) {
    case COLL_ALLGATHER:
        return "allgather";
    case COLL_BCAST:
        return "bcast";
    case COLL_BARRIER:
        return "barrier";
    }
    return "an unknown collective";
}

static weft_status_t coll_fail(weft_bootstrap_t *bs, weft_status_t st)
{
    if (bs->failed == WEFT_OK)
        bs->failed = st;
    if (bs->hub_fd >= 0)
        shutdown(bs->hub_fd, SHUT_RDWR);
    for (int r = 1; bs->peer_fds != NULL && r < bs->nranks; r++)
        shutdown(bs->peer_fds[r], SHUT_RDWR);
    return st;
}

/* Restates the lower layer's error with the collective and the peer rank. */
static weft_status_t coll_blame(weft_bootstrap_t *bs, weft_status_t st, const coll_t *c, int peer)
{
    char lower[512];
    snprintf(lower, sizeof(lower), "%s", weft_last_error());
    weft__error(st, "bootstrap %s #%u on rank %d/%d, with rank %d: %s", kind_name(c->kind), c->seq,
                bs->rank, bs->nranks, peer, lower);
    return coll_fail(bs, st);
}

static weft_status_t coll_send(weft_bootstrap_t *bs, int fd, int peer, const coll_t *c,
                               const void *data, uint64_t deadline_ns)
{
    uint8_t msg[WEFT_WIRE_HDR_BYTES + WEFT_COLL_HDR_BYTES + 1024];
    weft__wire_hdr_t hdr = {WEFT_WIRE_MAGIC, WEFT_WIRE_VERSION, WEFT_MSG_COLL,
                            (uint32_t)(WEFT_COLL_HDR_BYTES + c->bytes), 0};
    weft__wire_hdr_pack(&hdr, msg);
    uint8_t *ch = msg + WEFT_WIRE_HDR_BYTES;
    memset(ch, 0, WEFT_COLL_HDR_BYTES);
    weft__put_le32(ch, c->seq);
    weft__put_le32(ch + 4, c->kind);
    weft__put_le32(ch + 8, c->root);
    weft__put_le64(ch + 16, c->bytes);
    size_t head = WEFT_WIRE_HDR_BYTES + WEFT_COLL_HDR_BYTES;
    int one_piece = c->bytes <= sizeof(msg) - head;
    if (one_piece && c->bytes > 0)
        memcpy(msg + head, data, c->bytes);
    weft_status_t st = weft__net_send_all(fd, msg, one_piece ? head + c->bytes : head, deadline_ns);
    if (st == WEFT_OK && !one_piece)
        st = weft__net_send_all(fd, data, c->bytes, deadline_ns);
    return st == WEFT_OK ? st : coll_blame(bs, st, c, peer);
}

static weft_status_t coll_recv(weft_bootstrap_t *bs, int fd, int peer, const coll_t *want,
                               void *data, uint64_t deadline_ns)
{
    weft__wire_hdr_t hdr;
    uint8_t ch[WEFT_COLL_HDR_BYTES];
    /* Any length passes here, so that a mismatched call is reported as one
     * (both signatures, below) rather than as a bad length; nothing is sized
     * by it: the data read is want->bytes, and only once it equals
     * got.bytes and the length agrees. */
    weft_status_t st = weft__net_recv_hdr(fd, WEFT_MSG_COLL, UINT32_MAX, &hdr, deadline_ns);
    if (st == WEFT_OK && hdr.length < WEFT_COLL_HDR_BYTES)
        st = weft__error(WEFT_ERR_REMOTE, "a collective message of %u bytes", hdr.length);
    if (st == WEFT_OK)
        st = weft__net_recv_all(fd, ch, sizeof(ch), deadline_ns);
    if (st != WEFT_OK)
        return coll_blame(bs, st, want, peer);
    coll_t got = {weft__get_le32(ch), weft__get_le32(ch + 4), weft__get_le32(ch + 8),
                  weft__get_le64(ch + 16)};
    if (got.seq != want->seq || got.kind != want->kind || got.root != want->root ||
        got.bytes != want->bytes || hdr.length != WEFT_COLL_HDR_BYTES + got.bytes) {
        weft__error(WEFT_ERR_INVALID_USAGE,
                    "bootstrap collectives do not match: rank %d is at call #%u, %s (root %u, "
                    "%" PRIu64 " bytes); rank %d at call #%u, %s (root %u, %" PRIu64 " bytes)",
                    peer, got.seq, kind_name(got.kind), got.root, got.bytes, bs->rank, want->seq,
                    kind_name(want->kind), want->root, want->bytes);
        return coll_fail(bs, WEFT_ERR_INVALID_USAGE);
    }
    st = weft__net_recv_all(fd, data, want->bytes, deadline_ns);
    return st == WEFT_OK ? st : coll_blame(bs, st, want, peer);
}

static weft_status_t coll_begin(weft_bootstrap_t *bs, uint32_t kind, int root, size_t bytes,
                                coll_t *c)
{
    if (bs == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "bootstrap is NULL");
    if (bs->failed != WEFT_OK)
        return weft__error(bs->failed,
                           "bootstrap %s on rank %d: an earlier bootstrap "
                           "collective failed (%s)",
                           kind_name(kind), bs->rank, weft_status_string(bs->failed));
    if (root < 0 || root >= bs->nranks)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "bootstrap %s: root %d is out of range "
                           "0..%d",
                           kind_name(kind), root, bs->nranks - 1);
    if (bytes > UINT32_MAX - WEFT_COLL_HDR_BYTES)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "bootstrap %s: %zu bytes is too many",
                           kind_name(kind), bytes);
    *c = (coll_t){++bs->seq, kind, (uint32_t)root, bytes};
    return WEFT_OK;
}

/* Gather to the hub and send back: allgather and barrier (no bytes). */
static weft_status_t gather_release(weft_bootstrap_t *bs, uint32_t kind, const void *mine,
                                    void *all, size_t per_rank, uint64_t deadline_ns)
{
    coll_t c, back;
    if (bs != NULL && per_rank > SIZE_MAX / (size_t)bs->nranks)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "bootstrap allgather: %zu bytes per rank "
                           "is too many",
                           per_rank);
    size_t total = bs != NULL ? per_rank * (size_t)bs->nranks : 0;
    weft_status_t st = coll_begin(bs, kind, 0, total, &c);
    if (st != WEFT_OK)
        return st;
    back = c;
    c.bytes = per_rank;
    uint8_t *out = all;
    if (bs->rank == 0 && per_rank > 0)
        memmove(out, mine, per_rank);
    if (bs->nranks == 1)
        return WEFT_OK;
    if (bs->rank != 0) {
        st = coll_send(bs, bs->hub_fd, 0, &c, mine, deadline_ns);
        return st == WEFT_OK ? coll_recv(bs, bs->hub_fd, 0, &back, all, deadline_ns) : st;
    }
    for (int r = 1; r < bs->nranks && st == WEFT_OK; r++)
        st = coll_recv(bs, bs->peer_fds[r], r, &c, per_rank ? out + (size_t)r * per_rank : NULL,
                       deadline_ns);
    for (int r = 1; r < bs->nranks && st == WEFT_OK; r++)
        st = coll_send(bs, bs->peer_fds[r], r, &back, all, deadline_ns);
    return st;
}

weft_status_t weft__bootstrap_allgather(weft_bootstrap_t *bs, const void *mine, void *all,
                                        size_t bytes_per_rank, uint64_t deadline_ns)
{
    if (bytes_per_rank > 0 && (mine == NULL || all == NULL))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "bootstrap allgather: %s is NULL",
                           mine == NULL ? "mine" : "all");
    return gather_release(bs, COLL_ALLGATHER, mine, all, bytes_per_rank, deadline_ns);
}

weft_status_t weft__bootstrap_barrier(weft_bootstrap_t *bs, uint64_t deadline_ns)
{
    return gather_release(bs, COLL_BARRIER, NULL, NULL, 0, deadline_ns);
}

weft_status_t weft__bootstrap_bcast(weft_bootstrap_t *bs, void *buf, size_t bytes, int root,
                                    uint64_t deadline_ns)
{
    if (bytes > 0 && buf == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "bootstrap bcast: buf is NULL");
    coll_t c;
    weft_status_t st = coll_begin(bs, COLL_BCAST, root, bytes, &c);
    if (st != WEFT_OK || bs->nranks == 1)
        return st;
    if (bs->rank != 0) {
        return bs->rank == root ? coll_send(bs, bs->hub_fd, 0, &c, buf, deadline_ns)
                                : coll_recv(bs, bs->hub_fd, 0, &c, buf, deadline_ns);
    }
    if (root != 0)
        st = coll_recv(bs, bs->peer_fds[root], root, &c, buf, deadline_ns);
    for (int r = 1; r < bs->nranks && st == WEFT_OK; r++) {
        if (r != root)
            st = coll_send(bs, bs->peer_fds[r], r, &c, buf, deadline_ns);
    }
    return st;
}
