/*
 * direct.h - the direct path of all-reduce on device buffers: the ranks
 * of one node read each other's GPU memory through CUDA IPC (one-shot),
 * instead of staging through host memory and the host transports.
 *
 * Opt-in (WEFT_CUDA_IPC=1) until the GPU tests have run on it.  At init
 * every rank says whether it wants it (peer exchange); where all do, the
 * communicator lies on one node, and has 2 to WEFT_CUDA_REDUCE_MAX_SRCS
 * ranks, each rank allocates a shared buffer of WEFT_CUDA_IPC_BYTES on
 * its GPU and the ranks exchange and open each other's (direct_setup.c).
 * A second exchange agrees that every rank could open every buffer;
 * otherwise the path stays off everywhere, said at INFO.  So the ranks
 * take the same path for every call, which they must: its proxy calls
 * are barriers, and a peer staging the same call would send data that no
 * barrier expects (the signatures catch that as a mismatch).
 *
 * A call (direct_submit.c) is one or more rounds of at most the buffer's
 * size; each round, on the caller's stream (cuda/direct_round.h):
 *   1. wait for barrier A: every rank's earlier rounds are done reading
 *      the shared buffers (the proxy waits for its own rank's rounds to
 *      pass before it joins), so each may overwrite its own;
 *   2. copy the input into this rank's shared buffer;
 *   3. wait for barrier B: every rank's input is in place;
 *   4. one-shot: one kernel reduces the n shared buffers, in rank order,
 *      into the output; two-shot (calls above
 *      WEFT_CUDA_IPC_ONESHOT_MAX_BYTES): rank r reduces block r in place
 *      in its own buffer, waits for barrier C, and gathers every block
 *      from its owner -- every rank computes bitwise the same sum either
 *      way, and AVG divides the output.
 * The barriers run on the communicator's proxy thread, in issue order
 * with every other stream-ordered call; the waits are the wait kernel of
 * the staged path, with its deadline.  Two barriers per round make the
 * round safe whichever streams the calls use: the copy of a round waits
 * for a barrier that only completes once every rank has passed its
 * previous rounds.  Every other collective takes the staged path, and
 * so do the calls of a group that has several on the communicator; a
 * lone all-reduce on its communicator goes direct, in a group or not
 * (ranks must group alike).  The output must be aligned to its elements
 * (the kernel writes elements; cudaMalloc's buffers are).
 */
#ifndef WEFT_CORE_DIRECT_H
#define WEFT_CORE_DIRECT_H

#include "cuda/ipc_wire.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <weft.h>

struct weft_comm;
struct weft_stream_calls;
typedef struct weft_op_desc weft_op_desc_t;

typedef struct weft_direct {
    size_t bytes;     /* each rank's shared buffer */
    uint64_t oneshot_max; /* WEFT_CUDA_IPC_ONESHOT_MAX_BYTES, agreed at setup */
    void *mine;       /* this rank's, on its GPU */
    void **peer;      /* every rank's, as this GPU addresses it (peer[rank] = mine) */
    uint8_t *opened;  /* peer[r] came from cudaIpcOpenMemHandle */
    uint64_t rounds;  /* issued (the caller's thread) */
    _Atomic uint64_t passed; /* rounds the streams are past (host functions) */
} weft_direct_t;

/* The wire of the setup exchange: a rank's buffer, as it tells its peers. */
#define WEFT_DIRECT_RECORD_BYTES 176
typedef struct {
    uint64_t ptr;     /* the owner's pointer: for peers in its process */
    uint64_t process; /* a random number per process: who shares the pointer */
    uint32_t ok;      /* 0: the owner has no buffer (then nothing else is read) */
    uint32_t len;     /* bytes of wire used */
    uint8_t wire[WEFT_DIRECT_RECORD_BYTES - 24]; /* an ipc_wire message of one entry */
} weft_direct_record_t;

/* Whether this rank wants the path (WEFT_CUDA_IPC and a GPU): published in
 * the peer exchange. */
int weft__direct_wanted(int device);

/* 1 if a communicator of ranks that all want the path may set it up: one
 * node, and a rank count one kernel pass can reduce. */
int weft__direct_possible(int nranks, int nnodes);

/* Builds rank's record for its buffer entry, or an empty one (ok 0). */
void weft__direct_record_make(int rank, const weft__cuda_ipc_entry_t *entry, const void *ptr,
                              weft_direct_record_t *rec);
/* Decodes a peer's record: WEFT_OK and the entry and pointer, or an
 * error with why (a record that is not ok, or garbage). */
weft_status_t weft__direct_record_read(const weft_direct_record_t *rec, int owner, int nranks,
                                       weft__cuda_ipc_entry_t *entry_p, uint64_t *ptr_p,
                                       char *why, size_t why_len);

/* Init: sets comm->direct where the path is possible and works on every
 * rank; WEFT_OK otherwise too (the staged path serves), unless a peer
 * fails the exchange. */
weft_status_t weft__direct_setup(struct weft_comm *comm, uint64_t deadline);
/* Frees the buffers at once (init failed: no round can have run). */
void weft__direct_free(struct weft_comm *comm);
/* The end of a communicator whose streams have passed every round:
 * closes the peers' buffers, waits (bootstrap barrier, at most
 * WEFT_DIRECT_END_WAIT_S) until every rank has closed this rank's, then
 * frees it -- freeing an exported buffer a peer still has open is
 * undefined.  With abort, or if a peer does not come, the buffer is kept
 * (a leak, logged) rather than freed under a peer. */
#define WEFT_DIRECT_END_WAIT_S 10.0
void weft__direct_end(struct weft_comm *comm, int abort);

/* 1 if this call (ops[0..n) of one communicator, on device buffers) takes
 * the direct path. */
int weft__direct_takes(const weft_op_desc_t *ops, int n);

/* 1 if a call of call_bytes runs two-shot rounds (above d->oneshot_max),
 * else one-shot. */
int weft__direct_twoshot(const weft_direct_t *d, uint64_t call_bytes);

/* Issues the call's rounds on stream. */
weft_status_t weft__direct_submit(struct weft_stream_calls *sc, const weft_op_desc_t *op,
                                  void *stream, const char *fn);

#endif
