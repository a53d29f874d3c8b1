/*
 * sig.c - signatures of calls (see diag.h): choosing the check level,
 * signing the calls of a run, and saying in words how two ranks' calls
 * differ.
 *
 * Signing costs a few stores per call: the executor hands each request a
 * pointer to its call's signature and the transport copies 24 bytes into
 * a header it writes anyway.  The receiver's comparison is a handful of
 * integer compares on a line it reads anyway.
 */
#include "core/comm.h"
#include "core/diag.h"
#include "reduce/reduce.h"
#include "util/config.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int weft__diag_check_level(int requested)
{
    if (requested == WEFT_CHECK_OFF || requested == WEFT_CHECK_HEADER ||
        requested == WEFT_CHECK_FULL)
        return requested;
    const char *v = weft__config_str(WEFT_CFG_CHECK);
    if (strcmp(v, "0") == 0 || strcasecmp(v, "off") == 0)
        return WEFT_CHECK_OFF;
    if (strcmp(v, "1") == 0 || strcasecmp(v, "full") == 0)
        return WEFT_CHECK_FULL;
    if (v[0] != '\0' && strcasecmp(v, "header") != 0)
        WEFT_WARN("WEFT_CHECK=\"%s\" is not 0, header or 1; using header", v);
    return WEFT_CHECK_HEADER;
}

weft_status_t weft__diag_init(weft_diag_t *d, int nranks, int check)
{
    memset(d, 0, sizeof(*d));
    d->check = check;
    d->peer_seen = calloc((size_t)nranks, sizeof(*d->peer_seen));
    if (d->peer_seen == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "peer table for %d ranks", nranks);
    if (check == WEFT_CHECK_FULL) {
        d->check_all = calloc((size_t)nranks, sizeof(*d->check_all));
        if (d->check_all == NULL)
            return weft__error(WEFT_ERR_NO_MEMORY, "signature table for %d ranks", nranks);
    }
    return WEFT_OK;
}

void weft__diag_free(weft_diag_t *d)
{
    free((void *)d->peer_seen);
    free(d->sigs);
    free(d->check_all);
    d->peer_seen = NULL;
    d->sigs = NULL;
    d->check_all = NULL;
    d->run_sigs = NULL;
}

static int is_p2p(weft_coll_t c)
{
    return c == WEFT_COLL_SEND || c == WEFT_COLL_RECV;
}

weft_status_t weft__diag_begin(struct weft_comm *comm, const weft_op_desc_t *ops, int n)
{
    weft_diag_t *d = &comm->diag;
    if ((uint32_t)n > d->sigs_cap) {
        weft_wire_sig_t *s = realloc(d->sigs, (size_t)n * sizeof(*s));
        if (s == NULL)
            return weft__error(WEFT_ERR_NO_MEMORY, "signatures of %d calls", n);
        d->sigs = s;
        d->sigs_cap = (uint32_t)n;
    }
    for (int i = 0; i < n; i++) {
        const weft_coll_args_t *a = &ops[i].args;
        int p2p = is_p2p(a->coll);
        if (!p2p)
            comm->seq++;
        d->sigs[i] = (weft_wire_sig_t){comm->seq,
                                       a->count,
                                       (uint8_t)a->coll,
                                       (uint8_t)a->dt,
                                       (uint8_t)a->op,
                                       (uint8_t)(WEFT_SIG_F_PRESENT | (p2p ? WEFT_SIG_F_P2P : 0)),
                                       a->root};
    }
    d->nsigs = (uint32_t)n;
    d->run_sigs = d->check == WEFT_CHECK_OFF ? NULL : d->sigs;
    atomic_store_explicit(&d->running_seq, d->sigs[0].seq, memory_order_relaxed);
    atomic_store_explicit(&d->last_seq, comm->seq, memory_order_relaxed);
    atomic_store_explicit(&d->stage, WEFT_DIAG_RUNNING, memory_order_relaxed);
    /* WEFT_CHECK=0 turns the liveness board off too: "off" is then the
     * library without any of this, for measuring what it costs. */
    for (int t = 0; t < WEFT_NUM_TP && d->check != WEFT_CHECK_OFF; t++) {
        if (comm->tp[t] != NULL)
            comm->tp[t]->ops->announce(comm->tp[t], comm->seq);
    }
    return WEFT_OK;
}

void weft__diag_end(struct weft_comm *comm)
{
    atomic_store_explicit(&comm->diag.stage, WEFT_DIAG_IDLE, memory_order_relaxed);
    atomic_store_explicit(&comm->diag.running_seq, 0, memory_order_relaxed);
}

void weft__sig_format(const weft_wire_sig_t *s, char *buf, size_t len)
{
    if (!(s->flags & WEFT_SIG_F_PRESENT)) {
        snprintf(buf, len, "(unsigned: WEFT_CHECK=0 there)");
        return;
    }
    if (s->coll == WEFT_SIG_COLL_CHECK) {
        snprintf(buf, len, "the signature exchange of #%llu (WEFT_CHECK=1 there)",
                 (unsigned long long)s->seq);
        return;
    }
    const char *name = s->coll <= WEFT_COLL_BARRIER ? weft__coll_name((weft_coll_t)s->coll) : "?";
    const char *dt = weft__dtype_valid(s->dtype) ? weft__dtype_name((weft_datatype_t)s->dtype)
                                                 : "?";
    const char *op = weft__op_valid(s->op) ? weft__op_name((weft_op_t)s->op) : "?";
    unsigned long long seq = (unsigned long long)s->seq, n = (unsigned long long)s->count;
    switch (s->coll) {
    case WEFT_COLL_SEND:
    case WEFT_COLL_RECV:
        snprintf(buf, len, "%s (%llu x %s, peer %d)", name, n, dt, (int)s->root);
        break;
    case WEFT_COLL_BROADCAST: snprintf(buf, len, "%s #%llu (%llu x %s, root %d)", name, seq, n, dt, (int)s->root); break;
    case WEFT_COLL_REDUCE:
        snprintf(buf, len, "%s #%llu (%llu x %s, %s, root %d)", name, seq, n, dt, op,
                 (int)s->root);
        break;
    case WEFT_COLL_ALLGATHER: snprintf(buf, len, "%s #%llu (%llu x %s)", name, seq, n, dt); break;
    case WEFT_COLL_BARRIER: snprintf(buf, len, "%s #%llu", name, seq); break;
    default: snprintf(buf, len, "%s #%llu (%llu x %s, %s)", name, seq, n, dt, op); break;
    }
}

weft_status_t weft__sig_mismatch(struct weft_comm *comm, int peer, const weft_wire_sig_t *mine,
                                 const weft_wire_sig_t *theirs, const char *how)
{
    char a[128], b[128];
    weft__sig_format(mine, a, sizeof(a));
    weft__sig_format(theirs, b, sizeof(b));
    return weft__error(WEFT_ERR_INVALID_USAGE,
                       "rank %d/%d: the ranks disagree on a call (%s): this rank called %s; "
                       "rank %d called %s. Every rank must issue the same collectives in the "
                       "same order with matching count, datatype, op and root", comm->rank,
                       comm->nranks, how, a, peer, b);
}
