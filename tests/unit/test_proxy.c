/*
 * test_proxy.c - the proxy of stream-ordered calls (core/proxy.h) driven
 * with host calls, no GPU: the test plays the stream (it says when a call
 * is ready and when the stream has passed it) and the calls record the
 * order they ran in.
 *
 *  - calls run in issue order whatever order they become ready in, on
 *    several proxies at once;
 *  - a failing call records its message, fails every later call without
 *    running it, and later issues are refused with it;
 *  - abort fails queued calls at once while one still runs;
 *  - stop (destroy) lets outstanding calls finish, and destroy waits for
 *    streams that pass late;
 *  - a call its stream never reaches fails at the deadline, and a GPU
 *    that gave up waiting fails the communicator, while the staging stays
 *    held until the running call ends;
 * test_proxy_layout.c has where each collective sits in staging.
 */
#include "core/proxy.h"
#include "test_check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CALLS 64

typedef struct {
    pthread_mutex_t lock;
    int order[MAX_CALLS], nrun;
    volatile uint32_t flag[MAX_CALLS];
    _Atomic int released[MAX_CALLS];
    _Atomic int gate; /* a call with `blocks` set runs until this is 1 */
    int fail_at, blocks_at;
    uint32_t heartbeat;
    weft_proxy_op_t *ops[MAX_CALLS];
} bench_t;

typedef struct {
    bench_t *b;
    int id;
} call_t;

static call_t calls[4][MAX_CALLS];

static weft_status_t run(void *arg, char *why, size_t len)
{
    call_t *c = arg;
    if (c->id == c->b->blocks_at) {
        while (!atomic_load(&c->b->gate))
            usleep(1000);
    }
    pthread_mutex_lock(&c->b->lock);
    c->b->order[c->b->nrun++] = c->id;
    pthread_mutex_unlock(&c->b->lock);
    if (c->id == c->b->fail_at) {
        snprintf(why, len, "call %d: peer 3 vanished", c->id);
        return WEFT_ERR_REMOTE;
    }
    return WEFT_OK;
}

static void release(void *arg)
{
    call_t *c = arg;
    atomic_store(&c->b->released[c->id], 1);
}

static weft_proxy_t *start(bench_t *b, double timeout_s)
{
    memset(b, 0, sizeof(*b));
    pthread_mutex_init(&b->lock, NULL);
    b->fail_at = b->blocks_at = -1;
    weft_proxy_config_t config = {.timeout_s = timeout_s, .heartbeat = &b->heartbeat};
    weft_proxy_t *p = NULL;
    CHECK(weft__proxy_create(&config, &p) == WEFT_OK, "create: %s", weft_last_error());
    return p;
}

static void issue(weft_proxy_t *p, bench_t *b, int slot, int n)
{
    for (int i = 0; i < n; i++) {
        calls[slot][i] = (call_t){b, i};
        weft_proxy_work_t w = {run, release, &calls[slot][i], &b->flag[i], "test_call"};
        CHECK(weft__proxy_issue(p, &w, &b->ops[i]) == WEFT_OK, "issue %d: %s", i,
              weft_last_error());
    }
}

static void pass_all(bench_t *b, int n)
{
    for (int i = 0; i < n; i++)
        weft__proxy_op_passed(b->ops[i], 0);
}

static void test_fifo(void)
{
    enum { N = 3, CALLS = 40 };
    bench_t b[N];
    weft_proxy_t *p[N];
    for (int k = 0; k < N; k++) {
        p[k] = start(&b[k], 10);
        issue(p[k], &b[k], k, CALLS);
    }
    /* Ready in reverse, interleaved across the proxies. */
    for (int i = CALLS - 1; i >= 0; i--)
        for (int k = 0; k < N; k++)
            weft__proxy_op_ready(b[k].ops[i]);
    for (int k = 0; k < N; k++) {
        CHECK(weft__proxy_quiesce(p[k], "test") == WEFT_OK, "quiesce: %s", weft_last_error());
        CHECK(b[k].nrun == CALLS, "proxy %d ran %d calls", k, b[k].nrun);
        for (int i = 0; i < b[k].nrun; i++)
            CHECK(b[k].order[i] == i, "proxy %d: call %d ran %d-th", k, b[k].order[i], i);
        for (int i = 0; i < CALLS; i++)
            CHECK(b[k].flag[i] == WEFT_PROXY_DONE, "proxy %d call %d flag %u", k, i, b[k].flag[i]);
        CHECK(b[k].heartbeat >= 2 * CALLS, "heartbeat %u", b[k].heartbeat);
        CHECK(!atomic_load(&b[k].released[0]), "released before its stream passed it");
        pass_all(&b[k], CALLS);
        weft__proxy_stop(p[k], 0);
        CHECK(weft__proxy_destroy(p[k], 5) == 1, "destroy kept the proxy");
        CHECK(atomic_load(&b[k].released[CALLS - 1]), "never released");
    }
}

