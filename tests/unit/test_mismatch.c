/*
 * test_mismatch.c - ranks that disagree on a call: count, datatype, op,
 * root, or the collective itself.  Two thread-ranks each call what their
 * side of the case says, on buffers with guard bytes on both sides.
 *
 * With WEFT_CHECK_FULL (signatures compared before any data moves) every
 * rank must return WEFT_ERR_INVALID_USAGE, and its message must show both
 * signatures: this rank's call and the peer's.  With the header check
 * (the default) the same is required of every case in which both ranks
 * receive (all-reduce, all-gather) -- a rank may have read the bad header
 * itself, or have been told by its peer, which found it first (then its
 * message quotes the peer's: "rank 1 found that ...: [... this rank
 * called ...; rank 0 called ...]"); a root disagreement, where both think
 * they only send, is the full check's.  In every case no byte outside the
 * buffers may change, and the next call on the communicator fails too.
 */
#include "diag_util.h"

enum { C_ALLREDUCE, C_ALLGATHER, C_BROADCAST };

typedef struct {
    int coll;
    size_t count;
    weft_datatype_t dt;
    weft_op_t op;
    int root;
} call_t;

typedef struct {
    const char *name;
    call_t side[2];
    int header_too; /* both ranks receive: the header check must catch it on both */
} case_t;

static const case_t cases[] = {
    {"count", {{C_ALLREDUCE, 1000, WEFT_FLOAT32, WEFT_SUM, 0},
               {C_ALLREDUCE, 999, WEFT_FLOAT32, WEFT_SUM, 0}}, 1},
    {"datatype", {{C_ALLREDUCE, 100, WEFT_FLOAT32, WEFT_SUM, 0},
                  {C_ALLREDUCE, 100, WEFT_INT32, WEFT_SUM, 0}}, 1},
    {"op", {{C_ALLREDUCE, 100, WEFT_FLOAT32, WEFT_SUM, 0},
            {C_ALLREDUCE, 100, WEFT_FLOAT32, WEFT_MAX, 0}}, 1},
    {"root", {{C_BROADCAST, 100, WEFT_FLOAT32, WEFT_SUM, 0},
              {C_BROADCAST, 100, WEFT_FLOAT32, WEFT_SUM, 1}}, 0},
    {"collective", {{C_ALLREDUCE, 100, WEFT_FLOAT32, WEFT_SUM, 0},
                    {C_ALLGATHER, 50, WEFT_FLOAT32, WEFT_SUM, 0}}, 1},
    {"large count", {{C_ALLREDUCE, 300000, WEFT_FLOAT32, WEFT_SUM, 0},
                     {C_ALLREDUCE, 1000, WEFT_FLOAT32, WEFT_SUM, 0}}, 1},
};

typedef struct {
    const call_t *call;
    unsigned char *send, *recv;
    size_t send_bytes, recv_bytes;
    weft_status_t after;
} side_t;

static size_t esize(weft_datatype_t dt)
{
    return dt == WEFT_FLOAT64 ? 8 : 4;
}

static void mismatch_body(party_t *x)
{
    side_t *s = x->user;
    const call_t *c = s->call;
    void *in = s->send + GUARD, *out = s->recv + GUARD;
    if (c->coll == C_ALLREDUCE)
        x->st = weft_allreduce(in, out, c->count, c->dt, c->op, x->comm, NULL);
    else if (c->coll == C_ALLGATHER)
        x->st = weft_allgather(in, out, c->count, c->dt, x->comm, NULL);
    else
        x->st = weft_broadcast(in, out, c->count, c->dt, c->root, x->comm, NULL);
    snprintf(x->msg, sizeof(x->msg), "%s", weft_last_error());
    s->after = weft_barrier(x->comm);
}

static void run_case(const case_t *k, int check)
{
    weft_config_t cfg = WEFT_CONFIG_INITIALIZER;
    cfg.timeout_s = 20;
    cfg.check = check;
    party_t x[2];
    side_t s[2];
    if (parties_init(x, 2, &cfg) != 0)
        return;
    warm_up_all(x, 2);
    for (int r = 0; r < 2; r++) {
        const call_t *c = &k->side[r];
        size_t b = c->count * esize(c->dt);
        s[r] = (side_t){c, guarded(b), guarded(c->coll == C_ALLGATHER ? 2 * b : b), b,
                        c->coll == C_ALLGATHER ? 2 * b : b, WEFT_OK};
        x[r].user = &s[r];
    }
    parties_run(x, 2, mismatch_body);
    const char *mode = check == WEFT_CHECK_FULL ? "full" : "header";
    for (int r = 0; r < 2; r++) {
        printf("  %s/%s: rank %d: %s: %s\n", k->name, mode, r, weft_status_string(x[r].st),
               x[r].msg);
        if (check == WEFT_CHECK_FULL || k->header_too) {
            char peer[32], self[32], told[64];
            snprintf(peer, sizeof(peer), "rank %d called ", 1 - r);
            snprintf(self, sizeof(self), "rank %d called ", r);
            snprintf(told, sizeof(told), "rank %d found that the ranks disagree", 1 - r);
            const char *m = x[r].msg;
            int both = strstr(m, "this rank called ") != NULL &&
                       (strstr(m, peer) != NULL || (strstr(m, told) && strstr(m, self)));
            CHECK(x[r].st == WEFT_ERR_INVALID_USAGE, "%s/%s: rank %d returned %s", k->name,
                  mode, r, weft_status_string(x[r].st));
            CHECK(both, "%s/%s: rank %d's message lacks both signatures", k->name, mode, r);
        }
        CHECK(x[r].st == WEFT_OK || s[r].after != WEFT_OK,
              "%s/%s: rank %d: the call after the failure succeeded", k->name, mode, r);
        CHECK(guards_intact(s[r].send, s[r].send_bytes), "%s/%s: rank %d: bytes around sendbuf "
              "changed", k->name, mode, r);
        CHECK(guards_intact(s[r].recv, s[r].recv_bytes), "%s/%s: rank %d: bytes around recvbuf "
              "changed", k->name, mode, r);
    }
    parties_end(x, 2);
    for (int r = 0; r < 2; r++) {
        free(s[r].send);
        free(s[r].recv);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_case(&cases[i], WEFT_CHECK_FULL);
        run_case(&cases[i], WEFT_CHECK_DEFAULT);
    }
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
