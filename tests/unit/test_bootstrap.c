/*
 * test_bootstrap.c - the bootstrap with ranks as threads of this process:
 * communicators of 1..16 ranks run allgather, broadcast from every root and
 * barrier for several rounds; garbage ids are refused naming "id";
 * strangers at the root's port (garbage, a wrong secret, silence, another
 * wire version -- told both versions --, a bad rank) are refused while the
 * real ranks still meet; a
 * missing rank, a dead peer and mismatched calls end in errors at their
 * deadlines, never in a hang.  Prints the time a 16-rank bootstrap takes.
 */
#include "bootstrap/bootstrap.h"
#include "bootstrap/proto.h"
#include "util/config.h"
#include "util/time.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

enum { RUN_COLLS, RUN_INIT_ONLY, RUN_LEAVE, RUN_BARRIER, RUN_ALLGATHER };

typedef struct {
    weft_unique_id_t id;
    int rank, nranks, rounds, mode;
    uint64_t deadline_ns;
    weft_status_t init_st, coll_st;
    char err[512];
    int bad; /* wrong data seen */
} rank_t;

static void note(rank_t *r, weft_status_t st, weft_status_t *slot)
{
    *slot = st;
    if (st != WEFT_OK && r->err[0] == '\0')
        snprintf(r->err, sizeof(r->err), "%s", weft_last_error());
}

/* Several rounds of every collective, checking every byte received. */
static weft_status_t run_colls(rank_t *r, weft_bootstrap_t *bs)
{
    int n = r->nranks;
    uint64_t *all = calloc((size_t)n, sizeof(uint64_t));
    uint8_t *big = calloc((size_t)n, 1500), mine[1500], buf[3000];
    weft_status_t st = WEFT_OK;
    for (int round = 0; round < r->rounds && st == WEFT_OK; round++) {
        uint64_t v = (uint64_t)r->rank * 1000003u + (uint64_t)round;
        st = weft__bootstrap_allgather(bs, &v, all, sizeof(v), r->deadline_ns);
        for (int q = 0; q < n && st == WEFT_OK; q++)
            r->bad += all[q] != (uint64_t)q * 1000003u + (uint64_t)round;
        for (int i = 0; i < 1500; i++)
            mine[i] = (uint8_t)(r->rank + i + round);
        if (st == WEFT_OK)
            st = weft__bootstrap_allgather(bs, mine, big, 1500, r->deadline_ns);
        for (int q = 0; q < n && st == WEFT_OK; q++)
            for (int i = 0; i < 1500; i++)
                r->bad += big[(size_t)q * 1500 + (size_t)i] != (uint8_t)(q + i + round);
        for (int root = 0; root < n && st == WEFT_OK; root++) {
            size_t len = root == n - 1 ? sizeof(buf) : 16;
            for (size_t i = 0; i < len; i++)
                buf[i] = r->rank == root ? (uint8_t)(root * 31 + round + (int)i) : 0;
            st = weft__bootstrap_bcast(bs, buf, len, root, r->deadline_ns);
            for (size_t i = 0; i < len && st == WEFT_OK; i++)
                r->bad += buf[i] != (uint8_t)(root * 31 + round + (int)i);
        }
        if (st == WEFT_OK)
            st = weft__bootstrap_barrier(bs, r->deadline_ns);
    }
    free(all);
    free(big);
    return st;
}

static void *rank_main(void *arg)
{
    rank_t *r = arg;
    weft_bootstrap_t *bs = NULL;
    note(r, weft__bootstrap_init(&r->id, r->rank, r->nranks, r->deadline_ns, &bs), &r->init_st);
    if (r->init_st != WEFT_OK)
        return NULL;
    uint64_t dummy = 0;
    switch (r->mode) {
    case RUN_COLLS:
        note(r, run_colls(r, bs), &r->coll_st);
        break;
    case RUN_BARRIER:
        note(r, weft__bootstrap_barrier(bs, r->deadline_ns), &r->coll_st);
        break;
    case RUN_ALLGATHER: {
        uint64_t all[64];
        note(r, weft__bootstrap_allgather(bs, &dummy, all, 8, r->deadline_ns), &r->coll_st);
        break;
    }
    default:
        break;
    }
    weft__bootstrap_destroy(bs);
    return NULL;
}

