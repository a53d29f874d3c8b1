/*
 * barrier.c - dissemination barrier and the point-to-point schedules.
 *
 * Barrier: in round k rank r signals r + 2^k and waits for a signal from
 * r - 2^k; each round's signal is sent, and counted as arrived, only after
 * the previous round's arrived (without that chain a rank could leave having
 * heard from only part of the ranks: the verifier caught it).  After ceil(log2 n) rounds every rank has heard, directly or
 * through others, from every rank.  Signals are zero-byte messages.
 * Cost: ceil(log2 n) alpha.
 *
 * Send and receive: one step each; the transport pipelines large messages.
 */
#include "algo/algo.h"
#include "algo/pattern.h"

#include <string.h>

static int32_t signal_step(weft_sched_t *s, weft_step_kind_t kind, int peer, int32_t dep)
{
    weft_step_t st;
    memset(&st, 0, sizeof(st));
    st.kind = (uint8_t)kind;
    st.dtype = WEFT_UINT8;
    st.flags = WEFT_STEP_F_SIGNAL;
    st.peer = peer;
    return weft__sched_add(s, &st, &dep, 1);
}

weft_status_t weft__gen_barrier_dissemination(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "dissemination";
    int n = a->nranks, r = a->rank;
    int32_t heard = WEFT_NO_STEP;
    for (int d = 1; d < n; d *= 2) {
        signal_step(s, WEFT_STEP_SEND, weft__mod(r + d, n), heard);
        /* Chained: a round's signal carries what every earlier round heard. */
        heard = signal_step(s, WEFT_STEP_RECV, weft__mod(r - d, n), heard);
    }
    return s->status;
}

weft_status_t weft__gen_send(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "direct";
    weft__sched_send(s, a->root, weft__region(0, 0, a->count), a->dt, NULL, 0);
    return s->status;
}

weft_status_t weft__gen_recv(const weft_coll_args_t *a, weft_sched_t *s)
{
    s->algo = "direct";
    weft__sched_recv(s, a->root, weft__region(1, 0, a->count), a->dt, NULL, 0);
    return s->status;
}