static void test_failure(void)
{
    bench_t b;
    weft_proxy_t *p = start(&b, 10);
    b.fail_at = 1;
    issue(p, &b, 0, 3);
    for (int i = 0; i < 3; i++)
        weft__proxy_op_ready(b.ops[i]);
    weft_status_t st = weft__proxy_quiesce(p, "test");
    CHECK(st == WEFT_ERR_REMOTE && strstr(weft_last_error(), "peer 3 vanished") != NULL,
          "quiesce: %d %s", st, weft_last_error());
    CHECK(b.nrun == 2, "%d calls ran; the one after the failure must not", b.nrun);
    CHECK(b.flag[0] == WEFT_PROXY_DONE && b.flag[1] == WEFT_PROXY_FAILED &&
              b.flag[2] == WEFT_PROXY_FAILED,
          "flags %u %u %u", b.flag[0], b.flag[1], b.flag[2]);
    char msg[256];
    CHECK(weft__proxy_error(p, msg, sizeof(msg)) == WEFT_ERR_REMOTE && strstr(msg, "vanished"),
          "recorded: %s", msg);
    weft_proxy_op_t *late = NULL;
    weft_proxy_work_t w = {run, release, &calls[0][0], &b.flag[10], "late"};
    CHECK(weft__proxy_issue(p, &w, &late) == WEFT_ERR_REMOTE, "issue after a failure");
    pass_all(&b, 3);
    weft__proxy_stop(p, 0);
    CHECK(weft__proxy_destroy(p, 5) == 1, "destroy kept the proxy");
}

static void wait_flag(volatile uint32_t *flag, double max_s, const char *what)
{
    for (int ms = 0; *flag == WEFT_PROXY_PENDING && ms < max_s * 1000; ms++)
        usleep(1000);
    CHECK(*flag == WEFT_PROXY_FAILED, "%s: flag %u", what, *flag);
}

static void test_abort(void)
{
    bench_t b;
    weft_proxy_t *p = start(&b, 10);
    b.blocks_at = 0;
    issue(p, &b, 0, 4);
    for (int i = 0; i < 3; i++) /* call 3's stream never gets there */
        weft__proxy_op_ready(b.ops[i]);
    usleep(20000);
    weft__proxy_stop(p, 1);
    for (int i = 1; i < 4; i++)
        wait_flag(&b.flag[i], 1.0, "queued call after abort");
    CHECK(b.flag[0] == WEFT_PROXY_PENDING, "the running call completed before it ended");
    atomic_store(&b.gate, 1); /* what `dying` does to a running call */
    pass_all(&b, 4);
    CHECK(weft__proxy_destroy(p, 5) == 1, "destroy kept the proxy");
    CHECK(b.nrun == 1, "%d calls ran after abort", b.nrun);
}

static void *late_stream(void *arg)
{
    bench_t *b = arg;
    usleep(150000);
    for (int i = 0; i < 3; i++)
        weft__proxy_op_ready(b->ops[i]);
    usleep(150000);
    pass_all(b, 3);
    return NULL;
}

static void test_destroy_outstanding(void)
{
    bench_t b;
    weft_proxy_t *p = start(&b, 10);
    issue(p, &b, 0, 3);
    pthread_t t;
    pthread_create(&t, NULL, late_stream, &b);
    weft__proxy_stop(p, 0); /* drains: the calls run when their stream comes */
    CHECK(b.nrun == 3 && b.flag[2] == WEFT_PROXY_DONE, "drained %d calls", b.nrun);
    CHECK(weft__proxy_destroy(p, 5) == 1, "destroy did not wait for the late stream");
    CHECK(atomic_load(&b.released[2]), "not released");
    pthread_join(t, NULL);
}

static void test_deadline(void)
{
    bench_t b;
    weft_proxy_t *p = start(&b, 0.3);
    issue(p, &b, 0, 2);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    weft_status_t st = weft__proxy_quiesce(p, "test");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CHECK(st == WEFT_ERR_TIMEOUT && strstr(weft_last_error(), "did not reach") != NULL,
          "deadline: %d %s", st, weft_last_error());
    CHECK(s > 0.25 && s < 3, "the deadline of 0.3 s came after %.2f s", s);
    CHECK(b.flag[0] == WEFT_PROXY_FAILED && b.flag[1] == WEFT_PROXY_FAILED, "flags");
    CHECK(b.nrun == 0, "a call ran that never became ready");
    pass_all(&b, 2);
    weft__proxy_stop(p, 0);
    CHECK(weft__proxy_destroy(p, 5) == 1, "destroy kept the proxy");

    /* The GPU gives up while the call still runs: the staging stays held. */
    p = start(&b, 10);
    b.blocks_at = 0;
    issue(p, &b, 0, 1);
    weft__proxy_op_ready(b.ops[0]);
    usleep(20000);
    weft__proxy_op_passed(b.ops[0], 1);
    char msg[256];
    CHECK(weft__proxy_error(p, msg, sizeof(msg)) == WEFT_ERR_TIMEOUT && strstr(msg, "GPU"),
          "gave up: %s", msg);
    CHECK(!atomic_load(&b.released[0]), "released while the proxy still uses it");
    atomic_store(&b.gate, 1);
    weft__proxy_stop(p, 0);
    CHECK(weft__proxy_destroy(p, 5) == 1, "destroy kept the proxy");
    CHECK(atomic_load(&b.released[0]), "never released");
}

int main(void)
{
    test_fifo();
    test_failure();
    test_abort();
    test_destroy_outstanding();
    test_deadline();
    if (failures)
        fprintf(stderr, "test_proxy: %d failures\n", failures);
    else
        printf("test_proxy: ok\n");
    return failures ? 1 : 0;
}
