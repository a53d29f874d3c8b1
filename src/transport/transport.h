/*
 * transport.h - the interface every transport implements.
 *
 * A transport moves the bytes of SEND and RECV steps between this rank and
 * some of its peers: shm for ranks of the same node, socket (TCP) for the
 * others.  The executor hands it requests; the transport completes them in
 * its progress function and calls req->complete.
 *
 * Ordering contract: the k-th send posted to a peer pairs with the k-th
 * receive that peer posts (completions may come in any order: the socket
 * transport stripes a message over several connections).  Every message carries its length;
 * a receive whose posted size differs from the message's fails with
 * WEFT_ERR_INVALID_USAGE (ranks disagree on a count) and writes nothing out
 * of bounds.
 *
 * Receives deliver data through req->consume when it is set: the transport
 * calls it with pieces (offset into the message, pointer, length) whose
 * offset and length are multiples of req->align except for the message's
 * tail, which lets RECV_REDUCE reduce straight out of a FIFO slot, a socket
 * bounce buffer or, within one process, the sender's own buffer.  With
 * consume NULL the data lands in req->buf.
 *
 * Every op is set (designated initialisers, no NULL entries); what a
 * transport cannot do returns WEFT_ERR_UNSUPPORTED.
 */
#ifndef WEFT_TRANSPORT_TRANSPORT_H
#define WEFT_TRANSPORT_TRANSPORT_H

#include "bootstrap/bootstrap.h"

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <weft.h>

typedef struct weft_treq weft_treq_t;

/* The signature of the call a message belongs to: every message carries
 * its sender's, and a receiver compares it with its own before it writes a
 * byte (core/sig.c builds and prints them).  Ranks that disagree on a
 * collective -- its kind, count, datatype, op, root, or which one it is
 * (seq) -- then fail with WEFT_ERR_INVALID_USAGE instead of exchanging
 * data that does not fit.  24 bytes, so that an 8-byte message and its
 * header still share one cache line in a shm slot. */
typedef struct {
    uint64_t seq;   /* the collective's number on the communicator */
    uint64_t count; /* the call's count, in elements */
    uint8_t coll, dtype, op, flags;
    int32_t root;
} weft_wire_sig_t;
#define WEFT_SIG_F_PRESENT 0x1 /* a signature was sent (WEFT_CHECK is not 0) */
#define WEFT_SIG_F_P2P 0x2     /* send/recv: only count and datatype must agree */
#define WEFT_WIRE_SIG_BYTES 24

/* 1 when a message signed `got` may be delivered to a receive signed
 * `mine` (either unsigned: nothing to compare). */
static inline int weft__sig_agree(const weft_wire_sig_t *mine, const weft_wire_sig_t *got)
{
    if (!(mine->flags & WEFT_SIG_F_PRESENT) || !(got->flags & WEFT_SIG_F_PRESENT))
        return 1;
    if ((mine->flags ^ got->flags) & WEFT_SIG_F_P2P)
        return 0;
    if (mine->flags & WEFT_SIG_F_P2P)
        return mine->count == got->count && mine->dtype == got->dtype;
    return mine->seq == got->seq && mine->count == got->count && mine->coll == got->coll &&
           mine->dtype == got->dtype && mine->op == got->op && mine->root == got->root;
}

/* Why a rank failed, as it tells its peers when it fails (fail_comm in
 * core/run.c, and abort): shm puts it in the rank's segment header before
 * it raises the `failed` flag, the socket transport sends it as a failure
 * frame (socket.h) before it shuts its connections down.  A peer that
 * learns of the failure returns, for a mismatch, WEFT_ERR_INVALID_USAGE
 * with the origin's text (both signatures), else WEFT_ERR_REMOTE with the
 * origin's text appended (weft__notice_error).  A rank that fails because
 * of a notice passes that notice on unchanged, so the origin -- the rank
 * that detected the problem -- and its words reach every rank, however
 * many hops away.  What comes from a peer is checked before it is used
 * (weft__notice_sanitize): the kind, the origin's range, a terminated and
 * printable reason. */
enum {
    WEFT_NOTICE_MISMATCH = 1, /* the origin found that the ranks disagree on a call */
    WEFT_NOTICE_ERROR = 2,    /* any other failure at the origin */
    WEFT_NOTICE_ABORT = 3     /* the origin's communicator was aborted or destroyed */
};
#define WEFT_NOTICE_REASON_BYTES 512 /* the origin's message, NUL included */
typedef struct {
    int32_t kind;   /* WEFT_NOTICE_* */
    int32_t status; /* the origin's weft_status_t */
    int32_t origin; /* the rank that detected the failure */
    int32_t reserved;
    char reason[WEFT_NOTICE_REASON_BYTES]; /* the origin's error message */
} weft_fail_notice_t;

/* transport/notice.c */
/* Fills n with kind, status, origin and the text (truncated to fit). */
void weft__notice_make(weft_fail_notice_t *n, int kind, weft_status_t status, int origin,
                       const char *text);
