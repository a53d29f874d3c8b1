/*
 * test_api_errors.c - bad input to the public API: each call must return
 * the documented status, leave its output parameter alone, and set a
 * weft_last_error() that names the bad argument; nothing may crash.
 *
 * Argument checks that need no peer run on a one-rank communicator from
 * weft_comm_init_all.  Then handles that are NULL, destroyed or aborted
 * (WEFT_ERR_INVALID_USAGE, no use after free: run it under AddressSanitizer
 * too), weft_group_end without a start, splits with WEFT_SPLIT_NOCOLOR and
 * a negative color.  Last, "ranks disagree": two thread-ranks call the same
 * collective with different counts; every rank that receives must get an
 * error within the timeout (ctest sets WEFT_TIMEOUT=5) and no byte outside
 * either rank's buffers may be written.  In all-reduce, all-gather and
 * reduce-scatter both ranks receive, so both must fail.  A rank that only
 * sends (the root of a 2-rank broadcast, the non-root of a reduce) may
 * finish first - its message is buffered before the receiver checks the
 * size - and weft.h does not promise that it sees the disagreement: that
 * is printed as a NOTE, not counted as a failure.
 */
#include <weft.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

#define ANY_ERROR ((weft_status_t)1000)

/* Checks a status and that the last error mentions `name`. */
static void expect_at(int line, const char *call, weft_status_t got, weft_status_t want,
                      const char *name)
{
    const char *msg = weft_last_error();
    int status_ok = want == ANY_ERROR ? got != WEFT_OK : got == want;
    int msg_ok = name == NULL || (msg != NULL && strstr(msg, name) != NULL);
    if (status_ok && msg_ok)
        return;
    failures++;
    fprintf(stderr, "FAIL line %d: %s returned %s (%d), expected %s; last error \"%s\"%s%s%s\n",
            line, call, weft_status_string(got), (int)got,
            want == ANY_ERROR ? "an error" : weft_status_string(want), msg ? msg : "(null)",
            msg_ok ? "" : " does not name \"", msg_ok ? "" : name, msg_ok ? "" : "\"");
}
#define EXPECT(call, want, name) expect_at(__LINE__, #call, (call), (want), (name))
#define EXPECT_ARG(call, name) EXPECT(call, WEFT_ERR_INVALID_ARGUMENT, name)

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "FAIL line %d: %s: ", __LINE__, #cond);                                \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
        }                                                                                          \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define SENTINEL ((weft_comm_t)(uintptr_t)0x5e5e5e50)

/* One data-moving call first: the first call on a communicator must not
 * be a no-op (see tests/multirank/mr_edge.c for that crash). */
static void warm_up(weft_comm_t c)
{
    float x = 1, y = 0;
    EXPECT(weft_allreduce(&x, &y, 1, WEFT_FLOAT32, WEFT_SUM, c, NULL), WEFT_OK, NULL);
}

