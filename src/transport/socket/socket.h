/*
 * socket.h - the TCP transport's internals.
 *
 * Each pair of ranks on different nodes shares WEFT_SOCKET_NSOCKS TCP
 * connections, opened on first use: the lower rank connects to the higher
 * rank's listener and presents a hello (the communicator's secret, its
 * rank and the connection's index); the higher rank accepts in its progress
 * loop and refuses anything that fails the header or the secret.
 *
 * Messages to a peer are numbered in posting order (m = 0, 1, ...), the
 * same count on both sides.  A message smaller than
 * WEFT_SOCKET_MIN_STRIPE_BYTES travels whole on connection m % K; a larger
 * one is cut into K pieces, piece j on connection (m + j) % K, so that all
 * connections carry data at once.  Each piece is a 64-byte header
 *
 *   magic u32 | version u16 | type u16 | len u64 | msg_bytes u64 | off u64 | m u64
 *   | signature: seq u64 | count u64 | coll u8 | dtype u8 | op u8 | flags u8 | root i32
 *
 * then len bytes.  The receiver checks the header against the piece it
 * expects before reading any data: a signature (transport.h) that differs
 * from its own call's, or a size that does, means the ranks disagree on a
 * collective (or their message streams are out of step) and fails the
 * receive without writing anything.
 * A receiver reads a connection only while a piece is posted on it, so TCP
 * flow control, not memory, holds back early senders.
 *
 * A rank that fails tells its peers why (transport.h) with a failure frame
 * on each connection, then shuts them all down.  The frame takes the place
 * of a piece, so a receiver reads it where it expects a piece header:
 *
 *   magic u32 | version u16 | type u16 (SOCK_MSG_FAIL) | len u64
 *   | kind u32 | status i32 | origin u32 | 36 zero bytes
 *
 * then len bytes of the origin's message (no NUL, len below
 * WEFT_NOTICE_REASON_BYTES).  It is sent only where the stream is at a
 * frame boundary (no piece half written), with one non-blocking send; a
 * connection in the middle of a piece, or whose frame did not fit in the
 * socket buffer, just closes, and the peer reads a plain end of stream
 * (WEFT_ERR_REMOTE, "closed its connection") as before notices existed.
 * Wire version 3 added the frame.
 */
#ifndef WEFT_TRANSPORT_SOCKET_H
#define WEFT_TRANSPORT_SOCKET_H

#include "bootstrap/net.h"
#include "transport/transport.h"

#include <sys/socket.h>

#define SOCK_MSG_HELLO (WEFT_MSG_SOCKET_FIRST + 0)
#define SOCK_MSG_DATA (WEFT_MSG_SOCKET_FIRST + 1)
#define SOCK_MSG_FAIL (WEFT_MSG_SOCKET_FIRST + 2)
#define SOCK_HELLO_BODY (WEFT_SECRET_BYTES + 16)
#define SOCK_PIECE_HDR 64 /* 40 + the signature, WEFT_WIRE_SIG_BYTES */
#define SOCK_MAX_CONNS 16
#define SOCK_MAX_PENDING 64 /* accepted connections that owe a hello */

typedef struct sock_piece sock_piece_t;
struct sock_piece {
    weft_treq_t *req;
    size_t off, len;
    uint64_t msg; /* the message's number in the peer stream */
    size_t hdr_done, data_done;
    uint8_t hdr[SOCK_PIECE_HDR];
    sock_piece_t *next;
};

typedef struct {
    int fd;
    sock_piece_t *sendq, *sendq_tail;
    sock_piece_t *recvq, *recvq_tail;
    uint8_t carry[16]; /* received bytes short of a whole element */
    size_t ncarry;
    int send_mid; /* a piece is partly written: no failure frame may follow */
    /* A failure frame being read (its header arrived): malloc'd until done. */
    weft_fail_notice_t *notice_in;
    uint32_t notice_len, notice_got;
} sock_conn_t;

typedef struct {
    sock_conn_t conn[SOCK_MAX_CONNS];
    int nconn_ready;
    int connected; /* all connections up (or, for the acceptor, accepted) */
    uint64_t msgs_sent, msgs_recv;
    struct sockaddr_storage addr;
    int broken;
    weft_fail_notice_t *notice; /* the peer's, once its failure frame arrived */
} sock_peer_t;

/* An accepted connection whose hello has not fully arrived. */
typedef struct sock_pending sock_pending_t;
struct sock_pending {
    int fd;
    uint8_t buf[WEFT_WIRE_HDR_BYTES + SOCK_HELLO_BODY];
    size_t got;
    uint64_t deadline_ns;
    sock_pending_t *next;
};

