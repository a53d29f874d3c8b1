/*
 * test_mismatch_spread.c - a mismatch found by one rank reaches every rank,
 * with its reason, under the default (header) check.
 *
 * Three or four thread-ranks call a broadcast (or a reduce) from root 0;
 * one non-root rank, the odd one, calls it with another count.  Only the
 * rank that reads a message from the odd one -- or the odd one itself,
 * reading its parent's -- sees a disagreeing header; the others would see
 * nothing wrong.  Each rank then calls a barrier.  Required of every rank:
 *   - its broadcast, or else its barrier, returns WEFT_ERR_INVALID_USAGE
 *     (the root, which only sends, at its barrier: diag.h says why), and
 *     the message shows both signatures ("broadcast #3 (999 x float32,
 *     root 0)" and "... (1000 x ...)");
 *   - a rank that did not read the bad header itself names the rank that
 *     did ("rank k found that the ranks disagree"): the reason travelled;
 *   - the barrier after a failed call fails too, with the text as well;
 *   - no byte around its buffers changed.
 * The reason of another failure travels too: in 4 ranks, rank 1 aborts
 * its communicator while the others call a barrier; each of them must
 * return WEFT_ERR_REMOTE naming rank 1 and quoting its report.
 * ctest runs it over shared memory and, with WEFT_SHM_DISABLE=1, over
 * sockets (tests/multirank.cmake).  Nothing here depends on timing: a rank
 * learns of a failure when it waits on a failed rank, at any speed.
 */
#include "diag_util.h"

typedef struct {
    const char *name;
    int nranks, odd, reduce; /* the odd rank's count differs; reduce or broadcast */
    size_t count, odd_count;
} spread_case_t;

static const spread_case_t cases[] = {
    {"bcast n4 rank 2 short", 4, 2, 0, 1000, 999},
    {"bcast n4 rank 1 long", 4, 1, 0, 1000, 1001},
    {"bcast n4 rank 3 large", 4, 3, 0, 300000, 299999},
    {"bcast n3 rank 1 short", 3, 1, 0, 1000, 999},
    {"reduce n4 leaf 3 short", 4, 3, 1, 1000, 999},
    {"reduce n4 rank 1 long", 4, 1, 1, 1000, 1001},
};

typedef struct {
    const spread_case_t *k;
    unsigned char *buf, *out;
    size_t bytes;
    weft_status_t st[2];
    char msg[2][1024];
} spread_rank_t;

static void spread_body(party_t *x)
{
    spread_rank_t *s = x->user;
    const spread_case_t *k = s->k;
    size_t count = x->rank == k->odd ? k->odd_count : k->count;
    if (k->reduce)
        s->st[0] = weft_reduce(s->buf + GUARD, s->out + GUARD, count, WEFT_FLOAT32, WEFT_SUM, 0,
                               x->comm, NULL);
    else
        s->st[0] = weft_broadcast(s->buf + GUARD, s->buf + GUARD, count, WEFT_FLOAT32, 0,
                                  x->comm, NULL);
    snprintf(s->msg[0], sizeof(s->msg[0]), "%s", weft_last_error());
    s->st[1] = weft_barrier(x->comm);
    snprintf(s->msg[1], sizeof(s->msg[1]), "%s", weft_last_error());
}

/* Rank r's first failing call returned WEFT_ERR_INVALID_USAGE with both
 * signatures, the call after it failed too, and its buffers' guards are
 * intact.  Returns the rank it names as the one that found the mismatch:
 * itself if it read the bad header, -1 if it names none. */
static int check_rank(const spread_case_t *k, int r, const spread_rank_t *s, const char *sig_odd,
                      const char *sig_rest)
{
    int first = s->st[0] != WEFT_OK ? 0 : 1;
    const char *msg = s->msg[first];
    CHECK(s->st[first] == WEFT_ERR_INVALID_USAGE, "%s: rank %d: %s returned %s, not "
          "WEFT_ERR_INVALID_USAGE: %s", k->name, r, first ? "the barrier after" : "the call",
          weft_status_string(s->st[first]), msg);
    CHECK(strstr(msg, sig_odd) != NULL && strstr(msg, sig_rest) != NULL,
          "%s: rank %d's message lacks \"%s\" or \"%s\": %s", k->name, r, sig_odd, sig_rest, msg);
    if (first == 0)
        CHECK(s->st[1] != WEFT_OK && strstr(s->msg[1], sig_odd) != NULL &&
                  strstr(s->msg[1], sig_rest) != NULL,
              "%s: rank %d: the call after the failure returned %s without both signatures: %s",
              k->name, r, weft_status_string(s->st[1]), s->msg[1]);
    CHECK(guards_intact(s->buf, s->bytes) && guards_intact(s->out, s->bytes),
          "%s: rank %d: bytes around its buffers changed", k->name, r);
    /* The detecting rank's own words, or another's quoted, naming it. */
    const char *told = strstr(msg, " found that the ranks disagree on a call");
    if (told == NULL)
        return strstr(msg, "the ranks disagree on a call (seen in the header") != NULL ? r : -1;
    const char *at = told;
    while (at > msg && at[-1] >= '0' && at[-1] <= '9')
        at--;
    return at > msg + 5 && strncmp(at - 5, "rank ", 5) == 0 ? atoi(at) : -1;
}