static void test_init_args(void)
{
    weft_unique_id_t id, garbage;
    weft_comm_t comm = SENTINEL, comms[2] = {SENTINEL, SENTINEL};
    int v;
    EXPECT_ARG(weft_get_version(NULL), "version_p");
    EXPECT(weft_get_version(&v), WEFT_OK, NULL);
    CHECK(v == WEFT_VERSION_CODE, "version %d", v);
    EXPECT_ARG(weft_get_unique_id(NULL), "id_p");
    EXPECT(weft_get_unique_id(&id), WEFT_OK, NULL);
    EXPECT_ARG(weft_comm_init_rank(1, &id, 0, NULL), "comm_p");
    EXPECT_ARG(weft_comm_init_rank(1, NULL, 0, &comm), "id");
    EXPECT_ARG(weft_comm_init_rank(0, &id, 0, &comm), "nranks");
    EXPECT_ARG(weft_comm_init_rank(-1, &id, 0, &comm), "nranks");
    EXPECT_ARG(weft_comm_init_rank(2, &id, -1, &comm), "rank");
    EXPECT_ARG(weft_comm_init_rank(2, &id, 2, &comm), "rank");
    /* Garbage ids fail at once, without waiting for a root. */
    double t0 = now_s();
    memset(&garbage, 0, sizeof(garbage));
    EXPECT_ARG(weft_comm_init_rank(1, &garbage, 0, &comm), "id");
    srand(12345);
    for (size_t i = 0; i < sizeof(garbage.internal); i++)
        garbage.internal[i] = (char)(rand() & 0xff);
    EXPECT_ARG(weft_comm_init_rank(1, &garbage, 0, &comm), "id");
    garbage = id;
    garbage.internal[40] ^= 0x04; /* one flipped bit of the secret */
    EXPECT_ARG(weft_comm_init_rank(1, &garbage, 0, &comm), "id");
    CHECK(now_s() - t0 < 2, "garbage ids took %.1f s to be refused", now_s() - t0);
    CHECK(comm == SENTINEL, "comm_p was written by a failed init");
    EXPECT_ARG(weft_comm_init_all(1, NULL, NULL), "comms");
    EXPECT_ARG(weft_comm_init_all(0, NULL, comms), "nranks");
    EXPECT_ARG(weft_comm_init_all(-1, NULL, comms), "nranks");
    CHECK(comms[0] == SENTINEL && comms[1] == SENTINEL, "comms were written by a failed init");
    EXPECT_ARG(weft_comm_init_env(NULL), "comm_p");
    /* No launcher variables here (ctest sets none): the error says what to set. */
    if (getenv("WEFT_RANK") == NULL && getenv("OMPI_COMM_WORLD_RANK") == NULL &&
        getenv("SLURM_PROCID") == NULL && getenv("RANK") == NULL)
        EXPECT_ARG(weft_comm_init_env(&comm), "WEFT_RANK");
}

/* NULL comm, unknown datatype and op, stream on a host build. */
static void test_types(weft_comm_t c)
{
    float a[16] = {0}, b[16] = {0};
    const weft_datatype_t bad_dt[] = {(weft_datatype_t)99, (weft_datatype_t)-1,
                                      (weft_datatype_t)WEFT_NUM_DATATYPES};
    const weft_op_t bad_op[] = {(weft_op_t)99, (weft_op_t)-1, (weft_op_t)WEFT_NUM_OPS};
    weft_stream_t s = (weft_stream_t)(uintptr_t)0x1234;
    EXPECT_ARG(weft_allreduce(a, b, 4, WEFT_FLOAT32, WEFT_SUM, NULL, NULL), "comm");
    EXPECT_ARG(weft_allgather(a, b, 4, WEFT_FLOAT32, NULL, NULL), "comm");
    EXPECT_ARG(weft_reduce_scatter(a, b, 4, WEFT_FLOAT32, WEFT_SUM, NULL, NULL), "comm");
    EXPECT_ARG(weft_broadcast(a, b, 4, WEFT_FLOAT32, 0, NULL, NULL), "comm");
    EXPECT_ARG(weft_reduce(a, b, 4, WEFT_FLOAT32, WEFT_SUM, 0, NULL, NULL), "comm");
    EXPECT_ARG(weft_send(a, 4, WEFT_FLOAT32, 1, NULL, NULL), "comm");
    EXPECT_ARG(weft_recv(a, 4, WEFT_FLOAT32, 1, NULL, NULL), "comm");
    EXPECT_ARG(weft_barrier(NULL), "comm");
    for (size_t i = 0; i < sizeof(bad_dt) / sizeof(bad_dt[0]); i++) {
        weft_datatype_t d = bad_dt[i];
        EXPECT_ARG(weft_allreduce(a, b, 4, d, WEFT_SUM, c, NULL), "datatype");
        EXPECT_ARG(weft_allgather(a, b, 4, d, c, NULL), "datatype");
        EXPECT_ARG(weft_reduce_scatter(a, b, 4, d, WEFT_SUM, c, NULL), "datatype");
        EXPECT_ARG(weft_broadcast(a, b, 4, d, 0, c, NULL), "datatype");
        EXPECT_ARG(weft_reduce(a, b, 4, d, WEFT_SUM, 0, c, NULL), "datatype");
        EXPECT_ARG(weft_send(a, 4, d, 0, c, NULL), "datatype");
        EXPECT_ARG(weft_recv(a, 4, d, 0, c, NULL), "datatype");
    }
    for (size_t i = 0; i < sizeof(bad_op) / sizeof(bad_op[0]); i++) {
        weft_op_t o = bad_op[i];
        EXPECT_ARG(weft_allreduce(a, b, 4, WEFT_FLOAT32, o, c, NULL), "op");
        EXPECT_ARG(weft_reduce_scatter(a, b, 4, WEFT_FLOAT32, o, c, NULL), "op");
        EXPECT_ARG(weft_reduce(a, b, 4, WEFT_FLOAT32, o, 0, c, NULL), "op");
    }
    EXPECT(weft_allreduce(a, b, 4, WEFT_FLOAT32, WEFT_SUM, c, s), WEFT_ERR_UNSUPPORTED, "stream");
    EXPECT(weft_allgather(a, b, 4, WEFT_FLOAT32, c, s), WEFT_ERR_UNSUPPORTED, "stream");
    EXPECT(weft_reduce_scatter(a, b, 4, WEFT_FLOAT32, WEFT_SUM, c, s), WEFT_ERR_UNSUPPORTED,
           "stream");
    EXPECT(weft_broadcast(a, b, 4, WEFT_FLOAT32, 0, c, s), WEFT_ERR_UNSUPPORTED, "stream");
    EXPECT(weft_reduce(a, b, 4, WEFT_FLOAT32, WEFT_SUM, 0, c, s), WEFT_ERR_UNSUPPORTED, "stream");
    EXPECT(weft_send(a, 4, WEFT_FLOAT32, 1, c, s), ANY_ERROR, NULL);
    EXPECT(weft_recv(a, 4, WEFT_FLOAT32, 1, c, s), ANY_ERROR, NULL);
    /* Both bad: the stream of a peer-less call is refused too. */
    EXPECT(weft_allreduce(a, a, 0, WEFT_FLOAT32, WEFT_SUM, c, s), WEFT_ERR_UNSUPPORTED, "stream");
}

