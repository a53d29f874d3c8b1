/*
 * shm.c - the shared-memory transport: requests, channels and progress
 * (the memory layout and its ordering rules are in shm.h).
 *
 * Each served peer has a queue of sends and a queue of receives; only the
 * head of each queue moves, which gives the in-order matching the executor
 * relies on.  While a rank waits it looks at the failure flag of each
 * peer it waits on: a peer that failed says why in its segment (shm.h),
 * and the requests with it fail with that notice.  A local peer in
 * another process is also checked for liveness every 100 ms; a dead one
 * fails its requests with WEFT_ERR_REMOTE instead of leaving them to the
 * timeout.
 */
#define _GNU_SOURCE
#include "transport/shm/shm.h"
#include "util/config.h"
#include "util/log.h"
#include "util/time.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#define LIVENESS_PERIOD_NS 100000000ull

enum { REQ_SENT = 0, REQ_TICKET = 1, REQ_MODE = 2, REQ_STARTED = 3, REQ_SLOT = 4 };
enum { MODE_EAGER = 1, MODE_SINGLE_COPY = 2 };

static void enqueue(weft_treq_t **head, weft_treq_t **tail, weft_treq_t *req)
{
    req->next = NULL;
    if (*tail != NULL)
        (*tail)->next = req;
    else
        *head = req;
    *tail = req;
}

static weft_treq_t *dequeue(weft_treq_t **head, weft_treq_t **tail)
{
    weft_treq_t *req = *head;
    *head = req->next;
    if (*head == NULL)
        *tail = NULL;
    return req;
}

#define REVOKE_WAIT_NS 30000000000ull

/* A single-copy send that has been published must not complete (and let
 * its caller free the buffer) while the receiver may still read it: either
 * the slot is revoked before the receiver starts, or we wait for its ack. */
static void revoke_single_copy(shm_peer_t *pe, weft_treq_t *req)
{
    if (req->priv[REQ_MODE] != MODE_SINGLE_COPY || !req->priv[REQ_STARTED])
        return;
    shm_sc_desc_t *d = shm_sc_desc(shm_slot(&pe->out_geom, pe->out, req->priv[REQ_SLOT]));
    uint32_t expect = SC_POSTED;
    if (atomic_compare_exchange_strong(&d->state, &expect, SC_REVOKED))
        return;
    uint64_t until = weft__now_ns() + REVOKE_WAIT_NS;
    while (atomic_load_explicit(&pe->out->rndv_done, memory_order_acquire) <
               req->priv[REQ_TICKET] &&
           weft__now_ns() < until)
        sched_yield();
}

/* Fails every request with the peer; `notice`, when the peer reported
 * its failure, goes with each (transport.h). */
static void fail_peer_notice(shm_peer_t *pe, weft_status_t st, const weft_fail_notice_t *notice)
{
    pe->broken = 1;
    pe->send_cursor = NULL;
    while (pe->sendq != NULL) {
        weft_treq_t *req = dequeue(&pe->sendq, &pe->sendq_tail);
        revoke_single_copy(pe, req);
        req->notice = notice;
        weft__treq_finish(req, st);
    }
    while (pe->recvq != NULL) {
        weft_treq_t *req = dequeue(&pe->recvq, &pe->recvq_tail);
        req->notice = notice;
        weft__treq_finish(req, st);
    }
}

static void fail_peer(shm_peer_t *pe, weft_status_t st)
{
    fail_peer_notice(pe, st, NULL);
}

static void deliver(weft_treq_t *req, size_t off, const void *data, size_t len)
{
    if (req->consume != NULL)
        req->consume(req, off, data, len);
    else if (len > 0)
        memcpy((char *)req->buf + off, data, len);
}

/* --- sender ------------------------------------------------------------- */

/* The call's signature goes in every slot (it shares the header's line). */
static void sign_slot(shm_slot_hdr_t *h, const weft_treq_t *req)
{
    if (req->sig != NULL)
        h->sig = *req->sig;
    else
        h->sig.flags = 0;
}

/* A free slot for the sender, or NULL when the ring is full. */
static shm_slot_hdr_t *send_slot(shm_peer_t *pe)
{
    if (pe->head - pe->tail_cache >= pe->out_geom.nslots) {
        pe->tail_cache = atomic_load_explicit(&pe->out->tail, memory_order_acquire);
        if (pe->head - pe->tail_cache >= pe->out_geom.nslots)
            return NULL; /* ring full: the receiver has not caught up */
    }
    return shm_slot(&pe->out_geom, pe->out, pe->head);
}