/* Runs ranks [0, n) of a communicator of nranks (some may be left out by
 * the caller) in threads; returns the wall time in ms. */
static double run_ranks(rank_t *ranks, int n)
{
    pthread_t *t = calloc((size_t)n, sizeof(pthread_t));
    uint64_t t0 = weft__now_ns();
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, rank_main, &ranks[i]);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    free(t);
    return (double)(weft__now_ns() - t0) / 1e6;
}

static rank_t *make_ranks(const weft_unique_id_t *id, int nranks, int mode, double seconds)
{
    rank_t *ranks = calloc((size_t)nranks, sizeof(rank_t));
    for (int i = 0; i < nranks; i++) {
        ranks[i].id = *id;
        ranks[i].rank = i;
        ranks[i].nranks = nranks;
        ranks[i].rounds = 3;
        ranks[i].mode = mode;
        ranks[i].deadline_ns = weft__deadline_after(seconds);
    }
    return ranks;
}

/* A whole communicator; returns ms from root start to the last join. */
static double run_comm(int nranks, int mode)
{
    uint64_t t0 = weft__now_ns();
    weft_unique_id_t id;
    CHECK(weft__bootstrap_root_start(&id) == WEFT_OK, "root_start: %s", weft_last_error());
    rank_t *ranks = make_ranks(&id, nranks, mode, 20);
    run_ranks(ranks, nranks);
    double ms = (double)(weft__now_ns() - t0) / 1e6;
    for (int i = 0; i < nranks; i++) {
        CHECK(ranks[i].init_st == WEFT_OK && ranks[i].coll_st == WEFT_OK && ranks[i].bad == 0,
              "nranks %d rank %d: init %d coll %d bad %d: %s", nranks, i, ranks[i].init_st,
              ranks[i].coll_st, ranks[i].bad, ranks[i].err);
    }
    free(ranks);
    return ms;
}

static void wait_roots(double seconds)
{
    uint64_t dl = weft__deadline_after(seconds);
    while (weft__bootstrap_roots_live() > 0 && !weft__deadline_passed(dl))
        usleep(10000);
    CHECK(weft__bootstrap_roots_live() == 0, "%d root threads still running",
          weft__bootstrap_roots_live());
}

static void test_sizes(void)
{
    static const int sizes[] = {1, 2, 3, 4, 5, 8, 16};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        double ms = run_comm(sizes[i], RUN_COLLS);
        printf("nranks %2d: bootstrap + 3 rounds of collectives: %.1f ms\n", sizes[i], ms);
    }
    wait_roots(5);
    double ms[7];
    for (int k = 0; k < 7; k++) {
        ms[k] = run_comm(16, RUN_INIT_ONLY);
        for (int j = k; j > 0 && ms[j] < ms[j - 1]; j--) {
            double t = ms[j];
            ms[j] = ms[j - 1];
            ms[j - 1] = t;
        }
    }
    printf("16-rank bootstrap init (root start to all joined, 7 runs): best %.2f ms, median "
           "%.2f ms, worst %.2f ms\n",
           ms[0], ms[3], ms[6]);
    wait_roots(5);
}

/* --- roots at a given address (weft_comm_init_env) ---------------------- */

static void run_at(const char *what, const struct sockaddr_storage *addr)
{
    uint8_t secret[WEFT_SECRET_BYTES];
    memset(secret, 0x42, sizeof(secret));
    weft_unique_id_t id;
    weft_status_t st = weft__bootstrap_root_start_at(addr, secret, &id);
    if (st != WEFT_OK && addr->ss_family == AF_INET6) {
        printf("root at %s: skipped (%s)\n", what, weft_last_error());
        return;
    }
    CHECK(st == WEFT_OK, "root at %s: %s", what, weft_last_error());
    if (st != WEFT_OK)
        return;
    weft__uid_t uid;
    CHECK(weft__uid_decode(&id, &uid) == WEFT_OK &&
              memcmp(uid.secret, secret, WEFT_SECRET_BYTES) == 0 &&
              uid.root_addr.ss_family == addr->ss_family,
          "root at %s: the id", what);
    rank_t *ranks = make_ranks(&id, 4, RUN_COLLS, 20);
    run_ranks(ranks, 4);
    for (int i = 0; i < 4; i++)
        CHECK(ranks[i].init_st == WEFT_OK && ranks[i].coll_st == WEFT_OK && ranks[i].bad == 0,
              "root at %s, rank %d: %s", what, i, ranks[i].err);
    free(ranks);
}

