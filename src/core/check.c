/*
 * check.c - the full signature check (WEFT_CHECK=1, see diag.h).
 *
 * Before a run moves any data, its ranks all-gather one record each: the
 * signature of the run's first call, how many calls it holds and a hash
 * of all their signatures.  Every rank then holds every record, so every
 * rank reaches the same verdict: if any two disagree, all of them return
 * WEFT_ERR_INVALID_USAGE naming the first rank that differs from them,
 * with both signatures, and no byte of the user's buffers has moved.
 *
 * The exchange is an ordinary all-gather, planned and cached like any
 * call; its messages carry a signature of their own (WEFT_SIG_COLL_CHECK),
 * so a rank checking against one that is not is told so.  Runs that hold
 * send or recv calls are not exchanged (not every rank takes part in
 * them); the header check still covers them.  The cost is one small
 * all-gather per call: a debugging mode, not the default.
 */
#include "core/comm.h"
#include "core/diag.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

/* FNV-1a over the fields (not the padding) of every call's signature. */
static uint64_t hash_sigs(const weft_wire_sig_t *s, uint32_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t f[4] = {s[i].seq, s[i].count,
                         (uint64_t)s[i].coll | (uint64_t)s[i].dtype << 8 |
                             (uint64_t)s[i].op << 16 | (uint64_t)s[i].flags << 24,
                         (uint64_t)(uint32_t)s[i].root};
        for (int k = 0; k < 4; k++) {
            for (int b = 0; b < 64; b += 8) {
                h ^= (f[k] >> b) & 0xff;
                h *= 0x100000001b3ull;
            }
        }
    }
    return h;
}

weft_status_t weft__check_prepare(struct weft_comm *comm, const weft_op_desc_t *ops, int n)
{
    (void)ops;
    weft_diag_t *d = &comm->diag;
    memset(&d->check_mine, 0, sizeof(d->check_mine));
    d->check_mine.first = d->sigs[0];
    d->check_mine.hash = hash_sigs(d->sigs, (uint32_t)n);
    d->check_mine.ncalls = (uint32_t)n;
    d->check_sig = (weft_wire_sig_t){d->sigs[0].seq, sizeof(weft_check_rec_t),
                                     WEFT_SIG_COLL_CHECK, WEFT_UINT8, 0, WEFT_SIG_F_PRESENT, 0};
    d->run_sigs = &d->check_sig;
    weft_op_desc_t x;
    weft__op_desc_init(&x, comm, WEFT_COLL_ALLGATHER, sizeof(weft_check_rec_t), WEFT_UINT8,
                       WEFT_SUM, 0, &d->check_mine, d->check_all);
    const char *algo = comm->last_algo; /* weft_comm_last_algo names the user's call */
    weft_status_t st = weft__plan_prepare(comm, &x, 1);
    comm->last_algo = algo;
    atomic_store_explicit(&d->stage, WEFT_DIAG_CHECKING, memory_order_relaxed);
    return st;
}

weft_status_t weft__check_verdict(struct weft_comm *comm)
{
    weft_diag_t *d = &comm->diag;
    const weft_check_rec_t *mine = &d->check_mine;
    d->run_sigs = d->sigs;
    atomic_store_explicit(&d->stage, WEFT_DIAG_RUNNING, memory_order_relaxed);
    for (int p = 0; p < comm->nranks; p++) {
        const weft_check_rec_t *r = &d->check_all[p];
        if (p == comm->rank)
            continue;
        if (weft__sig_agree(&mine->first, &r->first) && r->ncalls == mine->ncalls &&
            r->hash == mine->hash)
            continue;
        if (weft__sig_agree(&mine->first, &r->first)) {
            char how[128];
            snprintf(how, sizeof(how), "found by WEFT_CHECK=1 before any data moved: the "
                     "groups differ, %u calls here and %u there", mine->ncalls, r->ncalls);
            return weft__sig_mismatch(comm, p, &mine->first, &r->first, how);
        }
        return weft__sig_mismatch(comm, p, &mine->first, &r->first,
                                  "found by WEFT_CHECK=1 before any data moved");
    }
    return WEFT_OK;
}