/* Publish: the slot's contents are visible before its seq. */
static void publish(shm_peer_t *pe, shm_slot_hdr_t *h)
{
    atomic_store_explicit(&h->seq, ++pe->head, memory_order_release);
}

static int send_eager(shm_t *t, shm_peer_t *pe, weft_treq_t *req)
{
    int moved = 0;
    while (req->priv[REQ_SENT] < req->bytes || !req->priv[REQ_STARTED]) {
        shm_slot_hdr_t *h = send_slot(pe);
        if (h == NULL)
            break;
        size_t sent = req->priv[REQ_SENT];
        size_t len = WEFT_MIN(pe->out_geom.slot_bytes, req->bytes - sent);
        h->kind = SHM_SLOT_EAGER;
        h->msg_bytes = req->bytes;
        h->off = sent;
        h->len = (uint32_t)len;
        sign_slot(h, req);
        if (len > 0)
            memcpy(h + 1, (const char *)req->buf + sent, len);
        publish(pe, h);
        req->priv[REQ_SENT] = sent + len;
        req->priv[REQ_STARTED] = 1;
        moved = 1;
    }
    return moved;
}

/* Publishes the descriptor slot of a single-copy message. */
static int send_single_copy(shm_t *t, shm_peer_t *pe, weft_treq_t *req)
{
    shm_slot_hdr_t *h = send_slot(pe);
    if (h == NULL)
        return 0;
    shm_sc_desc_t *d = shm_sc_desc(h);
    h->kind = SHM_SLOT_SINGLE_COPY;
    h->msg_bytes = req->bytes;
    h->off = 0;
    h->len = 0;
    sign_slot(h, req);
    d->src = (uint64_t)(uintptr_t)req->buf;
    atomic_store_explicit(&d->state, SC_POSTED, memory_order_relaxed);
    req->priv[REQ_SLOT] = pe->head;
    publish(pe, h);
    req->priv[REQ_TICKET] = ++pe->rndv_posted;
    req->priv[REQ_STARTED] = 1;
    req->priv[REQ_SENT] = req->bytes;
    return 1;
}

static int published(const weft_treq_t *req)
{
    return req->priv[REQ_STARTED] && req->priv[REQ_SENT] >= req->bytes;
}

/* Two passes: publish queued messages in order as far as slots allow (a
 * partly published eager message holds back those behind it), then
 * complete from the front: an eager message once published, a single-copy
 * one once the receiver has read it.  Several single-copy messages can be
 * in flight, so the receiver never waits for the sender to notice an ack. */
static int send_progress(shm_t *t, shm_peer_t *pe)
{
    int moved = 0;
    while (pe->send_cursor != NULL) {
        weft_treq_t *req = pe->send_cursor;
        if (req->priv[REQ_MODE] == 0)
            req->priv[REQ_MODE] = pe->single_copy && req->bytes >= t->single_copy_min
                                      ? MODE_SINGLE_COPY
                                      : MODE_EAGER;
        moved |= req->priv[REQ_MODE] == MODE_EAGER ? send_eager(t, pe, req)
                                                   : send_single_copy(t, pe, req);
        if (!published(req))
            break;
        pe->send_cursor = req->next;
    }
    uint64_t acked = atomic_load_explicit(&pe->out->rndv_done, memory_order_acquire);
    while (pe->sendq != NULL && pe->sendq != pe->send_cursor) {
        weft_treq_t *req = pe->sendq;
        if (req->priv[REQ_MODE] == MODE_SINGLE_COPY && acked < req->priv[REQ_TICKET])
            break;
        t->counters.sent += req->bytes;
        weft__treq_finish(dequeue(&pe->sendq, &pe->sendq_tail), WEFT_OK);
        moved = 1;
    }
    return moved;
}

/* --- receiver ----------------------------------------------------------- */

/* Reads the sender's buffer directly: a pointer within one process,
 * process_vm_readv across processes (through the bounce buffer when the
 * data is to be reduced rather than stored). */