static void test_root_at(void)
{
    struct sockaddr_storage a;
    weft__net_parse_hostport("127.0.0.1:1", "X", &a);
    ((struct sockaddr_in *)&a)->sin_port = 0;
    run_at("127.0.0.1", &a);
    weft__net_parse_hostport("[::1]:1", "X", &a);
    ((struct sockaddr_in6 *)&a)->sin6_port = 0;
    run_at("[::1]", &a);
    char ifname[32];
    if (weft__net_pick_addr(&a, ifname) == WEFT_OK)
        run_at(ifname, &a); /* bound as the wildcard */
}

/* --- ids that are not ids ---------------------------------------------- */

static void expect_bad_id(const weft_unique_id_t *id, const char *what)
{
    weft_bootstrap_t *bs = NULL;
    weft_status_t st = weft__bootstrap_init(id, 0, 2, weft__deadline_after(1), &bs);
    CHECK(st == WEFT_ERR_INVALID_ARGUMENT, "%s: status %d", what, st);
    CHECK(strstr(weft_last_error(), "id") != NULL, "%s: message \"%s\" names id", what,
          weft_last_error());
    CHECK(bs == NULL, "%s: no bootstrap", what);
}

static void test_bad_ids(void)
{
    weft_unique_id_t id, good;
    weft__uid_t uid = {0}, back;
    weft__net_parse_hostport("127.0.0.1:9", "X", &uid.root_addr);
    memset(uid.secret, 0x5a, sizeof(uid.secret));
    CHECK(weft__uid_encode(&uid, &good) == WEFT_OK, "encode");
    CHECK(weft__uid_decode(&good, &back) == WEFT_OK && back.magic == WEFT_UID_MAGIC &&
              memcmp(back.secret, uid.secret, WEFT_SECRET_BYTES) == 0 &&
              ((struct sockaddr_in *)&back.root_addr)->sin_port == htons(9),
          "round trip");
    weft__uid_t v6 = uid;
    weft__net_parse_hostport("[fd00::2]:65000", "X", &v6.root_addr);
    CHECK(weft__uid_encode(&v6, &id) == WEFT_OK && weft__uid_decode(&id, &back) == WEFT_OK &&
              back.root_addr.ss_family == AF_INET6,
          "v6 round trip");

    for (int k = 0; k < 20; k++) {
        weft__random_bytes(&id, sizeof(id));
        expect_bad_id(&id, "random bytes");
    }
    memset(&id, 0, sizeof(id));
    expect_bad_id(&id, "zeros");
    id = good;
    id.internal[0] ^= 0x01;
    expect_bad_id(&id, "flipped magic");
    id = good;
    id.internal[40] ^= 0x80;
    expect_bad_id(&id, "flipped secret bit");
    id = good;
    id.internal[127] = 1;
    expect_bad_id(&id, "trailing byte");
    id = good;
    id.internal[4] = 9;
    expect_bad_id(&id, "another version");
    expect_bad_id(NULL, "NULL");

    weft_bootstrap_t *bs;
    CHECK(weft__bootstrap_init(&good, 2, 2, weft__deadline_after(1), &bs) ==
              WEFT_ERR_INVALID_ARGUMENT,
          "rank 2 of 2");
    CHECK(weft__bootstrap_init(&good, 0, 0, weft__deadline_after(1), &bs) ==
              WEFT_ERR_INVALID_ARGUMENT,
          "nranks 0");
}

/* --- strangers at the root's port -------------------------------------- */

static int connect_to(const struct sockaddr_storage *a)
{
    int fd = -1;
    if (weft__net_connect(a, weft__deadline_after(5), &fd) != WEFT_OK)
        fprintf(stderr, "stranger cannot connect: %s\n", weft_last_error());
    return fd;
}