/* Roots, peers, sizes that overflow, NULL buffers, overlap. */
static void test_ranges(weft_comm_t c)
{
    float a[64] = {0}, b[64] = {0};
    const size_t huge[] = {SIZE_MAX / 2, SIZE_MAX, SIZE_MAX / 4 + 1};
    EXPECT_ARG(weft_broadcast(a, b, 4, WEFT_FLOAT32, -1, c, NULL), "root");
    EXPECT_ARG(weft_broadcast(a, b, 4, WEFT_FLOAT32, 1, c, NULL), "root");
    EXPECT_ARG(weft_reduce(a, b, 4, WEFT_FLOAT32, WEFT_SUM, -1, c, NULL), "root");
    EXPECT_ARG(weft_reduce(a, b, 4, WEFT_FLOAT32, WEFT_SUM, 1, c, NULL), "root");
    EXPECT_ARG(weft_send(a, 4, WEFT_FLOAT32, -1, c, NULL), "peer");
    EXPECT_ARG(weft_send(a, 4, WEFT_FLOAT32, 1, c, NULL), "peer");
    EXPECT_ARG(weft_send(a, 4, WEFT_FLOAT32, 0, c, NULL), "peer"); /* itself */
    EXPECT_ARG(weft_recv(a, 4, WEFT_FLOAT32, -1, c, NULL), "peer");
    EXPECT_ARG(weft_recv(a, 4, WEFT_FLOAT32, 1, c, NULL), "peer");
    EXPECT_ARG(weft_recv(a, 4, WEFT_FLOAT32, 0, c, NULL), "peer");
    for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
        size_t n = huge[i];
        EXPECT_ARG(weft_allreduce(a, b, n, WEFT_FLOAT32, WEFT_SUM, c, NULL), "count");
        EXPECT_ARG(weft_allgather(a, b, n, WEFT_FLOAT32, c, NULL), "sendcount");
        EXPECT_ARG(weft_reduce_scatter(a, b, n, WEFT_FLOAT32, WEFT_SUM, c, NULL), "recvcount");
        EXPECT_ARG(weft_broadcast(a, b, n, WEFT_FLOAT32, 0, c, NULL), "count");
        EXPECT_ARG(weft_reduce(a, b, n, WEFT_FLOAT32, WEFT_SUM, 0, c, NULL), "count");
    }
    /* One-byte elements: only counts above SIZE_MAX / 2 overflow. */
    EXPECT_ARG(weft_allreduce(a, b, SIZE_MAX / 2 + 1, WEFT_INT8, WEFT_SUM, c, NULL), "count");
    EXPECT_ARG(weft_allreduce(a, b, SIZE_MAX, WEFT_UINT8, WEFT_SUM, c, NULL), "count");
    EXPECT_ARG(weft_allreduce(NULL, b, 4, WEFT_FLOAT32, WEFT_SUM, c, NULL), "sendbuf");
    EXPECT_ARG(weft_allreduce(a, NULL, 4, WEFT_FLOAT32, WEFT_SUM, c, NULL), "recvbuf");
    EXPECT_ARG(weft_allgather(NULL, b, 4, WEFT_FLOAT32, c, NULL), "sendbuf");
    EXPECT_ARG(weft_allgather(a, NULL, 4, WEFT_FLOAT32, c, NULL), "recvbuf");
    EXPECT_ARG(weft_reduce_scatter(NULL, b, 4, WEFT_FLOAT32, WEFT_SUM, c, NULL), "sendbuf");
    EXPECT_ARG(weft_reduce_scatter(a, NULL, 4, WEFT_FLOAT32, WEFT_SUM, c, NULL), "recvbuf");
    EXPECT_ARG(weft_broadcast(NULL, b, 4, WEFT_FLOAT32, 0, c, NULL), "sendbuf");
    EXPECT_ARG(weft_broadcast(a, NULL, 4, WEFT_FLOAT32, 0, c, NULL), "recvbuf");
    EXPECT_ARG(weft_reduce(NULL, b, 4, WEFT_FLOAT32, WEFT_SUM, 0, c, NULL), "sendbuf");
    EXPECT_ARG(weft_reduce(a, NULL, 4, WEFT_FLOAT32, WEFT_SUM, 0, c, NULL), "recvbuf");
    /* NULL is fine with count 0. */
    EXPECT(weft_allreduce(NULL, NULL, 0, WEFT_FLOAT32, WEFT_SUM, c, NULL), WEFT_OK, NULL);
    EXPECT(weft_allgather(NULL, NULL, 0, WEFT_FLOAT32, c, NULL), WEFT_OK, NULL);
    EXPECT(weft_reduce_scatter(NULL, NULL, 0, WEFT_FLOAT32, WEFT_SUM, c, NULL), WEFT_OK, NULL);
    EXPECT(weft_broadcast(NULL, NULL, 0, WEFT_FLOAT32, 0, c, NULL), WEFT_OK, NULL);
    EXPECT(weft_reduce(NULL, NULL, 0, WEFT_FLOAT32, WEFT_SUM, 0, c, NULL), WEFT_OK, NULL);
    /* Overlap that is not exactly in place. */
    EXPECT_ARG(weft_allreduce(a + 1, a, 8, WEFT_FLOAT32, WEFT_SUM, c, NULL), "overlap");
    EXPECT_ARG(weft_allreduce(a, a + 1, 8, WEFT_FLOAT32, WEFT_SUM, c, NULL), "overlap");
    EXPECT_ARG(weft_allreduce(a, (char *)a + 2, 8, WEFT_FLOAT32, WEFT_SUM, c, NULL), "overlap");
    EXPECT_ARG(weft_allgather(a + 1, a, 8, WEFT_FLOAT32, c, NULL), "overlap");
    EXPECT_ARG(weft_allgather(a, a + 1, 8, WEFT_FLOAT32, c, NULL), "overlap");
    EXPECT_ARG(weft_reduce_scatter(a, a + 1, 8, WEFT_FLOAT32, WEFT_SUM, c, NULL), "overlap");
    EXPECT_ARG(weft_broadcast(a, a + 3, 8, WEFT_FLOAT32, 0, c, NULL), "overlap");
    EXPECT_ARG(weft_reduce(a + 7, a, 8, WEFT_FLOAT32, WEFT_SUM, 0, c, NULL), "overlap");
    /* Exactly in place, and merely adjacent, are fine. */
    EXPECT(weft_allreduce(a, a, 8, WEFT_FLOAT32, WEFT_SUM, c, NULL), WEFT_OK, NULL);
    EXPECT(weft_allreduce(a, a + 8, 8, WEFT_FLOAT32, WEFT_SUM, c, NULL), WEFT_OK, NULL);
    EXPECT(weft_allgather(a, a, 8, WEFT_FLOAT32, c, NULL), WEFT_OK, NULL);
    EXPECT(weft_reduce_scatter(a, a, 8, WEFT_FLOAT32, WEFT_SUM, c, NULL), WEFT_OK, NULL);
    EXPECT(weft_broadcast(a, a, 8, WEFT_FLOAT32, 0, c, NULL), WEFT_OK, NULL);
    EXPECT(weft_reduce(a, a, 8, WEFT_FLOAT32, WEFT_SUM, 0, c, NULL), WEFT_OK, NULL);
}