static weft_status_t single_copy_read(shm_t *t, shm_peer_t *pe, weft_treq_t *req, uint64_t src)
{
    if (pe->same_process) {
        deliver(req, 0, (const void *)(uintptr_t)src, req->bytes);
        return WEFT_OK;
    }
    if (req->consume != NULL && t->bounce == NULL) {
        t->bounce_bytes = 256 * 1024;
        t->bounce = malloc(t->bounce_bytes);
        if (t->bounce == NULL)
            return WEFT_ERR_NO_MEMORY;
    }
    size_t off = 0;
    while (off < req->bytes) {
        size_t len = req->bytes - off;
        char *into = (char *)req->buf + off;
        if (req->consume != NULL) {
            len = WEFT_MIN(len, t->bounce_bytes);
            into = t->bounce;
        }
        struct iovec local = {into, len};
        struct iovec remote = {(void *)(uintptr_t)(src + off), len};
        ssize_t got = process_vm_readv(pe->pid, &local, 1, &remote, 1, 0);
        if (got <= 0)
            return errno == ESRCH ? WEFT_ERR_REMOTE : WEFT_ERR_SYSTEM;
        if (req->consume != NULL)
            req->consume(req, off, t->bounce, (size_t)got);
        off += (size_t)got;
    }
    return WEFT_OK;
}

static weft_status_t size_mismatch(shm_t *t, int p, const weft_treq_t *req, uint64_t got)
{
    return weft__error(WEFT_ERR_INVALID_USAGE,
                       "rank %d: a message of %llu bytes arrived from rank %d where a receive "
                       "of %zu bytes was posted: the ranks disagree on the collective's count, "
                       "datatype or order", t->rank, (unsigned long long)got, p, req->bytes);
}

static int recv_progress(shm_t *t, int p)
{
    shm_peer_t *pe = &t->peers[p];
    shm_chan_t *c = pe->in;
    uint64_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
    int moved = 0;
    while (pe->recvq != NULL) {
        weft_treq_t *req = pe->recvq;
        shm_slot_hdr_t *h = shm_slot(&t->geom, c, tail);
        if (atomic_load_explicit(&h->seq, memory_order_acquire) != tail + 1)
            break; /* not written yet */
        /* The signature first: ranks that disagree on the call learn it
         * before any byte lands, whatever the sizes. */
        req->peer_sig = h->sig;
        if (req->sig != NULL && !weft__sig_agree(req->sig, &h->sig)) {
            fail_peer(pe, weft__error(WEFT_ERR_INVALID_USAGE, "rank %d: the message from rank "
                                      "%d belongs to a different call", t->rank, p));
            return 1;
        }
        if (h->msg_bytes != req->bytes) {
            fail_peer(pe, size_mismatch(t, p, req, h->msg_bytes));
            return 1;
        }
        weft_status_t st = WEFT_OK;
        if (h->kind == SHM_SLOT_EAGER) {
            deliver(req, h->off, h + 1, h->len);
            req->done_bytes += h->len;
        } else {
            shm_sc_desc_t *d = shm_sc_desc(h);
            uint32_t expect = SC_POSTED;
            if (atomic_compare_exchange_strong(&d->state, &expect, SC_READING)) {
                st = single_copy_read(t, pe, req, d->src);
                atomic_fetch_add_explicit(&c->rndv_done, 1, memory_order_release);
            } else {
                fail_peer(pe, weft__error(WEFT_ERR_REMOTE, "rank %d: rank %d withdrew its "
                                          "message (it failed or timed out)", t->rank, p));
                atomic_store_explicit(&c->tail, ++tail, memory_order_release);
                return 1;
            }
            req->done_bytes = req->bytes;
        }
        /* Free the slot only after its data has been consumed. */
        atomic_store_explicit(&c->tail, ++tail, memory_order_release);
        moved = 1;
        if (st != WEFT_OK) {
            fail_peer(pe, weft__error(st, "rank %d: reading rank %d's buffer failed", t->rank, p));
            return 1;
        }
        if (req->done_bytes >= req->bytes) {
            t->counters.recv += req->bytes;
            weft__treq_finish(dequeue(&pe->recvq, &pe->recvq_tail), WEFT_OK);
        }
    }
    return moved;
}

/* --- ops ---------------------------------------------------------------- */

/* Peer p has set its `failed` flag: its requests fail with its notice,
 * or, if the notice does not pass the checks, as they did before there
 * were notices. */