static int send_hello(const struct sockaddr_storage *root, const uint8_t *secret, int rank,
                      int nranks, uint16_t version)
{
    int fd = connect_to(root);
    uint8_t msg[WEFT_WIRE_HDR_BYTES + WEFT_HELLO_BYTES];
    weft__wire_hdr_t hdr = {WEFT_WIRE_MAGIC, version, WEFT_MSG_ROOT_HELLO, WEFT_HELLO_BYTES, 0};
    weft__wire_hdr_pack(&hdr, msg);
    weft__hello_t h = {.rank = (uint32_t)rank, .nranks = (uint32_t)nranks};
    memcpy(h.secret, secret, WEFT_SECRET_BYTES);
    struct sockaddr_storage me;
    weft__net_parse_hostport("127.0.0.1:1", "X", &me);
    weft__net_addr_pack(&me, h.addr);
    weft__hello_pack(&h, msg + WEFT_WIRE_HDR_BYTES);
    weft__net_send_all(fd, msg, sizeof(msg), weft__deadline_after(5));
    return fd;
}

/* The root closed this stranger's connection (EOF or reset, no data). */
static int closed_by_root(int fd)
{
    char c;
    uint64_t dl = weft__deadline_after(5);
    weft_status_t st = weft__net_recv_all(fd, &c, 1, dl);
    return st == WEFT_ERR_REMOTE;
}

static void test_strangers(void)
{
    weft_unique_id_t id;
    weft__uid_t uid;
    CHECK(weft__bootstrap_root_start(&id) == WEFT_OK, "root_start");
    weft__uid_decode(&id, &uid);

    int garbage = connect_to(&uid.root_addr);
    const char http[] = "GET / HTTP/1.0\r\n\r\n";
    weft__net_send_all(garbage, http, sizeof(http), weft__deadline_after(1));
    int silent = connect_to(&uid.root_addr);
    uint8_t wrong[WEFT_SECRET_BYTES];
    weft__random_bytes(wrong, sizeof(wrong));
    int bad_secret = send_hello(&uid.root_addr, wrong, 0, 3, WEFT_WIRE_VERSION);
    int old_version = send_hello(&uid.root_addr, uid.secret, 0, 3, 7);
    int bad_rank = send_hello(&uid.root_addr, uid.secret, 99, 2, WEFT_WIRE_VERSION);

    /* The one that knew the secret is told why. */
    weft__wire_hdr_t hdr;
    char why[WEFT_REFUSED_MAX_BYTES + 1] = "";
    CHECK(weft__net_recv_hdr(bad_rank, WEFT_MSG_REFUSED, WEFT_REFUSED_MAX_BYTES, &hdr,
                             weft__deadline_after(5)) == WEFT_OK &&
              weft__net_recv_all(bad_rank, why, hdr.length, weft__deadline_after(1)) == WEFT_OK &&
              strstr(why, "out of range") != NULL,
          "a bad rank is told why: \"%s\"", why);

    rank_t *ranks = make_ranks(&id, 3, RUN_COLLS, 20);
    run_ranks(ranks, 3);
    for (int i = 0; i < 3; i++)
        CHECK(ranks[i].init_st == WEFT_OK && ranks[i].coll_st == WEFT_OK && ranks[i].bad == 0,
              "rank %d with strangers around: %s", i, ranks[i].err);
    free(ranks);
    CHECK(closed_by_root(garbage), "garbage closed");
    CHECK(closed_by_root(bad_secret), "wrong secret closed");
    char vwhy[WEFT_REFUSED_MAX_BYTES + 1] = "", ours[32];
    snprintf(ours, sizeof(ours), "version %d", WEFT_WIRE_VERSION);
    CHECK(weft__net_recv_hdr(old_version, WEFT_MSG_REFUSED, WEFT_REFUSED_MAX_BYTES, &hdr,
                             weft__deadline_after(5)) == WEFT_OK &&
              weft__net_recv_all(old_version, vwhy, hdr.length, weft__deadline_after(1)) ==
                  WEFT_OK &&
              strstr(vwhy, "version 7") != NULL && strstr(vwhy, ours) != NULL,
          "another wire version is told both versions: \"%s\"", vwhy);
    CHECK(closed_by_root(old_version), "other wire version closed");
    CHECK(closed_by_root(silent), "silent client closed once the rendezvous completed");
    close(garbage);
    close(silent);
    close(bad_secret);
    close(old_version);
    close(bad_rank);
}

/* --- failures end in errors, not hangs --------------------------------- */