/* Point-to-point arguments need a peer: a 2-rank communicator (the calls
 * all fail their checks, so no peer ever has to answer). */
static void test_p2p_args(void)
{
    weft_comm_t cs[2];
    double a[4] = {0};
    if (weft_comm_init_all(2, NULL, cs) != WEFT_OK) {
        CHECK(0, "weft_comm_init_all(2): %s", weft_last_error());
        return;
    }
    EXPECT_ARG(weft_send(NULL, 4, WEFT_FLOAT64, 1, cs[0], NULL), "buf");
    EXPECT_ARG(weft_recv(NULL, 4, WEFT_FLOAT64, 0, cs[1], NULL), "buf");
    EXPECT_ARG(weft_send(a, SIZE_MAX / 2, WEFT_FLOAT64, 1, cs[0], NULL), "count");
    EXPECT_ARG(weft_recv(a, SIZE_MAX, WEFT_FLOAT64, 0, cs[1], NULL), "count");
    EXPECT_ARG(weft_send(a, 4, WEFT_FLOAT64, 2, cs[0], NULL), "peer");
    EXPECT_ARG(weft_recv(a, 4, WEFT_FLOAT64, 1, cs[1], NULL), "peer"); /* itself */
    EXPECT(weft_send(a, 4, WEFT_FLOAT64, 1, cs[0], (weft_stream_t)a), WEFT_ERR_UNSUPPORTED,
           "stream");
    EXPECT_ARG(weft_broadcast(a, a, 4, WEFT_FLOAT64, 2, cs[1], NULL), "root");
    EXPECT_ARG(weft_reduce(a, a, 4, WEFT_FLOAT64, WEFT_MIN, -2, cs[0], NULL), "root");
    for (int r = 0; r < 2; r++)
        EXPECT(weft_comm_destroy(cs[r]), WEFT_OK, NULL);
}