static void learn_failure(shm_t *t, shm_peer_t *pe, int p)
{
    const shm_seg_hdr_t *h = pe->peer_seg;
    if (pe->notice == NULL)
        pe->notice = malloc(sizeof(*pe->notice));
    if (pe->notice != NULL) {
        /* Copied first, then checked: the copy is what is used. */
        memcpy(pe->notice, &h->notice, sizeof(*pe->notice));
        if (weft__notice_sanitize(pe->notice, t->nranks) == 0) {
            fail_peer_notice(pe, weft__notice_status(pe->notice), pe->notice);
            return;
        }
    }
    fail_peer(pe, weft__error(WEFT_ERR_REMOTE, "rank %d: local peer rank %d reported a failure "
                              "(error or abort on its side)", t->rank, p));
}

/* Looks, while this rank waits, for local peers that failed.  Idle rounds
 * come every ~100 ns while polling, every 50 us to 1 ms while napping
 * (core/wait.c).  A failure flag is a load from a line that changes once
 * (shm.h): every 16th idle round, so that a polling rank that is about to
 * see its data does not scan its peers first.  Whether a peer's process
 * still exists takes kill(pid, 0), a system call: every 100 ms, the clock
 * read every 1024th idle round. */
static void check_liveness(shm_t *t)
{
    uint32_t round = ++t->idle_rounds;
    for (int i = 0; i < t->nserved && (round & 15) == 0; i++) {
        shm_peer_t *pe = &t->peers[t->served[i]];
        if ((pe->sendq != NULL || pe->recvq != NULL) &&
            atomic_load_explicit(&((const shm_seg_hdr_t *)pe->peer_seg)->failed,
                                 memory_order_acquire))
            learn_failure(t, pe, t->served[i]);
    }
    if ((round & 1023) != 0)
        return;
    uint64_t now = weft__now_ns();
    if (now - t->last_liveness_ns < LIVENESS_PERIOD_NS)
        return;
    t->last_liveness_ns = now;
    for (int i = 0; i < t->nserved; i++) {
        shm_peer_t *pe = &t->peers[t->served[i]];
        if (pe->sendq == NULL && pe->recvq == NULL)
            continue;
        if (!pe->same_process && kill(pe->pid, 0) != 0 && errno == ESRCH)
            fail_peer(pe, weft__error(WEFT_ERR_REMOTE, "rank %d: local peer rank %d (pid %d) "
                                      "has exited", t->rank, t->served[i], (int)pe->pid));
    }
}

static weft_status_t shm_progress(weft_transport_t *tp, int *progressed_p)
{
    shm_t *t = (shm_t *)tp;
    int moved = 0;
    for (int i = 0; i < t->nserved; i++) {
        int p = t->served[i];
        if (t->peers[p].sendq != NULL)
            moved |= send_progress(t, &t->peers[p]);
        if (t->peers[p].recvq != NULL)
            moved |= recv_progress(t, p);
    }
    if (!moved)
        check_liveness(t);
    *progressed_p = moved;
    return WEFT_OK;
}

/* Shared memory has nothing to poll(): a pending request needs looking at. */
static int shm_wait_fds(weft_transport_t *tp, struct pollfd *fds, int max)
{
    shm_t *t = (shm_t *)tp;
    (void)fds;
    (void)max;
    for (int i = 0; i < t->nserved; i++) {
        const shm_peer_t *pe = &t->peers[t->served[i]];
        if (pe->sendq != NULL || pe->recvq != NULL)
            return -1;
    }
    return 0;
}

static weft_status_t post(shm_t *t, int peer, weft_treq_t *req, int is_send)
{
    shm_peer_t *pe = &t->peers[peer];
    if (pe->out == NULL)
        return weft__error(WEFT_ERR_INTERNAL, "shm: rank %d is not a local peer of %d", peer,
                           t->rank);
    memset(req->priv, 0, sizeof(req->priv));
    req->done_bytes = 0;
    if (pe->broken)
        return weft__error(WEFT_ERR_REMOTE, "shm: the channel with rank %d failed earlier", peer);
    if (is_send) {
        enqueue(&pe->sendq, &pe->sendq_tail, req);
        if (pe->send_cursor == NULL)
            pe->send_cursor = req;
    }
    else
        enqueue(&pe->recvq, &pe->recvq_tail, req);
    return WEFT_OK;
}

static weft_status_t shm_isend(weft_transport_t *tp, int peer, weft_treq_t *req)
{
    return post((shm_t *)tp, peer, req, 1);
}

static weft_status_t shm_irecv(weft_transport_t *tp, int peer, weft_treq_t *req)
{
    return post((shm_t *)tp, peer, req, 0);
}