/* Starts a root whose own deadline (WEFT_TIMEOUT) is short, so that it ends
 * within the test when its communicator never forms. */
static void short_root(weft_unique_id_t *id)
{
    setenv("WEFT_TIMEOUT", "2", 1);
    weft__config_reload();
    CHECK(weft__bootstrap_root_start(id) == WEFT_OK, "root_start");
    setenv("WEFT_TIMEOUT", "60", 1);
    weft__config_reload();
}

static void test_missing_rank(void)
{
    weft_unique_id_t id;
    short_root(&id);
    rank_t *ranks = make_ranks(&id, 3, RUN_INIT_ONLY, 1.0);
    double ms = run_ranks(ranks, 2); /* rank 2 never comes */
    for (int i = 0; i < 2; i++)
        CHECK(ranks[i].init_st == WEFT_ERR_TIMEOUT && strstr(ranks[i].err, "not every rank"),
              "rank %d without rank 2: %d %s", i, ranks[i].init_st, ranks[i].err);
    CHECK(ms > 900 && ms < 2500, "the missing rank was noticed after %.0f ms", ms);
    free(ranks);
}

static void test_wrong_nranks(void)
{
    weft_unique_id_t id;
    short_root(&id);
    rank_t *ranks = make_ranks(&id, 2, RUN_INIT_ONLY, 1.5);
    ranks[1].nranks = 3;
    run_ranks(ranks, 2);
    int refused = 0, timed_out = 0;
    for (int i = 0; i < 2; i++) {
        refused += ranks[i].init_st == WEFT_ERR_INVALID_USAGE && strstr(ranks[i].err, "refused");
        timed_out += ranks[i].init_st == WEFT_ERR_TIMEOUT;
    }
    CHECK(refused == 1 && timed_out == 1, "disagreeing nranks: %d (%s) / %d (%s)", ranks[0].init_st,
          ranks[0].err, ranks[1].init_st, ranks[1].err);
    free(ranks);
}

/* Rank `leaver` leaves right after init; the others' barrier must fail
 * with WEFT_ERR_REMOTE well before their deadline. */
static void test_peer_leaves(int leaver)
{
    weft_unique_id_t id;
    CHECK(weft__bootstrap_root_start(&id) == WEFT_OK, "root_start");
    rank_t *ranks = make_ranks(&id, 3, RUN_BARRIER, 10);
    ranks[leaver].mode = RUN_LEAVE;
    double ms = run_ranks(ranks, 3);
    for (int i = 0; i < 3; i++) {
        if (i == leaver)
            continue;
        CHECK(ranks[i].init_st == WEFT_OK && ranks[i].coll_st == WEFT_ERR_REMOTE,
              "rank %d after rank %d left: init %d barrier %d: %s", i, leaver, ranks[i].init_st,
              ranks[i].coll_st, ranks[i].err);
    }
    CHECK(ms < 5000, "the departure of rank %d took %.0f ms to notice", leaver, ms);
    free(ranks);
}

static void test_mismatch(void)
{
    weft_unique_id_t id;
    CHECK(weft__bootstrap_root_start(&id) == WEFT_OK, "root_start");
    rank_t *ranks = make_ranks(&id, 2, RUN_BARRIER, 10);
    ranks[1].mode = RUN_ALLGATHER;
    run_ranks(ranks, 2);
    CHECK(ranks[0].coll_st == WEFT_ERR_INVALID_USAGE && strstr(ranks[0].err, "do not match"),
          "hub sees the mismatch: %d %s", ranks[0].coll_st, ranks[0].err);
    CHECK(ranks[1].coll_st == WEFT_ERR_REMOTE, "rank 1 hears of it: %d %s", ranks[1].coll_st,
          ranks[1].err);
    free(ranks);
}

static void test_failures(void)
{
    test_missing_rank();
    test_wrong_nranks();
    test_peer_leaves(2);
    test_peer_leaves(0);
    test_mismatch();
}

int main(void)
{
    test_sizes();
    test_root_at();
    test_bad_ids();
    test_strangers();
    test_failures();
    wait_roots(10);
    if (failures) {
        fprintf(stderr, "test_bootstrap: %d failures\n", failures);
        return 1;
    }
    printf("test_bootstrap: ok\n");
    return 0;
}
