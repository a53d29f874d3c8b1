/*
 * shm_liveness.c - what local peers learn about each other through their
 * segment headers (shm.h): failures, liveness and the collective entered.
 *
 * While a rank waits it looks at the failure flag of each peer it waits
 * on: a peer that failed says why in its segment (written once by
 * weft__shm_shutdown), and the requests with it fail with that notice.  A local
 * peer in another process is also checked for liveness every 100 ms; a
 * dead one fails its requests with WEFT_ERR_REMOTE instead of leaving them
 * to the timeout.  Each rank also announces the collective it has entered,
 * which peers read for diagnosis.
 */
#define _GNU_SOURCE
#include "transport/shm/shm.h"
#include "util/log.h"
#include "util/time.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>


#define LIVENESS_PERIOD_NS 100000000ull


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
            weft__shm_fail_peer_notice(pe, weft__notice_status(pe->notice), pe->notice);
            return;
        }
    }
    weft__shm_fail_peer(pe, weft__error(WEFT_ERR_REMOTE,
                                        "rank %d: local peer rank %d reported a failure "
                                        "(error or abort on its side)",
                                        t->rank, p));
}

/* Looks, while this rank waits, for local peers that failed.  Idle rounds
 * come every ~100 ns while polling, every 50 us to 1 ms while napping
 * (core/wait.c).  A failure flag is a load from a line that changes once
 * (shm.h): every 16th idle round, so that a polling rank that is about to
 * see its data does not scan its peers first.  Whether a peer's process
 * still exists takes kill(pid, 0), a system call: every 100 ms, the clock
 * read every 1024th idle round. */
void weft__shm_check_liveness(shm_t *t)
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
            weft__shm_fail_peer(pe, weft__error(WEFT_ERR_REMOTE,
                                                "rank %d: local peer rank %d (pid %d) "
                                                "has exited",
                                                t->rank, t->served[i], (int)pe->pid));
    }
}


/* The notice is written before the flag is raised (release): a peer that
 * sees the flag (acquire) sees the whole notice.  Written once, so that a
 * peer never reads it while it changes. */
void weft__shm_shutdown(weft_transport_t *tp, const weft_fail_notice_t *why)
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

void weft__shm_announce(weft_transport_t *tp, uint64_t seq)
{
    shm_t *t = (shm_t *)tp;
    if (t->seg != NULL)
        atomic_store_explicit(&((shm_seg_hdr_t *)t->seg)->announced, seq, memory_order_relaxed);
}

int weft__shm_peer_announced(weft_transport_t *tp, int peer, uint64_t *seq_p)
{
    shm_t *t = (shm_t *)tp;
    const shm_seg_hdr_t *h = t->peers[peer].peer_seg;
    if (h == NULL)
        return 0;
    *seq_p = atomic_load_explicit(&h->announced, memory_order_relaxed);
    return 1;
}
