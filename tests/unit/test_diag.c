/*
 * test_diag.c - deadlines, signatures and hang reports, with ranks as
 * threads of this process (ctest also runs it over sockets and with
 * WEFT_CHECK=1: tests/multirank.cmake).
 *
 *   config     weft_comm_init_rank_config: every bad field is refused with
 *              WEFT_ERR_INVALID_ARGUMENT naming it; a good one works.
 *   timeout    3 ranks with a 1.5 s deadline; rank 2 does not call the
 *              all-reduce.  Ranks 0 and 1 must return WEFT_ERR_TIMEOUT
 *              naming the collective, its sequence number and rank 2 --
 *              over shared memory as a peer that never arrived ("still at
 *              #2"), over sockets, which cannot show a peer's arrival, as
 *              one not heard from (never as missing); rank 2, calling it
 *              later, times out too.
 *   report     WEFT_DEBUG_SIGNAL=1: SIGUSR1 while rank 0 waits in an
 *              all-reduce prints a report naming the call and the step.
 * Ranks that disagree on a call are test_mismatch*.c's, a child's
 * inherited deadline test_inherit.c's.  Nothing asserts on timing:
 * deadlines only keep a broken build from hanging.
 */
#include "diag_util.h"

#include <signal.h>
#include <unistd.h>

/* ctest runs this over shared memory and, with WEFT_SHM_DISABLE=1, over
 * sockets: what a timeout can say about a peer depends on which. */
static int over_sockets(void)
{
    const char *v = getenv("WEFT_SHM_DISABLE");
    return v != NULL && strcmp(v, "0") != 0 && v[0] != '\0';
}

/* The clause a message uses for a peer behind the call: known never to
 * have arrived (shm), or not heard from (sockets). */
static const char *behind_clause(void)
{
    return over_sockets() ? "peers not heard from in it, which may have arrived"
                          : "peers that never arrived in it: ";
}

static void test_config(void)
{
    weft_unique_id_t id;
    weft_comm_t c = NULL;
    EXPECT(weft_get_unique_id(&id), WEFT_OK, NULL);
    weft_config_t good = WEFT_CONFIG_INITIALIZER, bad;
    bad = good, bad.size = 4;
    EXPECT(weft_comm_init_rank_config(1, &id, 0, &bad, &c), WEFT_ERR_INVALID_ARGUMENT,
           "config->size");
    bad = good, bad.version = 0;
    EXPECT(weft_comm_init_rank_config(1, &id, 0, &bad, &c), WEFT_ERR_INVALID_ARGUMENT,
           "config->version");
    bad = good, bad.version = WEFT_CONFIG_VERSION + 1;
    EXPECT(weft_comm_init_rank_config(1, &id, 0, &bad, &c), WEFT_ERR_INVALID_ARGUMENT,
           "config->version");
    bad = good, bad.timeout_s = 0.0 / 0.0;
    EXPECT(weft_comm_init_rank_config(1, &id, 0, &bad, &c), WEFT_ERR_INVALID_ARGUMENT,
           "config->timeout_s");
    bad = good, bad.check = 7;
    EXPECT(weft_comm_init_rank_config(1, &id, 0, &bad, &c), WEFT_ERR_INVALID_ARGUMENT,
           "config->check");
    bad = good, bad.check = -1;
    EXPECT(weft_comm_init_rank_config(1, &id, 0, &bad, &c), WEFT_ERR_INVALID_ARGUMENT,
           "config->check");
    EXPECT(weft_comm_init_rank_config(1, NULL, 0, &good, &c), WEFT_ERR_INVALID_ARGUMENT, "id");
    EXPECT(weft_comm_init_rank_config(1, &id, 0, &good, NULL), WEFT_ERR_INVALID_ARGUMENT,
           "comm_p");
    CHECK(c == NULL, "comm_p was written by a failed init");
    good.timeout_s = 5;
    good.check = WEFT_CHECK_FULL;
    EXPECT(weft_comm_init_rank_config(1, &id, 0, &good, &c), WEFT_OK, NULL);
    float x[4] = {1, 2, 3, 4};
    if (c != NULL) {
        EXPECT(weft_allreduce(x, x, 4, WEFT_FLOAT32, WEFT_SUM, c, NULL), WEFT_OK, NULL);
        EXPECT(weft_comm_destroy(c), WEFT_OK, NULL);
    }
    /* NULL config: the defaults, as weft_comm_init_rank. */
    EXPECT(weft_get_unique_id(&id), WEFT_OK, NULL);
    c = NULL;
    EXPECT(weft_comm_init_rank_config(1, &id, 0, NULL, &c), WEFT_OK, NULL);
    if (c != NULL)
        EXPECT(weft_comm_destroy(c), WEFT_OK, NULL);
}

/* --- timeout: rank 2 never comes ------------------------------------------ */

static _Atomic int timeout_done;

static void timeout_body(party_t *x)
{
    float v[2] = {1, 2};
    if (x->rank == 2) {
        /* Arrive only after the others gave up (bounded wait). */
        for (int i = 0; i < 3000 && atomic_load(&timeout_done) < 2; i++)
            usleep(10000);
    }
    x->st = weft_allreduce(v, v, 2, WEFT_FLOAT32, WEFT_SUM, x->comm, NULL);
    snprintf(x->msg, sizeof(x->msg), "%s", weft_last_error());
    if (x->rank != 2) {
        atomic_fetch_add(&timeout_done, 1);
        /* Stay until rank 2 is done: leaving would make its wait a
         * WEFT_ERR_REMOTE rather than a timeout. */
        for (int i = 0; i < 3000 && atomic_load(&timeout_done) < 3; i++)
            usleep(10000);
    } else {
        atomic_fetch_add(&timeout_done, 1);
    }
}