/* Queries, group misuse, splits. */
static void test_misc(weft_comm_t c)
{
    float a[4] = {0};
    weft_comm_t sub = SENTINEL;
    EXPECT_ARG(weft_comm_rank(c, NULL), "rank_p");
    EXPECT_ARG(weft_comm_size(c, NULL), "size_p");
    EXPECT_ARG(weft_comm_get_counters(c, NULL), "counters_p");
    EXPECT(weft_group_end(), WEFT_ERR_INVALID_USAGE, "weft_group_start");
    /* A bad call inside a group fails at once and queues nothing. */
    EXPECT(weft_group_start(), WEFT_OK, NULL);
    EXPECT_ARG(weft_allreduce(a, a, 4, (weft_datatype_t)99, WEFT_SUM, c, NULL), "datatype");
    EXPECT(weft_group_end(), WEFT_OK, NULL);
    EXPECT(weft_group_end(), WEFT_ERR_INVALID_USAGE, "weft_group_start");
    EXPECT_ARG(weft_comm_split(c, 0, 0, NULL), "newcomm_p");
    EXPECT_ARG(weft_comm_split(NULL, 0, 0, &sub), "comm");
    EXPECT_ARG(weft_comm_split(c, -5, 0, &sub), "color");
    CHECK(sub == SENTINEL, "newcomm_p was written by a failed split");
    EXPECT(weft_comm_split(c, WEFT_SPLIT_NOCOLOR, 0, &sub), WEFT_OK, NULL);
    CHECK(sub == NULL, "WEFT_SPLIT_NOCOLOR gave %p, expected NULL", (void *)sub);
    EXPECT(weft_comm_split(c, 3, 0, &sub), WEFT_OK, NULL);
    CHECK(sub != NULL && sub != SENTINEL, "split with color 3 gave no communicator");
    if (sub != NULL && sub != SENTINEL) {
        int r = -1, n = -1;
        weft_comm_rank(sub, &r);
        weft_comm_size(sub, &n);
        CHECK(r == 0 && n == 1, "split of one rank: rank %d of %d", r, n);
        EXPECT(weft_comm_destroy(sub), WEFT_OK, NULL);
    }
    const weft_status_t all[] = {WEFT_OK,
                                 WEFT_IN_PROGRESS,
                                 WEFT_ERR_INVALID_ARGUMENT,
                                 WEFT_ERR_INVALID_USAGE,
                                 WEFT_ERR_SYSTEM,
                                 WEFT_ERR_INTERNAL,
                                 WEFT_ERR_REMOTE,
                                 WEFT_ERR_TIMEOUT,
                                 WEFT_ERR_UNSUPPORTED,
                                 WEFT_ERR_NO_MEMORY,
                                 WEFT_ERR_CUDA,
                                 (weft_status_t)42};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        CHECK(weft_status_string(all[i]) != NULL && weft_status_string(all[i])[0] != '\0',
              "weft_status_string(%d)", (int)all[i]);
}