/* Checks a notice that came from a peer: kind known, origin in [0,
 * nranks), status an error; terminates the reason and replaces control
 * characters.  0 if it can be used, -1 if not. */
int weft__notice_sanitize(weft_fail_notice_t *n, int nranks);
/* What a notice means to this rank: WEFT_ERR_INVALID_USAGE for a
 * mismatch, WEFT_ERR_REMOTE otherwise. */
weft_status_t weft__notice_status(const weft_fail_notice_t *n);
/* Records (weft__error) this rank's error for a failure it learned from
 * peer `via` through notice n, and returns weft__notice_status(n). */
weft_status_t weft__notice_error(int rank, int nranks, int via, const weft_fail_notice_t *n);

struct weft_treq {
    /* Set by the caller before isend/irecv. */
    void *buf;    /* send: the data; recv: where it goes (when consume is NULL) */
    size_t bytes; /* message size */
    size_t align; /* piece granularity for consume (the element size) */
    void (*consume)(weft_treq_t *req, size_t off, const void *data, size_t len);
    void (*complete)(weft_treq_t *req); /* called once, from progress */
    void *user;                         /* the caller's context */
    uint32_t user_index;
    const weft_wire_sig_t *sig; /* the call's signature, or NULL to send none */
    /* Set by the transport. */
    weft_status_t status;
    /* Receives: the signature the message carried (flags 0 if none).  A
     * receive whose message's signature disagrees with req->sig fails
     * with WEFT_ERR_INVALID_USAGE and keeps the sender's here. */
    weft_wire_sig_t peer_sig;
    /* A request failed because its peer reported a failure: the peer's
     * notice (owned by the transport, valid until it is destroyed). */
    const weft_fail_notice_t *notice;
    /* Private to the transport that holds the request. */
    weft_treq_t *next;
    size_t done_bytes;
    uint64_t priv[6];
};

/* What a transport needs to know to set itself up. */
typedef struct {
    int rank, nranks;
    weft_bootstrap_t *bs;
    const uint8_t *secret;   /* WEFT_SECRET_BYTES, authenticates connections */
    const uint8_t *use_peer; /* [nranks]: 1 where this transport serves the peer */
    const int *peer_pid;     /* [nranks] */
    const char *peer_host;   /* [nranks * WEFT_HOSTID_BYTES] */
    uint64_t deadline_ns;
} weft_tctx_t;

typedef struct weft_transport weft_transport_t;

/* Bytes moved, for weft_comm_get_counters(). */
typedef struct {
    uint64_t sent, recv;
} weft_tcounters_t;

typedef struct {
    const char *name;
    /* Collective over all ranks (each calls it, served peers or not), so
     * that address blobs can be exchanged through ctx->bs. */
    weft_status_t (*create)(const weft_tctx_t *ctx, weft_transport_t **tp_p);
    weft_status_t (*isend)(weft_transport_t *tp, int peer, weft_treq_t *req);
    weft_status_t (*irecv)(weft_transport_t *tp, int peer, weft_treq_t *req);
    /* Advances every pending request; *progressed_p set when anything
     * moved.  A failure (peer gone, size mismatch) completes the affected
     * requests with an error status: that is how it is reported. */
    weft_status_t (*progress)(weft_transport_t *tp, int *progressed_p);
    /* Fails every pending request with `status` and forgets them. */
    void (*cancel_all)(weft_transport_t *tp, weft_status_t status);
    /* Tells the peers that this rank has failed (or aborted), and why:
     * their pending and later requests with it fail (with the notice)
     * instead of waiting for the timeout.  Only the first call tells; a
     * later one (an abort after a failure) changes nothing the peers see. */
    void (*shutdown)(weft_transport_t *tp, const weft_fail_notice_t *why);
    void (*counters)(weft_transport_t *tp, weft_tcounters_t *c_p);
    /* For a rank with nothing to do: the descriptors whose readiness would
     * let a pending request move (at most max of them, in fds), so that it
     * can sleep in poll() rather than wake to look.  Returns how many, or
     * -1 when some pending request can only be advanced by looking
     * (shared memory): then the caller must not sleep long. */
    int (*wait_fds)(weft_transport_t *tp, struct pollfd *fds, int max);
    /* Liveness board, for timeout messages and hang reports: announce
     * shows the peers the collective this rank has entered (a store, no
     * message); peer_announced reads a peer's, returning 0 when this
     * transport cannot see it. */
    void (*announce)(weft_transport_t *tp, uint64_t seq);
    int (*peer_announced)(weft_transport_t *tp, int peer, uint64_t *seq_p);
    void (*destroy)(weft_transport_t *tp);
} weft_transport_ops_t;

struct weft_transport {
    const weft_transport_ops_t *ops;
};

extern const weft_transport_ops_t weft__shm_ops;
extern const weft_transport_ops_t weft__socket_ops;

/* Completes a request: sets its status and calls its complete callback. */
static inline void weft__treq_finish(weft_treq_t *req, weft_status_t status)
{
    req->status = status;
    req->complete(req);
}

#endif