typedef struct {
    weft_transport_t base;
    int rank, nranks, nconns;
    uint8_t secret[WEFT_SECRET_BYTES];
    uint64_t min_stripe;
    int listen_fd;
    sock_peer_t *peers;
    sock_pending_t *pending;
    int npending;
    sock_piece_t *free_pieces;
    uint8_t *bounce;
    size_t bounce_bytes;
    weft_tcounters_t counters;
    int awaiting;    /* served lower ranks whose connections are not all in */
    uint32_t rounds; /* progress calls, to pace looks at the listener */
    int told;        /* this rank's failure frames are sent: never twice */
} sock_t;

/* socket_conn.c */
weft_status_t weft__sock_setup(sock_t *t, const weft_tctx_t *ctx);
weft_status_t weft__sock_connect_peer(sock_t *t, int peer);
int weft__sock_accept_progress(sock_t *t);
void weft__sock_fail_peer(sock_t *t, int peer, weft_status_t st);
void weft__sock_close_all(sock_t *t);
/* Judges a connection's whole hello (header, secret, then rank, nranks and
 * connection index against this rank's): 0 and the peer's rank and index,
 * or -1 with the reason in why.  No logging, no error state. */
int weft__sock_hello_check(const uint8_t buf[WEFT_WIRE_HDR_BYTES + SOCK_HELLO_BODY],
                           const uint8_t *secret, int rank, int nranks, int nconns,
                           uint32_t *peer_p, uint32_t *index_p, char *why, size_t why_len);

/* socket_notice.c: failure frames */
/* Sends this rank's notice on every connection at a frame boundary. */
void weft__sock_tell(sock_t *t, const weft_fail_notice_t *why);
/* 1 if a received 64-byte header is a failure frame's (magic, version, type). */
int weft__sock_is_notice_hdr(const uint8_t hdr[SOCK_PIECE_HDR]);
/* Checks a failure frame's header (nothing else read yet) from a peer of
 * an nranks communicator: 0 with kind, status and origin in *n_p (reason
 * empty) and the reason's length in *len_p, or -1 with the reason in why.
 * Pure, for the fuzzer. */
int weft__sock_notice_hdr_check(const uint8_t hdr[SOCK_PIECE_HDR], int nranks,
                                weft_fail_notice_t *n_p, uint32_t *len_p, char *why,
                                size_t why_len);
/* On connection c of peer, whose failure frame's header was just read:
 * starts reading its reason (a bad header fails the peer). */
int weft__sock_notice_begin(sock_t *t, int peer, sock_conn_t *c, const uint8_t *hdr);
/* Reads more of the reason; once whole, fails the peer with the notice.
 * Returns 1 if bytes came, 0 if none yet, -1 once the peer is failed. */
int weft__sock_notice_read(sock_t *t, int peer, sock_conn_t *c);
void weft__sock_notice_free(sock_t *t);
/* A connection to peer ended (n: what recv or send returned, errno as it
 * left it): fails the peer with the failure frame it sent ahead of the
 * end, read from what is left of its connections, or else with a plain
 * "closed its connection" (WEFT_ERR_REMOTE). */
void weft__sock_peer_lost(sock_t *t, int peer, ssize_t n);

/* socket.c */
void weft__sock_fail_peer_notice(sock_t *t, int peer, weft_status_t st,
                                 const weft_fail_notice_t *notice);
weft_status_t weft__sock_closed_error(sock_t *t, int peer, ssize_t n);

/* socket_piece.c: pieces, their header, and posting */
sock_piece_t *weft__sock_piece_dequeue(sock_piece_t **head, sock_piece_t **tail);
/* A piece is done: the request completes with its last piece. */
void weft__sock_piece_finished(sock_t *t, sock_piece_t *p, weft_status_t st, int is_send);
weft_status_t weft__sock_isend(weft_transport_t *tp, int peer, weft_treq_t *req);
weft_status_t weft__sock_irecv(weft_transport_t *tp, int peer, weft_treq_t *req);
/* Checks piece p's received header against the piece posted: the shared
 * prefix (magic, version, type), then message number, sizes and offset.
 * Non-static for the fuzzer. */
weft_status_t weft__sock_check_piece_hdr(sock_t *t, int peer, const sock_piece_t *p);

/* socket_progress.c: the send and receive paths */
weft_status_t weft__sock_progress(weft_transport_t *tp, int *progressed_p);
int weft__sock_wait_fds(weft_transport_t *tp, struct pollfd *fds, int max);

#endif