/* Every call on a destroyed or aborted handle: INVALID_USAGE, no crash. */
static void test_dead_handle(int aborted)
{
    weft_comm_t c;
    float a[4] = {0};
    weft_comm_counters_t ct;
    int v;
    if (weft_comm_init_all(1, NULL, &c) != WEFT_OK) {
        CHECK(0, "weft_comm_init_all(1): %s", weft_last_error());
        return;
    }
    warm_up(c);
    EXPECT(aborted ? weft_comm_abort(c) : weft_comm_destroy(c), WEFT_OK, NULL);
    const weft_status_t U = WEFT_ERR_INVALID_USAGE;
    EXPECT(weft_allreduce(a, a, 4, WEFT_FLOAT32, WEFT_SUM, c, NULL), U, "comm");
    EXPECT(weft_allgather(a, a, 4, WEFT_FLOAT32, c, NULL), U, "comm");
    EXPECT(weft_reduce_scatter(a, a, 4, WEFT_FLOAT32, WEFT_SUM, c, NULL), U, "comm");
    EXPECT(weft_broadcast(a, a, 4, WEFT_FLOAT32, 0, c, NULL), U, "comm");
    EXPECT(weft_reduce(a, a, 4, WEFT_FLOAT32, WEFT_SUM, 0, c, NULL), U, "comm");
    EXPECT(weft_send(a, 4, WEFT_FLOAT32, 0, c, NULL), U, "comm");
    EXPECT(weft_recv(a, 4, WEFT_FLOAT32, 0, c, NULL), U, "comm");
    EXPECT(weft_barrier(c), U, "comm");
    EXPECT(weft_comm_rank(c, &v), U, "comm");
    EXPECT(weft_comm_size(c, &v), U, "comm");
    EXPECT(weft_comm_get_counters(c, &ct), U, "comm");
    weft_comm_t sub = SENTINEL;
    EXPECT(weft_comm_split(c, 0, 0, &sub), U, "comm");
    CHECK(sub == SENTINEL, "split of a dead communicator wrote newcomm_p");
    CHECK(weft_comm_last_algo(c) != NULL, "weft_comm_last_algo of a dead communicator");
    EXPECT(weft_comm_destroy(c), U, "comm");
    EXPECT(weft_comm_abort(c), U, "comm");
    /* Also queued in a group: refused at the call. */
    weft_group_start();
    EXPECT(weft_allreduce(a, a, 4, WEFT_FLOAT32, WEFT_SUM, c, NULL), U, "comm");
    EXPECT(weft_group_end(), WEFT_OK, NULL);
    EXPECT_ARG(weft_comm_destroy(NULL), "comm");
    EXPECT_ARG(weft_comm_abort(NULL), "comm");
}

