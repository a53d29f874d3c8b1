/*
 * proto.h - the bootstrap wire protocol, internal to src/bootstrap.
 *
 * Every message is a 16-byte wire header (net.h: magic, version, type,
 * length) and a body; integers are little-endian; addresses are the 24-byte
 * packed form of net.h.  A receiver checks the header before it reads the
 * body, and the body's length is fixed or bounded by what it expects.
 *
 * 1. Rendezvous: every rank connects to the root (the address in the id).
 *      rank -> root   ROOT_HELLO  hello {secret[32], rank u32, nranks u32,
 *                                        the rank's listen address [24]}
 *      root -> rank   ROOT_TABLE  nranks x address [24], once all are in
 *                  or REFUSED     a reason (text), to a connection that knew
 *                                 the secret but whose rank/nranks is wrong
 *    The root takes nranks from the first hello with the right secret and
 *    refuses any later one that disagrees.  A header of another wire
 *    version is REFUSED too (the reply's own header then tells that rank
 *    both versions).  Anything else -- a bad header,
 *    a wrong secret, garbage, silence for GATE_HELLO_TIMEOUT_S -- is closed
 *    without a reply and logged at WARN; the root keeps serving.
 *
 * 2. Star: rank r > 0 connects to rank 0's listen address (table entry 0).
 *      rank r -> 0    HUB_HELLO   hello as above, address all zero
 *      rank 0 -> r    HUB_WELCOME empty, once all nranks-1 are in (or REFUSED)
 *    Rank 0 refuses strangers exactly as the root does (same code, gate.c).
 *
 * 3. Collectives over the star: every message is
 *      COLL  {seq u32, kind u32, root u32, 0 u32, bytes u64} + bytes of data
 *    seq counts this bootstrap's collectives from 1; every rank must call
 *    the same ones in the same order.  A receiver compares seq, kind, root
 *    and bytes with its own call before reading the data: a mismatch is
 *    WEFT_ERR_INVALID_USAGE naming both calls.
 *      allgather: r -> 0 its part; 0 -> r all parts.
 *      bcast(root q): q -> 0 the data (unless q is 0); 0 -> every r != q.
 *      barrier: r -> 0 empty; 0 -> r empty, once all have arrived.
 *
 * The secret travels in the clear: it keeps strangers and other jobs out
 * of a rendezvous, not an eavesdropper on the network.
 */
#ifndef WEFT_BOOTSTRAP_PROTO_H
#define WEFT_BOOTSTRAP_PROTO_H

#include "bootstrap/bootstrap.h"
#include "bootstrap/net.h"

#define WEFT_BOOTSTRAP_MAX_RANKS (1 << 20)
#define WEFT_HELLO_BYTES (WEFT_SECRET_BYTES + 8 + WEFT_ADDR_PACKED_BYTES)
#define WEFT_COLL_HDR_BYTES 24
#define WEFT_REFUSED_MAX_BYTES 256
/* A connection must deliver its hello this soon after it is accepted. */
#define GATE_HELLO_TIMEOUT_S 10

typedef struct {
    uint8_t secret[WEFT_SECRET_BYTES];
    uint32_t rank, nranks;
    uint8_t addr[WEFT_ADDR_PACKED_BYTES]; /* packed; unpacked by the user */
} weft__hello_t;

void weft__hello_pack(const weft__hello_t *h, uint8_t out[WEFT_HELLO_BYTES]);
void weft__hello_unpack(const uint8_t in[WEFT_HELLO_BYTES], weft__hello_t *h_p);

/* Connects to addr, sends a hello of type hello_type, and waits for the
 * answer: a body of reply_type (at most max_len bytes, returned in a malloc'd
 * *body_p of *len_p bytes) or REFUSED (WEFT_ERR_INVALID_USAGE with the
 * reason).  On success *fd_p is the open connection. */
weft_status_t weft__hello_exchange(const struct sockaddr_storage *addr, uint16_t hello_type,
                                   const weft__hello_t *hello, uint16_t reply_type,
                                   uint32_t max_len, uint64_t deadline_ns, int *fd_p, void **body_p,
                                   uint32_t *len_p);

/* The reply half of weft__hello_exchange on a connected fd; `where` names
 * the other side in errors, nranks is for the timeout's message. */
weft_status_t weft__hello_read_reply(int fd, const char *where, uint16_t reply_type,
                                     uint32_t max_len, uint32_t nranks, uint64_t deadline_ns,
                                     void **body_p, uint32_t *len_p);

/* A bootstrap, as bootstrap.c builds it and coll.c uses it. */
struct weft_bootstrap {
    int rank, nranks;
    uint8_t secret[WEFT_SECRET_BYTES];
    int hub_fd;           /* rank > 0: the connection to rank 0; else -1 */
    int *peer_fds;        /* rank 0: [nranks], rank r's connection (r > 0); else NULL */
    uint32_t seq;         /* collectives called so far */
    weft_status_t failed; /* WEFT_OK, or why every later collective fails */
};

/* --- the gate: accepting the hellos of a set of ranks (gate.c) ----------- */

typedef struct {
    uint16_t hello_type;   /* WEFT_MSG_ROOT_HELLO or WEFT_MSG_HUB_HELLO */
    const uint8_t *secret; /* WEFT_SECRET_BYTES */
    int nranks;            /* known size, or 0: take it from the first valid hello */
    int self_rank;         /* a rank present already (the hub itself), or -1 */
    uint64_t deadline_ns;
    const char *who; /* "root 1.2.3.4:5" / "rank 0": for log lines */
} weft__gate_cfg_t;

typedef struct {
    int nranks;
    int *fds;       /* [nranks]: each rank's connection; -1 for self_rank */
    uint8_t *addrs; /* [nranks][WEFT_ADDR_PACKED_BYTES]: what each hello carried */
} weft__gate_result_t;

/* Accepts connections on listen_fd until every rank (but self_rank) has sent
 * a valid hello, refusing and logging the rest; WEFT_ERR_TIMEOUT at the
 * deadline, naming the ranks that never arrived. */
weft_status_t weft__gate_collect(int listen_fd, const weft__gate_cfg_t *cfg,
                                 weft__gate_result_t *res_p);
/* Closes the connections and frees the result. */
void weft__gate_result_free(weft__gate_result_t *res);

/* What the gate does with a connection (gate_check.c): close it silently,
 * refuse it with the reason in why, or admit it. */
typedef enum { WEFT_GATE_ADMIT, WEFT_GATE_STRANGER, WEFT_GATE_REFUSE } weft__gate_verdict_t;
/* Judges the 16 header bytes of a would-be hello of type hello_type. */
weft__gate_verdict_t weft__gate_check_hdr(uint16_t hello_type,
                                          const uint8_t raw[WEFT_WIRE_HDR_BYTES], char *why,
                                          size_t why_len);
/* Judges a hello body: the secret, then rank and nranks (against
 * nranks_known unless 0) and, for the root, the listen address.  On ADMIT
 * fills *h_p. */
weft__gate_verdict_t weft__gate_check_hello(const weft__gate_cfg_t *cfg, int nranks_known,
                                            const uint8_t body[WEFT_HELLO_BYTES],
                                            weft__hello_t *h_p, char *why, size_t why_len);

#endif
