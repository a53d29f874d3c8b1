/*
 * shm.h - the shared-memory transport's internals.
 *
 * Each rank owns one segment (POSIX shm) holding an inbound channel per
 * rank; the sender s of a pair writes channel s of the receiver's segment.
 * A channel is a single-producer single-consumer ring of slots:
 *
 *   tail       slots consumed by the receiver  (own cache line)
 *   rndv_done  single-copy reads finished      (own cache line)
 *   slots[nslots], each a 56-byte header (with the call's signature, see
 *   transport.h) and slot_bytes of data, the header starting a cache line
 *   so that up to 8 bytes of data share its line
 *
 * Slot k of the stream (k = 0, 1, ...) lives at index k % nslots.  The
 * sender fills it, then publishes it with a release store of seq = k + 1 in
 * its header; the receiver polls the seq of the slot it expects next
 * (acquire), consumes the slot, and frees it with a release store of tail.
 * A small message thus costs the receiver one cache line from the sender,
 * and no shared counter is written on every message.  The sender reads tail
 * only when its cached copy says the ring is full.  Small messages are
 * copied through slots
 * (eager).  A message of at least WEFT_SHM_SINGLE_COPY_MIN_BYTES takes one
 * slot that names the sender's buffer: the receiver copies (or reduces)
 * straight out of it, through a plain pointer when both ranks share a
 * process and process_vm_readv() across processes, then bumps rndv_done,
 * which is when the sender's request completes.
 *
 * The segment is unlinked once every local peer has mapped it, so nothing
 * stays in /dev/shm even if the job is killed.
 */
#ifndef WEFT_TRANSPORT_SHM_H
#define WEFT_TRANSPORT_SHM_H

#include "transport/transport.h"
#include "util/compiler.h"

#include <stdatomic.h>
#include <sys/types.h>

#define WEFT_SHM_MAGIC 0x574546545348ull /* "WEFTSH" */
#define WEFT_SHM_MIN_SLOT_BYTES (16 * 1024)

enum { SHM_SLOT_EAGER = 1, SHM_SLOT_SINGLE_COPY = 2 };

/* The state of a single-copy slot (its data area holds the sender's buffer
 * address, then this word): the receiver moves POSTED to READING before it
 * touches the sender's memory; a sender that gives up (timeout, failure)
 * moves POSTED to REVOKED, or, if the receiver is already reading, waits
 * for its ack.  So a buffer is never read after its call has returned. */
enum { SC_POSTED = 1, SC_READING = 2, SC_REVOKED = 3 };

typedef struct {
    _Atomic uint64_t seq; /* k + 1 once slot k of the stream is written */
    uint64_t msg_bytes;   /* size of the whole message */
    uint64_t off;         /* eager: where this slot's data goes in the message */
    uint32_t len;         /* eager: bytes in this slot */
    uint32_t kind;
    weft_wire_sig_t sig;  /* the sender's call, checked by the receiver */
    /* data follows; single copy: the sender's buffer address (8 bytes) and
     * the slot state (4 bytes) */
} shm_slot_hdr_t;

typedef struct {
    uint64_t src;
    _Atomic uint32_t state;
} shm_sc_desc_t;

typedef struct {
    _Alignas(WEFT_CACHE_LINE) _Atomic uint64_t tail;
    _Alignas(WEFT_CACHE_LINE) _Atomic uint64_t rndv_done;
    _Alignas(WEFT_CACHE_LINE) uint8_t slots[];
} shm_chan_t;

/* Slot ring geometry, chosen by the receiver that owns the ring (it may
 * shrink its slots when /dev/shm is short) and read by the sender from the
 * receiver's segment header. */
typedef struct {
    uint64_t nslots, slot_bytes, chan_bytes;
} shm_geom_t;

/* The start of a segment; after it, can_read[nranks]: whether this rank
 * can read rank p's memory (process_vm_readv), which is what decides
 * whether p may send it large messages by single copy.
 *
 * When its communicator fails the owner writes `notice` (why: transport.h)
 * once, then sets `failed` with a release store; a peer that reads
 * `failed` set (acquire) may copy the notice, which never changes after. */
typedef struct {
    uint64_t magic;
    _Atomic uint64_t announced; /* the collective the owner has entered (diagnosis) */
    uint64_t owner_token;
    int32_t owner_rank, nranks;
    shm_geom_t geom;
    uint64_t chan_base; /* offset of channel 0 */
    /* On a line of its own, which changes once: peers that wait read it
     * on every idle round, and `announced`, written on every call, must
     * not drag it from their caches. */
    _Alignas(WEFT_CACHE_LINE) _Atomic uint64_t failed; /* set when the owner's comm fails */
    weft_fail_notice_t notice; /* why the owner failed, valid once `failed` is set */
    uint8_t can_read[];
} shm_seg_hdr_t;