/* --- ranks disagree on a count ------------------------------------------- */

#define GUARD 4096
enum { D_ALLREDUCE, D_BROADCAST, D_ALLGATHER, D_REDUCE_SCATTER, D_REDUCE };

typedef struct {
    weft_comm_t comm;
    int rank, coll;
    size_t count, esize;
    weft_datatype_t dt;
    unsigned char *send, *recv; /* with GUARD bytes each side */
    size_t send_bytes, recv_bytes;
    weft_status_t st, st_after;
    double seconds;
    char msg[512];
} party_t;

static void *party_main(void *p)
{
    party_t *x = p;
    void *s = x->send + GUARD, *r = x->recv + GUARD;
    warm_up(x->comm);
    double t0 = now_s();
    switch (x->coll) {
    case D_ALLREDUCE:
        x->st = weft_allreduce(s, r, x->count, x->dt, WEFT_SUM, x->comm, NULL);
        break;
    case D_BROADCAST:
        x->st = weft_broadcast(s, r, x->count, x->dt, 0, x->comm, NULL);
        break;
    case D_ALLGATHER:
        x->st = weft_allgather(s, r, x->count, x->dt, x->comm, NULL);
        break;
    case D_REDUCE_SCATTER:
        x->st = weft_reduce_scatter(s, r, x->count, x->dt, WEFT_SUM, x->comm, NULL);
        break;
    default:
        x->st = weft_reduce(s, r, x->count, x->dt, WEFT_SUM, 1, x->comm, NULL);
        break;
    }
    x->seconds = now_s() - t0;
    snprintf(x->msg, sizeof(x->msg), "%s", weft_last_error());
    /* The failure is sticky: the next call fails at once. */
    if (x->st != WEFT_OK)
        x->st_after = weft_barrier(x->comm);
    return NULL;
}

static int guards_intact(const unsigned char *buf, size_t bytes)
{
    for (size_t i = 0; i < GUARD; i++) {
        if (buf[i] != 0xab || buf[GUARD + bytes + i] != 0xab)
            return 0;
    }
    return 1;
}