static void run_case(const spread_case_t *k)
{
    weft_config_t cfg = WEFT_CONFIG_INITIALIZER;
    cfg.timeout_s = 30;
    party_t x[4];
    spread_rank_t s[4];
    if (parties_init(x, k->nranks, &cfg) != 0)
        return;
    warm_up_all(x, k->nranks);
    for (int r = 0; r < k->nranks; r++) {
        size_t bytes = (r == k->odd ? k->odd_count : k->count) * sizeof(float);
        s[r] = (spread_rank_t){.k = k, .buf = guarded(bytes), .out = guarded(bytes),
                               .bytes = bytes};
        x[r].user = &s[r];
    }
    parties_run(x, k->nranks, spread_body);
    char sig_odd[96], sig_rest[96];
    const char *coll = k->reduce ? "reduce" : "broadcast", *op = k->reduce ? ", sum" : "";
    snprintf(sig_odd, sizeof(sig_odd), "%s #3 (%zu x float32%s, root 0)", coll, k->odd_count, op);
    snprintf(sig_rest, sizeof(sig_rest), "%s #3 (%zu x float32%s, root 0)", coll, k->count, op);
    int named[4], told = 0;
    for (int r = 0; r < k->nranks; r++) {
        for (int c = 0; c < 2; c++)
            printf("  %s: rank %d %s: %s: %s\n", k->name, r, c ? "barrier" : coll,
                   weft_status_string(s[r].st[c]), s[r].msg[c]);
        named[r] = check_rank(k, r, &s[r], sig_odd, sig_rest);
    }
    /* Every rank that did not find it names one that did. */
    for (int r = 0; r < k->nranks; r++) {
        int d = named[r];
        CHECK(d >= 0 && d < k->nranks && named[d] == d, "%s: rank %d names rank %d as the one "
              "that found the mismatch, which it did not", k->name, r, d);
        told += d != r;
    }
    CHECK(told > 0, "%s: no rank learned of the mismatch from another", k->name);
    parties_end(x, k->nranks);
    for (int r = 0; r < k->nranks; r++) {
        free(s[r].buf);
        free(s[r].out);
    }
}

static void abort_body(party_t *x)
{
    if (x->rank == 1) {
        x->st = weft_comm_abort(x->comm);
        x->comm = NULL; /* aborted: nothing left to destroy */
    } else {
        x->st = weft_barrier(x->comm);
    }
    snprintf(x->msg, sizeof(x->msg), "%s", weft_last_error());
}

static void run_abort(void)
{
    weft_config_t cfg = WEFT_CONFIG_INITIALIZER;
    cfg.timeout_s = 30;
    party_t x[4];
    if (parties_init(x, 4, &cfg) != 0)
        return;
    warm_up_all(x, 4);
    parties_run(x, 4, abort_body);
    for (int r = 0; r < 4; r++) {
        printf("  abort: rank %d: %s: %s\n", r, weft_status_string(x[r].st), x[r].msg);
        if (r == 1) {
            CHECK(x[r].st == WEFT_OK, "abort: weft_comm_abort returned %s",
                  weft_status_string(x[r].st));
            continue;
        }
        CHECK(x[r].st == WEFT_ERR_REMOTE && strstr(x[r].msg, "rank 1 aborted its communicator") &&
                  strstr(x[r].msg, "weft_comm_abort was called"),
              "abort: rank %d does not report rank 1's abort with its reason: %s: %s", r,
              weft_status_string(x[r].st), x[r].msg);
    }
    parties_end(x, 4);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
    run_abort();
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