/* What each rank publishes at setup. */
typedef struct {
    uint64_t token;    /* random per process: equal tokens share a process */
    uint64_t seg_addr; /* where the owner mapped its segment (CMA probe) */
    int32_t pid;
    int32_t has_seg;
    uint64_t seg_bytes;
    char name[48];
} shm_blob_t;

typedef struct {
    shm_chan_t *out;          /* our channel in the peer's segment */
    shm_chan_t *in;           /* the peer's channel in our segment */
    shm_geom_t out_geom;      /* the peer's ring geometry */
    void *peer_seg;           /* the peer's mapped segment */
    size_t peer_seg_bytes;
    pid_t pid;
    int same_process, single_copy, can_read;
    uint64_t head;            /* sender: slots written so far */
    uint64_t tail_cache;      /* sender: last tail read */
    uint64_t rndv_posted;     /* sender: single-copy messages posted */
    weft_treq_t *sendq, *sendq_tail, *recvq, *recvq_tail;
    weft_treq_t *send_cursor; /* first queued send not yet fully published */
    int broken;
    weft_fail_notice_t *notice; /* the peer's, once it reported a failure (malloc'd) */
} shm_peer_t;

typedef struct {
    weft_transport_t base;
    int rank, nranks;
    shm_peer_t *peers;
    int *served;
    int nserved;
    void *seg;
    size_t seg_bytes;
    shm_geom_t geom; /* of the rings in our segment */
    uint64_t single_copy_min;
    void *bounce;
    size_t bounce_bytes;
    uint64_t last_liveness_ns;
    uint32_t idle_rounds;
    int told; /* this rank's notice is written: it is never written twice */
    weft_tcounters_t counters;
} shm_t;

static inline size_t shm_slot_stride(const shm_geom_t *g)
{
    return WEFT_ALIGN_UP(sizeof(shm_slot_hdr_t) + g->slot_bytes, WEFT_CACHE_LINE);
}

static inline shm_slot_hdr_t *shm_slot(const shm_geom_t *g, shm_chan_t *c, uint64_t index)
{
    return (shm_slot_hdr_t *)(c->slots + (index % g->nslots) * shm_slot_stride(g));
}

static inline shm_sc_desc_t *shm_sc_desc(shm_slot_hdr_t *h)
{
    return (shm_sc_desc_t *)(h + 1);
}

/* shm.c: the request queues, and failing every request with a peer
 * (`notice`, when the peer reported its failure, goes with each). */
void weft__shm_enqueue(weft_treq_t **head, weft_treq_t **tail, weft_treq_t *req);
weft_treq_t *weft__shm_dequeue(weft_treq_t **head, weft_treq_t **tail);
void weft__shm_fail_peer_notice(shm_peer_t *pe, weft_status_t st, const weft_fail_notice_t *notice);
void weft__shm_fail_peer(shm_peer_t *pe, weft_status_t st);

/* shm_send.c: publishes queued sends and completes them (1 if anything
 * moved); a single-copy send is revoked, or its read waited for, before it
 * may fail. */
int weft__shm_send_progress(shm_t *t, shm_peer_t *pe);
void weft__shm_revoke_single_copy(shm_peer_t *pe, weft_treq_t *req);

/* shm_recv.c: consumes the slots peer p has published (1 if anything moved). */
int weft__shm_recv_progress(shm_t *t, int p);

/* shm_liveness.c: failure flags, liveness and announcements. */
void weft__shm_check_liveness(shm_t *t);
void weft__shm_shutdown(weft_transport_t *tp, const weft_fail_notice_t *why);
void weft__shm_announce(weft_transport_t *tp, uint64_t seq);
int weft__shm_peer_announced(weft_transport_t *tp, int peer, uint64_t *seq_p);

/* shm_setup.c */
weft_status_t weft__shm_setup(shm_t *t, const weft_tctx_t *ctx);
void weft__shm_teardown(shm_t *t);

/* shm_maps.c: a segment mapped once per process, shared by its threads'
 * ranks and unmapped by the last to release it. */
void weft__shm_map_register(const char *name, void *addr, size_t bytes);
void *weft__shm_map_share(const char *name, size_t bytes); /* NULL: not mapped here */
void weft__shm_map_release(void *addr, size_t bytes);

#endif