static void disagree(const char *name, int coll, weft_datatype_t dt, size_t esize,
                     const size_t counts[2])
{
    weft_comm_t comms[2];
    if (weft_comm_init_all(2, NULL, comms) != WEFT_OK) {
        CHECK(0, "weft_comm_init_all(2): %s", weft_last_error());
        return;
    }
    party_t x[2];
    pthread_t th[2];
    for (int r = 0; r < 2; r++) {
        size_t c = counts[r], in = c, out = c;
        if (coll == D_ALLGATHER)
            out = 2 * c;
        if (coll == D_REDUCE_SCATTER)
            in = 2 * c;
        x[r] = (party_t){comms[r], r,          coll,        c,       esize,   dt, NULL,
                         NULL,     in * esize, out * esize, WEFT_OK, WEFT_OK, 0,  ""};
        x[r].send = malloc(x[r].send_bytes + 2 * GUARD);
        x[r].recv = malloc(x[r].recv_bytes + 2 * GUARD);
        memset(x[r].send, 0xab, x[r].send_bytes + 2 * GUARD);
        memset(x[r].send + GUARD, 0x01, x[r].send_bytes);
        memset(x[r].recv, 0xab, x[r].recv_bytes + 2 * GUARD);
        memset(x[r].recv + GUARD, 0x00, x[r].recv_bytes);
    }
    for (int r = 0; r < 2; r++)
        pthread_create(&th[r], NULL, party_main, &x[r]);
    for (int r = 0; r < 2; r++)
        pthread_join(th[r], NULL);
    const char *t = getenv("WEFT_TIMEOUT");
    double limit = (t != NULL ? atof(t) : 300) + 10;
    for (int r = 0; r < 2; r++) {
        printf("  %s: rank %d (count %zu): %s after %.2f s: %s\n", name, r, x[r].count,
               weft_status_string(x[r].st), x[r].seconds, x[r].msg);
        int sends_only = (coll == D_BROADCAST && r == 0) || (coll == D_REDUCE && r != 1);
        if (sends_only && x[r].st == WEFT_OK)
            printf("  NOTE %s: rank %d only sends here and returned WEFT_OK; its peer failed\n",
                   name, r);
        else
            CHECK(x[r].st != WEFT_OK,
                  "%s: rank %d (count %zu) returned WEFT_OK although rank "
                  "%d passed count %zu",
                  name, r, x[r].count, 1 - r, x[1 - r].count);
        CHECK(x[r].seconds < limit, "%s: rank %d took %.1f s (WEFT_TIMEOUT=%s)", name, r,
              x[r].seconds, t ? t : "unset");
        CHECK(x[r].st == WEFT_OK || x[r].st_after != WEFT_OK,
              "%s: rank %d: a call after the failure succeeded", name, r);
        CHECK(guards_intact(x[r].send, x[r].send_bytes),
              "%s: rank %d: bytes around sendbuf were written", name, r);
        CHECK(guards_intact(x[r].recv, x[r].recv_bytes),
              "%s: rank %d: bytes around recvbuf were written", name, r);
        free(x[r].send);
        free(x[r].recv);
        EXPECT(weft_comm_destroy(comms[r]), WEFT_OK, NULL);
    }
}

static void test_disagree(void)
{
    static const size_t c1[2] = {1000, 999}, c2[2] = {100000, 1000}, c3[2] = {1000, 100000},
                        c4[2] = {300000, 299999}, c5[2] = {5000, 4000};
    disagree("allreduce float32 1000 vs 999", D_ALLREDUCE, WEFT_FLOAT32, 4, c1);
    disagree("allreduce float32 100000 vs 1000", D_ALLREDUCE, WEFT_FLOAT32, 4, c2);
    disagree("allreduce float32 1000 vs 100000", D_ALLREDUCE, WEFT_FLOAT32, 4, c3);
    disagree("allreduce int8 300000 vs 299999", D_ALLREDUCE, WEFT_INT8, 1, c4);
    disagree("broadcast float32 100000 vs 1000", D_BROADCAST, WEFT_FLOAT32, 4, c2);
    disagree("allgather int32 5000 vs 4000", D_ALLGATHER, WEFT_INT32, 4, c5);
    disagree("reduce_scatter float64 1000 vs 999", D_REDUCE_SCATTER, WEFT_FLOAT64, 8, c1);
    disagree("reduce float32 1000 vs 100000", D_REDUCE, WEFT_FLOAT32, 4, c3);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_init_args();
    weft_comm_t c;
    if (weft_comm_init_all(1, NULL, &c) != WEFT_OK) {
        fprintf(stderr, "FAIL weft_comm_init_all(1): %s\n", weft_last_error());
        return 1;
    }
    warm_up(c);
    test_types(c);
    test_ranges(c);
    test_misc(c);
    EXPECT(weft_comm_destroy(c), WEFT_OK, NULL);
    test_p2p_args();
    test_dead_handle(0);
    test_dead_handle(1);
    printf("ranks disagree on count:\n");
    test_disagree();
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
