/*
 * fuzz_sock.c - the socket transport's parsers: the hello a connection
 * opens with (weft__sock_hello_check), the header of every data piece
 * (weft__sock_check_piece_hdr), checked against the piece the receiver
 * posted, and the end of a failed peer's stream: the data pieces and the
 * failure frame (socket.h) read after its connection ended
 * (weft__sock_peer_lost, which checks the frame with
 * weft__sock_notice_hdr_check).
 *
 * Input byte 0 picks the parser (modulo 3).  Hello: bytes 1..3 are this
 * rank's rank, nranks and connection count, the rest the hello.  Piece:
 * the posted piece's message number, size, offset and length come from the
 * input too, then the header as received.  End: byte 1 is the
 * communicator's size, the rest what the peer sent before its end of
 * stream.  Invariants: a hello is admitted only from a lower rank of the
 * same size on a valid connection index with the right secret; a piece
 * header is accepted only if it is current-version data and names exactly
 * the posted piece -- nothing in it can resize a receive; a failure notice
 * is used only if its kind is known, its origin a rank, its status an
 * error and its reason a terminated printable string of bounded length.
 */
#include "fuzz_util.h"
#include "transport/socket/socket.h"

#include <string.h>

static void fuzz_hello(const uint8_t *data, size_t size)
{
    if (size < 3 + WEFT_WIRE_HDR_BYTES + SOCK_HELLO_BODY)
        return;
    int nranks = 1 + data[1] % 16, rank = data[0] % nranks, nconns = 1 + data[2] % SOCK_MAX_CONNS;
    const uint8_t *buf = data + 3;
    uint32_t peer = 0xFFFFFFFFu, index = 0xFFFFFFFFu;
    char why[256] = "";
    if (weft__sock_hello_check(buf, fuzz_secret, rank, nranks, nconns, &peer, &index, why,
                               sizeof(why)) != 0) {
        FUZZ_CHECK(strlen(why) > 0);
        return;
    }
    FUZZ_CHECK(peer < (uint32_t)rank && index < (uint32_t)nconns);
    FUZZ_CHECK(memcmp(buf + WEFT_WIRE_HDR_BYTES, fuzz_secret, sizeof(fuzz_secret)) == 0);
}

static void fuzz_piece(const uint8_t *data, size_t size)
{
    if (size < 4 + SOCK_PIECE_HDR)
        return;
    weft_treq_t req;
    memset(&req, 0, sizeof(req));
    req.bytes = (size_t)weft__get_le16(data) * 8;
    sock_piece_t p;
    memset(&p, 0, sizeof(p));
    p.req = &req;
    p.msg = data[2];
    p.off = req.bytes > 0 ? data[3] % req.bytes : 0;
    p.len = req.bytes - p.off;
    memcpy(p.hdr, data + 4, SOCK_PIECE_HDR);
    sock_t t;
    memset(&t, 0, sizeof(t));
    t.rank = 1;
    t.nranks = 2;
    if (weft__sock_check_piece_hdr(&t, 0, &p) != WEFT_OK)
        return;
    const uint8_t *h = p.hdr;
    FUZZ_CHECK(weft__get_le32(h) == WEFT_WIRE_MAGIC && weft__get_le16(h + 4) == WEFT_WIRE_VERSION &&
               weft__get_le16(h + 6) == SOCK_MSG_DATA);
    FUZZ_CHECK(weft__get_le64(h + 8) == p.len && weft__get_le64(h + 16) == req.bytes &&
               weft__get_le64(h + 24) == p.off && weft__get_le64(h + 32) == p.msg);
}

/* Peer 0's one connection ended; what it sent before is the input. */
static void fuzz_end(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    int sv[2];
    if (fuzz_pair(data + 1, size - 1, sv) != 0)
        return;
    sock_peer_t peers[64];
    uint8_t bounce[100]; /* small: long pieces are skipped in many reads */
    sock_t t;
    memset(&t, 0, sizeof(t));
    memset(peers, 0, sizeof(peers));
    t.nranks = 2 + data[0] % 63;
    t.rank = 1;
    t.nconns = 1;
    t.listen_fd = -1;
    t.peers = peers;
    t.bounce = bounce;
    t.bounce_bytes = sizeof(bounce);
    for (int p = 0; p < t.nranks; p++) {
        for (int i = 0; i < SOCK_MAX_CONNS; i++)
            peers[p].conn[i].fd = -1;
    }
    peers[0].conn[0].fd = sv[0];
    weft__sock_peer_lost(&t, 0, 0);
    FUZZ_CHECK(peers[0].broken);
    const weft_fail_notice_t *n = peers[0].notice;
    if (n != NULL) {
        FUZZ_CHECK(n->kind >= WEFT_NOTICE_MISMATCH && n->kind <= WEFT_NOTICE_ABORT);
        FUZZ_CHECK(n->origin >= 0 && n->origin < t.nranks && n->status < 0);
        size_t len = strnlen(n->reason, sizeof(n->reason));
        FUZZ_CHECK(len < sizeof(n->reason));
        for (size_t i = 0; i < len; i++)
            FUZZ_CHECK((unsigned char)n->reason[i] >= 0x20 && n->reason[i] != 0x7f);
    }
    weft__sock_notice_free(&t);
    fuzz_pair_close(sv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0: fuzz_hello(data + 1, size - 1); break;
    case 1: fuzz_piece(data + 1, size - 1); break;
    default: fuzz_end(data + 1, size - 1); break;
    }
    return 0;
}
