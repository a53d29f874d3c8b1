/*
 * diag.h - what a communicator keeps so that a failure can be explained:
 * signatures of calls, what each peer was last heard doing, the full
 * signature check, timeout messages and the hang report.
 *
 * A call's signature is (sequence number, collective, count, datatype, op,
 * root).  The sequence number counts the collectives issued on the
 * communicator (send and recv are not counted: they pair two ranks, not
 * all).  Three levels (WEFT_CHECK, weft_config_t.check):
 *   off     nothing is signed (to measure what checking costs);
 *   header  every message carries its call's signature in the header the
 *           transport sends anyway, and the receiver compares it with its
 *           own before a byte lands: the rank that reads a disagreeing
 *           header (the detecting rank) fails with WEFT_ERR_INVALID_USAGE
 *           and both signatures in its message, and tells its peers why
 *           (a failure notice, transport.h, passed on from rank to rank:
 *           core/run.c fail_comm).  Every other rank then returns
 *           WEFT_ERR_INVALID_USAGE too, with a message naming the
 *           detecting rank and quoting its text, both signatures included
 *           -- in the same call if it waits, directly or through other
 *           ranks, on a message the failed ranks no longer send, else at
 *           its next call that waits on one.  A rank that only sends in
 *           the mismatched call (the root of a broadcast, a leaf of a
 *           reduce) cannot learn of it in that call without a round trip,
 *           which this level does not pay for: it returns WEFT_OK, and its
 *           next call that receives anything (any collective but another
 *           one in which it only sends) returns WEFT_ERR_INVALID_USAGE
 *           with the mismatch text.  A rank whose calls only send goes on
 *           returning WEFT_OK until a send blocks on the failed peer;
 *   full    before each call moves data, the ranks exchange signatures
 *           (an all-gather), so every rank sees every other's and all of
 *           them report the first disagreeing peer in that same call,
 *           send-only ranks included; no data moves.
 * Every message received also records the peer's sequence number
 * (peer_seen), and each rank announces the collective it is in where the
 * transport can show it (shm).  The timeout message and the hang report
 * tell the two apart: a peer whose announced collective is older is known
 * never to have arrived; a peer over sockets shows only its messages, so
 * one not heard from in the call is reported as that, not as missing (it
 * may be in the call without having sent to this rank yet).
 */
#ifndef WEFT_CORE_DIAG_H
#define WEFT_CORE_DIAG_H

#include "transport/transport.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct weft_comm;
typedef struct weft_op_desc weft_op_desc_t;
typedef struct weft_exec weft_exec_t;

/* A signature whose coll is this marks the full check's own messages. */
#define WEFT_SIG_COLL_CHECK 0xfe

/* What one rank contributes to the full check. */
typedef struct {
    weft_wire_sig_t first; /* the run's first call */
    uint64_t hash;         /* of every call's signature, for groups */
    uint32_t ncalls, reserved;
} weft_check_rec_t;

typedef struct {
    int check;                   /* WEFT_CHECK_OFF, _HEADER or _FULL */
    _Atomic uint64_t *peer_seen; /* [nranks]: last seq heard from each peer, 0: none */
    weft_wire_sig_t *sigs;       /* per call of the run in flight */
    uint32_t sigs_cap, nsigs;
    const weft_wire_sig_t *run_sigs; /* what the executor signs with (NULL: nothing) */
    weft_wire_sig_t check_sig;       /* the full check's messages */
    weft_check_rec_t check_mine;     /* what this rank sends in the full check */
    weft_check_rec_t *check_all;     /* [nranks], full check only */
    _Atomic uint64_t running_seq;    /* seq of the run in flight, 0 when idle */
    _Atomic uint64_t last_seq;       /* comm->seq, readable from other threads */
    _Atomic int stage;               /* WEFT_DIAG_* */
    unsigned report_seen;            /* the last hang report this comm's driver answered */
} weft_diag_t;

enum { WEFT_DIAG_IDLE, WEFT_DIAG_CHECKING, WEFT_DIAG_RUNNING };

/* The check level from a weft_check_t (WEFT_CHECK_DEFAULT: WEFT_CHECK). */
int weft__diag_check_level(int requested);
weft_status_t weft__diag_init(weft_diag_t *d, int nranks, int check);
void weft__diag_free(weft_diag_t *d);

/* Signs the calls of a run on comm (ops[0..n)) and advances comm->seq. */
weft_status_t weft__diag_begin(struct weft_comm *comm, const weft_op_desc_t *ops, int n);
void weft__diag_end(struct weft_comm *comm);

/* "allreduce #5 (1000 x float32, sum)" */
void weft__sig_format(const weft_wire_sig_t *s, char *buf, size_t len);
/* The error for a message whose signature disagrees with this rank's. */
weft_status_t weft__sig_mismatch(struct weft_comm *comm, int peer, const weft_wire_sig_t *mine,
                                 const weft_wire_sig_t *theirs, const char *how);

/* The full check (check.c): prepare makes comm->active the exchange of
 * this run's record; after it ran, verdict compares the records. */
weft_status_t weft__check_prepare(struct weft_comm *comm, const weft_op_desc_t *ops, int n);
weft_status_t weft__check_verdict(struct weft_comm *comm);

/* Timeouts and reports (report.c). */
weft_status_t weft__diag_timeout_error(struct weft_comm *comm);
/* The peers behind the run in flight, as a clause of text: those known
 * never to have arrived (announced), then those over sockets not heard
 * from in it, which may have arrived. */
void weft__diag_missing_peers(struct weft_comm *comm, char *buf, size_t len);
/* Prints the report of every live communicator to the log (WARN). */
void weft__diag_report_all(const char *why);
/* The driver of a call: answers a pending SIGUSR1 report with its step. */
void weft__diag_poll_report(struct weft_comm *comm);
/* Installs the SIGUSR1 handler once when WEFT_DEBUG_SIGNAL is set. */
void weft__diag_signal_setup(void);

#endif
