/*
 * shm_send.c - the sender side of a shared-memory channel: the slot FIFO
 * in the peer's segment (shm.h).
 *
 * Queued sends are published in order, eagerly through slots or, from
 * WEFT_SHM_SINGLE_COPY_MIN_BYTES, as one descriptor slot that names the
 * sender's buffer; a send completes once published (eager) or once the
 * receiver has acknowledged its read (single copy).  A single-copy send
 * given up before that is revoked, or waited for, so that its buffer is
 * never read after its call has returned.
 */
#define _GNU_SOURCE
#include "transport/shm/shm.h"
#include "util/time.h"

#include <sched.h>
#include <string.h>


enum { REQ_SENT = 0, REQ_TICKET = 1, REQ_MODE = 2, REQ_STARTED = 3, REQ_SLOT = 4 };
enum { MODE_EAGER = 1, MODE_SINGLE_COPY = 2 };

#define REVOKE_WAIT_NS 30000000000ull

/* A single-copy send that has been published must not complete (and let
 * its caller free the buffer) while the receiver may still read it: either
 * the slot is revoked before the receiver starts, or we wait for its ack. */
void weft__shm_revoke_single_copy(shm_peer_t *pe, weft_treq_t *req)
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
int weft__shm_send_progress(shm_t *t, shm_peer_t *pe)
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
        weft__treq_finish(weft__shm_dequeue(&pe->sendq, &pe->sendq_tail), WEFT_OK);
        moved = 1;
    }
    return moved;
}
