/*
 * test_inherit.c - communicators made by weft_comm_split and
 * weft_comm_shrink keep their parent's weft_config_t.
 *
 * Two thread-ranks join a parent with timeout_s = 1.5 and check = full,
 * neither of which the environment says (ctest sets WEFT_TIMEOUT=60 and no
 * WEFT_CHECK).  From it, by split and by a shrink that excludes nobody:
 *   check    a child in which the ranks disagree on a broadcast's root
 *            (each names itself): both only send, so the header check
 *            sees nothing; the full check must make both return
 *            WEFT_ERR_INVALID_USAGE "found by WEFT_CHECK=1";
 *   timeout  a child in which rank 1 does not call the all-reduce: rank 0
 *            must return WEFT_ERR_TIMEOUT saying "no progress for 1.5 s",
 *            the parent's deadline, not the environment's 60 s.
 * ctest also runs it over sockets (tests/multirank.cmake).  No timing is
 * asserted: the deadline is read from the message.
 */
#include "diag_util.h"

#include <unistd.h>

enum { BY_SPLIT, BY_SHRINK };

typedef struct {
    int how;
    weft_status_t made, st;
    char msg[1024];
} kid_t;

static _Atomic int rank0_done;

static weft_status_t make_child(party_t *x, int how, weft_comm_t *child_p)
{
    *child_p = NULL;
    if (how == BY_SPLIT)
        return weft_comm_split(x->comm, 0, x->rank, child_p);
    return weft_comm_shrink(x->comm, NULL, 0, child_p);
}

/* Each rank calls itself the root: only the full check can tell. */
static void check_body(party_t *x)
{
    kid_t *k = x->user;
    weft_comm_t child;
    float v[4] = {1, 2, 3, 4};
    k->made = make_child(x, k->how, &child);
    snprintf(k->msg, sizeof(k->msg), "%s", weft_last_error());
    if (k->made != WEFT_OK)
        return;
    k->st = weft_broadcast(v, v, 4, WEFT_FLOAT32, x->rank, child, NULL);
    snprintf(k->msg, sizeof(k->msg), "%s", weft_last_error());
    weft_comm_destroy(child);
}

/* Rank 1 stays out of the call until rank 0 has given up (bounded). */
static void timeout_body(party_t *x)
{
    kid_t *k = x->user;
    weft_comm_t child;
    float v[2] = {1, 2};
    k->made = make_child(x, k->how, &child);
    snprintf(k->msg, sizeof(k->msg), "%s", weft_last_error());
    if (k->made != WEFT_OK) {
        atomic_store(&rank0_done, 1);
        return;
    }
    if (x->rank == 0) {
        k->st = weft_allreduce(v, v, 2, WEFT_FLOAT32, WEFT_SUM, child, NULL);
        snprintf(k->msg, sizeof(k->msg), "%s", weft_last_error());
        atomic_store(&rank0_done, 1);
    } else {
        for (int i = 0; i < 3000 && !atomic_load(&rank0_done); i++)
            usleep(10000);
    }
    weft_comm_destroy(child);
}

static void run(int how)
{
    const char *name = how == BY_SPLIT ? "split" : "shrink";
    weft_config_t cfg = WEFT_CONFIG_INITIALIZER;
    cfg.timeout_s = 1.5;
    cfg.check = WEFT_CHECK_FULL;
    party_t x[2];
    kid_t k[2];
    if (parties_init(x, 2, &cfg) != 0)
        return;
    for (int r = 0; r < 2; r++) {
        k[r] = (kid_t){how, WEFT_OK, WEFT_OK, ""};
        x[r].user = &k[r];
    }
    parties_run(x, 2, check_body);
    for (int r = 0; r < 2; r++) {
        printf("  %s/check: rank %d: %s: %s\n", name, r, weft_status_string(k[r].st), k[r].msg);
        CHECK(k[r].made == WEFT_OK, "%s: rank %d: no child: %s", name, r, k[r].msg);
        CHECK(k[r].st == WEFT_ERR_INVALID_USAGE && strstr(k[r].msg, "found by WEFT_CHECK=1"),
              "%s: rank %d: the child did not run the parent's full check", name, r);
    }
    atomic_store(&rank0_done, 0);
    parties_run(x, 2, timeout_body);
    printf("  %s/timeout: rank 0: %s: %s\n", name, weft_status_string(k[0].st), k[0].msg);
    CHECK(k[0].made == WEFT_OK && k[1].made == WEFT_OK, "%s: no child: %s / %s", name, k[0].msg,
          k[1].msg);
    CHECK(k[0].st == WEFT_ERR_TIMEOUT && strstr(k[0].msg, "no progress for 1.5 s") != NULL,
          "%s: the child's timeout is not the parent's 1.5 s", name);
    parties_end(x, 2);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    run(BY_SPLIT);
    run(BY_SHRINK);
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