static void shm_cancel_all(weft_transport_t *tp, weft_status_t status)
{
    shm_t *t = (shm_t *)tp;
    for (int i = 0; i < t->nserved; i++) {
        shm_peer_t *pe = &t->peers[t->served[i]];
        if (pe->sendq != NULL || pe->recvq != NULL)
            fail_peer(pe, status);
    }
}

/* The notice is written before the flag is raised (release): a peer that
 * sees the flag (acquire) sees the whole notice.  Written once, so that a
 * peer never reads it while it changes. */
static void shm_shutdown(weft_transport_t *tp, const weft_fail_notice_t *why)
{
    shm_t *t = (shm_t *)tp;
    if (t->seg == NULL || t->told)
        return;
    shm_seg_hdr_t *h = t->seg;
    t->told = 1;
    if (why != NULL)
        memcpy(&h->notice, why, sizeof(h->notice));
    atomic_store_explicit(&h->failed, 1, memory_order_release);
}

static void shm_announce(weft_transport_t *tp, uint64_t seq)
{
    shm_t *t = (shm_t *)tp;
    if (t->seg != NULL)
        atomic_store_explicit(&((shm_seg_hdr_t *)t->seg)->announced, seq, memory_order_relaxed);
}

static int shm_peer_announced(weft_transport_t *tp, int peer, uint64_t *seq_p)
{
    shm_t *t = (shm_t *)tp;
    const shm_seg_hdr_t *h = t->peers[peer].peer_seg;
    if (h == NULL)
        return 0;
    *seq_p = atomic_load_explicit(&h->announced, memory_order_relaxed);
    return 1;
}

static void shm_counters(weft_transport_t *tp, weft_tcounters_t *c_p)
{
    *c_p = ((shm_t *)tp)->counters;
}

static void shm_destroy(weft_transport_t *tp)
{
    shm_t *t = (shm_t *)tp;
    if (t == NULL)
        return;
    weft__shm_teardown(t);
    for (int p = 0; t->peers != NULL && p < t->nranks; p++)
        free(t->peers[p].notice);
    free(t->peers);
    free(t->served);
    free(t->bounce);
    free(t);
}

static weft_status_t shm_create(const weft_tctx_t *ctx, weft_transport_t **tp_p)
{
    shm_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "shm transport");
    t->base.ops = &weft__shm_ops;
    t->rank = ctx->rank;
    t->nranks = ctx->nranks;
    uint64_t nslots = (uint64_t)WEFT_MAX(2, weft__config_int(WEFT_CFG_SHM_NSLOTS));
    uint64_t slot = (uint64_t)WEFT_MAX(64, weft__config_int(WEFT_CFG_SHM_SLOT_BYTES));
    t->geom = (shm_geom_t){nslots, WEFT_ALIGN_UP(slot, 64), 0};
    t->geom.chan_bytes = WEFT_ALIGN_UP(sizeof(shm_chan_t) + nslots * shm_slot_stride(&t->geom),
                                       4096);
    t->single_copy_min = (uint64_t)weft__config_int(WEFT_CFG_SHM_SINGLE_COPY_MIN_BYTES);
    t->peers = calloc((size_t)ctx->nranks, sizeof(*t->peers));
    t->served = calloc((size_t)ctx->nranks, sizeof(*t->served));
    if (t->peers == NULL || t->served == NULL) {
        shm_destroy(&t->base);
        return weft__error(WEFT_ERR_NO_MEMORY, "shm transport for %d ranks", ctx->nranks);
    }
    for (int p = 0; p < ctx->nranks; p++) {
        if (ctx->use_peer[p])
            t->served[t->nserved++] = p;
    }
    weft_status_t st = weft__shm_setup(t, ctx);
    if (st != WEFT_OK) {
        shm_destroy(&t->base);
        return st;
    }
    *tp_p = &t->base;
    return WEFT_OK;
}

const weft_transport_ops_t weft__shm_ops = {
    .name = "shm",
    .create = shm_create,
    .isend = shm_isend,
    .irecv = shm_irecv,
    .progress = shm_progress,
    .wait_fds = shm_wait_fds,
    .cancel_all = shm_cancel_all,
    .shutdown = shm_shutdown,
    .counters = shm_counters,
    .announce = shm_announce,
    .peer_announced = shm_peer_announced,
    .destroy = shm_destroy,
};