static void test_timeout(void)
{
    weft_config_t cfg = WEFT_CONFIG_INITIALIZER;
    cfg.timeout_s = 1.5;
    party_t x[3];
    if (parties_init(x, 3, &cfg) != 0)
        return;
    warm_up_all(x, 3);
    atomic_store(&timeout_done, 0);
    parties_run(x, 3, timeout_body);
    for (int r = 0; r < 3; r++) {
        printf("  timeout: rank %d: %s: %s\n", r, weft_status_string(x[r].st), x[r].msg);
        CHECK(x[r].st == WEFT_ERR_TIMEOUT, "timeout: rank %d returned %s, not WEFT_ERR_TIMEOUT",
              r, weft_status_string(x[r].st));
        CHECK(strstr(x[r].msg, "allreduce #3") != NULL,
              "timeout: rank %d's message does not name allreduce #3", r);
        /* Over sockets nothing shows that a peer never arrived: rank 2's
         * peers were in the call, and rank 0's view of rank 1 may lag. */
        CHECK(!over_sockets() || strstr(x[r].msg, "never arrived") == NULL,
              "timeout: rank %d calls a socket peer missing: %s", r, x[r].msg);
        if (r == 2)
            continue;
        const char *want = over_sockets() ? "rank 2 (last heard from in #2)"
                                          : "never arrived in it: rank 2 (still at #2)";
        CHECK(strstr(x[r].msg, want) != NULL && strstr(x[r].msg, behind_clause()) != NULL,
              "timeout: rank %d's message does not name rank 2 as \"%s\"", r, want);
    }
    parties_end(x, 3);
}

/* --- hang report on SIGUSR1 ------------------------------------------------ */

static _Atomic int report_seen;

static void report_body(party_t *x)
{
    float v[2] = {1, 2};
    if (x->rank == 1) {
        for (int i = 0; i < 2000 && !atomic_load(&report_seen); i++)
            usleep(10000);
    }
    x->st = weft_allreduce(v, v, 2, WEFT_FLOAT32, WEFT_SUM, x->comm, NULL);
    snprintf(x->msg, sizeof(x->msg), "%s", weft_last_error());
}

static void *report_trigger(void *arg)
{
    const char *path = arg;
    /* Ask until rank 0's driver has answered (it is then in the call). */
    for (int i = 0; i < 100 && !atomic_load(&report_seen); i++) {
        kill(getpid(), SIGUSR1);
        usleep(100000);
        /* Both halves: the watcher's line (a signal that came while rank 0
         * was in the call) and its driver's answer. */
        if (file_contains(path, "hang report: rank 0/2 is in allreduce") &&
            file_contains(path, "rank 0/2: in the call #3"))
            atomic_store(&report_seen, 1);
    }
    atomic_store(&report_seen, 1);
    return NULL;
}

static void test_report(const char *log_path)
{
    weft_config_t cfg = WEFT_CONFIG_INITIALIZER;
    cfg.timeout_s = 30;
    party_t x[2];
    if (parties_init(x, 2, &cfg) != 0)
        return;
    warm_up_all(x, 2);
    atomic_store(&report_seen, 0);
    pthread_t th;
    pthread_create(&th, NULL, report_trigger, (void *)log_path);
    parties_run(x, 2, report_body);
    pthread_join(th, NULL);
    for (int r = 0; r < 2; r++)
        EXPECT(x[r].st, WEFT_OK, NULL);
    const char *const want[] = {"hang report (SIGUSR1", "every live communicator",
                                "rank 0/2: in the call #3",
                                "hang report: rank 0/2 is in allreduce #3 (2 x float32, "
                                "sum), blocked at step",
                                behind_clause(),
                                over_sockets() ? "rank 1 (last heard from in #2)"
                                               : "rank 1 (still at #2)",
                                over_sockets() ? "1:#2?" : "1:#2"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        CHECK(file_contains(log_path, want[i]), "report: the log (%s) lacks \"%s\"", log_path,
              want[i]);
    parties_end(x, 2);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    char log_path[] = "/tmp/weft-test-diag-XXXXXX";
    int fd = mkstemp(log_path);
    if (fd < 0)
        return 1;
    close(fd);
    /* Before weft reads its configuration (once, on first use). */
    setenv("WEFT_DEBUG_SIGNAL", "1", 1);
    setenv("WEFT_DEBUG_FILE", log_path, 1);
    /* The ring, whatever the tuner picks: a late rank 2 then needs
     * messages that its peers send only after hearing from it, so it
     * times out too.  Under the one-shot all-reduce (or recursive
     * doubling on 3 ranks) its peers send their data eagerly before they
     * hear from anyone, and a late rank 2 completes from it -- correctly,
     * but then its timeout is not what is tested. */
    setenv("WEFT_ALGO", "ring", 1);
    printf("config:\n");
    test_config();
    printf("timeout:\n");
    test_timeout();
    printf("report:\n");
    test_report(log_path);
    if (failures == 0)
        unlink(log_path);
    else
        printf("log kept in %s\n", log_path);
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
