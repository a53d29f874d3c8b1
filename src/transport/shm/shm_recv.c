/*
 * shm_recv.c - the receiver side of a shared-memory channel: consuming the
 * slots a peer publishes in this rank's segment (shm.h).
 *
 * The receive at the head of the queue takes the next slot once its seq is
 * published, checks the call's signature and the message size before any
 * byte lands, then copies or reduces (consume) the slot's data, or for a
 * single-copy slot reads the sender's buffer directly and acknowledges it.
 * A slot is freed only after its data has been consumed.
 */
#define _GNU_SOURCE
#include "transport/shm/shm.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>


static void deliver(weft_treq_t *req, size_t off, const void *data, size_t len)
{
    if (req->consume != NULL)
        req->consume(req, off, data, len);
    else if (len > 0)
        memcpy((char *)req->buf + off, data, len);
}

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

int weft__shm_recv_progress(shm_t *t, int p)
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
            weft__shm_fail_peer(pe, weft__error(WEFT_ERR_INVALID_USAGE,
                                                "rank %d: the message from rank "
                                                "%d belongs to a different call",
                                                t->rank, p));
            return 1;
        }
        if (h->msg_bytes != req->bytes) {
            weft__shm_fail_peer(pe, size_mismatch(t, p, req, h->msg_bytes));
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
                weft__shm_fail_peer(pe, weft__error(WEFT_ERR_REMOTE,
                                                    "rank %d: rank %d withdrew its "
                                                    "message (it failed or timed out)",
                                                    t->rank, p));
                atomic_store_explicit(&c->tail, ++tail, memory_order_release);
                return 1;
            }
            req->done_bytes = req->bytes;
        }
        /* Free the slot only after its data has been consumed. */
        atomic_store_explicit(&c->tail, ++tail, memory_order_release);
        moved = 1;
        if (st != WEFT_OK) {
            weft__shm_fail_peer(
                pe, weft__error(st, "rank %d: reading rank %d's buffer failed", t->rank, p));
            return 1;
        }
        if (req->done_bytes >= req->bytes) {
            t->counters.recv += req->bytes;
            weft__treq_finish(weft__shm_dequeue(&pe->recvq, &pe->recvq_tail), WEFT_OK);
        }
    }
    return moved;
}
