/*
 * report.c - saying where a stuck call is stuck: the timeout message and
 * the hang report (see diag.h).
 *
 * A timeout names the call (sequence number, collective, count, datatype),
 * the first steps still pending, and the peers behind it, in two lists
 * that must not be confused: those known never to have arrived (their
 * announced collective -- shm: a word in their segment -- is older than
 * ours), and, where nothing is announced (sockets), those this rank has
 * not heard from in the call: they may have arrived and simply not sent
 * to this rank yet, so they are not called missing.
 *
 * The hang report lists every live communicator of the process: rank,
 * the call in flight and its stage, and each peer's last known sequence
 * number.  It is printed on a timeout and, with WEFT_DEBUG_SIGNAL=1, on
 * SIGUSR1.  The signal handler only write()s a byte to a pipe (async-
 * signal-safe); a watcher thread reads it and prints, and each thread
 * driving a call, seeing the report's generation change, adds the steps it
 * is blocked on.
 */
#include "core/comm.h"
#include "util/thread.h"
#include "core/diag.h"
#include "util/config.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static _Atomic unsigned report_generation;

/* Appends to buf; keeps it terminated when full. */
static size_t put(char *buf, size_t len, size_t used, const char *fmt, ...)
    WEFT_PRINTF(4, 5);
static size_t put(char *buf, size_t len, size_t used, const char *fmt, ...)
{
    if (used >= len)
        return used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
    return n < 0 ? used : WEFT_MIN(len, used + (size_t)n);
}

/* A peer's last known collective: announced (1) or last heard (0). */
static int peer_position(struct weft_comm *comm, int p, uint64_t *seq_p)
{
    weft_transport_t *tp = comm->tp[comm->peer_class[p]];
    if (tp != NULL && tp->ops->peer_announced(tp, p, seq_p))
        return 1;
    *seq_p = atomic_load_explicit(&comm->diag.peer_seen[p], memory_order_relaxed);
    return 0;
}

/* Lists the peers behind seq whose position is announced (1) or only
 * last heard (0); returns how many. */
static int list_behind(struct weft_comm *comm, uint64_t seq, int announced, char *buf,
                       size_t len)
{
    size_t used = 0;
    int n = 0;
    buf[0] = '\0';
    for (int p = 0; p < comm->nranks; p++) {
        uint64_t at;
        if (p == comm->rank || peer_position(comm, p, &at) != announced || at >= seq)
            continue;
        if (n++ >= 8)
            continue;
        if (announced)
            used = put(buf, len, used, "%srank %d (still at #%llu)", n > 1 ? ", " : "", p,
                       (unsigned long long)at);
        else if (at > 0)
            used = put(buf, len, used, "%srank %d (last heard from in #%llu)", n > 1 ? ", " : "",
                       p, (unsigned long long)at);
        else
            used = put(buf, len, used, "%srank %d (never heard from)", n > 1 ? ", " : "", p);
    }
    if (n > 8)
        put(buf, len, used, " and %d more", n - 8);
    return n;
}

void weft__diag_missing_peers(struct weft_comm *comm, char *buf, size_t len)
{
    uint64_t seq = atomic_load_explicit(&comm->diag.running_seq, memory_order_relaxed);
    char known[224], unseen[224];
    int nknown = list_behind(comm, seq, 1, known, sizeof(known));
    int nunseen = list_behind(comm, seq, 0, unseen, sizeof(unseen));
    size_t used = 0;
    if (nknown + nunseen == 0) {
        snprintf(buf, len, "peers that never arrived in it: none, every peer has entered it");
        return;
    }
    buf[0] = '\0';
    if (nknown > 0)
        used = put(buf, len, used, "peers that never arrived in it: %s", known);
    if (nunseen > 0)
        put(buf, len, used, "%speers not heard from in it, which may have arrived (over sockets "
            "a peer's arrival cannot be seen, only its messages): %s", nknown > 0 ? "; " : "",
            unseen);
}

static void describe_call(struct weft_comm *comm, char *buf, size_t len)
{
    const weft_diag_t *d = &comm->diag;
    weft__sig_format(&d->sigs[0], buf, len);
    if (d->nsigs > 1) {
        size_t used = strlen(buf);
        put(buf, len, used, " and %u more calls of its group", d->nsigs - 1);
    }
}

weft_status_t weft__diag_timeout_error(struct weft_comm *comm)
{
    char call[192], pending[256], missing[512];
    describe_call(comm, call, sizeof(call));
    weft__exec_describe_pending(&comm->active->exec, pending, sizeof(pending));
    weft__diag_missing_peers(comm, missing, sizeof(missing));
    int checking = atomic_load(&comm->diag.stage) == WEFT_DIAG_CHECKING;
    return weft__error(WEFT_ERR_TIMEOUT,
                       "rank %d/%d: %s made no progress for %.1f s (the timeout: "
                       "WEFT_TIMEOUT or weft_config_t.timeout_s)%s; blocked at %s; %s",
                       comm->rank, comm->nranks, call, comm->timeout_s,
                       checking ? " during the signature exchange of WEFT_CHECK=1" : "", pending,
                       missing);
}

/* One line per communicator: where it is and where its peers are. */
static void report_comm(struct weft_comm *comm, void *arg)
{
    (void)arg;
    char peers[512];
    size_t used = 0;
    for (int p = 0; p < comm->nranks && used < sizeof(peers); p++) {
        uint64_t at;
        if (p == comm->rank)
            continue;
        int announced = peer_position(comm, p, &at);
        used = put(peers, sizeof(peers), used, "%s%d:#%llu%s", used ? " " : "", p,
                   (unsigned long long)at, announced ? "" : "?");
    }
    if (used == 0)
        snprintf(peers, sizeof(peers), "(none)");
    uint64_t running = atomic_load_explicit(&comm->diag.running_seq, memory_order_relaxed);
    uint64_t last = atomic_load_explicit(&comm->diag.last_seq, memory_order_relaxed);
    int stage = atomic_load_explicit(&comm->diag.stage, memory_order_relaxed);
    WEFT_WARN("hang report: comm %p rank %d/%d: %s #%llu%s; peers at (rank:#seq announced, "
              "or #seq? = last heard from, over sockets, which cannot show more): %s",
              (void *)comm, comm->rank, comm->nranks, running ? "in the call" : "idle after",
              (unsigned long long)(running ? running : last),
              stage == WEFT_DIAG_CHECKING ? " (signature exchange)" : "", peers);
}

void weft__diag_report_all(const char *why)
{
    WEFT_WARN("hang report (%s): every live communicator of this process follows", why);
    weft__comm_foreach(report_comm, NULL);
}

void weft__diag_poll_report(struct weft_comm *comm)
{
    unsigned gen = atomic_load_explicit(&report_generation, memory_order_relaxed);
    if (gen == comm->diag.report_seen)
        return;
    comm->diag.report_seen = gen;
    char call[192], pending[256], missing[512];
    describe_call(comm, call, sizeof(call));
    weft__exec_describe_pending(&comm->active->exec, pending, sizeof(pending));
    weft__diag_missing_peers(comm, missing, sizeof(missing));
    WEFT_WARN("hang report: rank %d/%d is in %s, blocked at %s; %s",
              comm->rank, comm->nranks, call, pending, missing);
}

/* --- SIGUSR1 ------------------------------------------------------------- */

static int signal_pipe[2] = {-1, -1};
static pthread_once_t signal_once = PTHREAD_ONCE_INIT;

static void on_sigusr1(int sig)
{
    (void)sig;
    int saved = errno;
    char byte = 1;
    if (write(signal_pipe[1], &byte, 1) < 0) {
        /* Nothing to do: a report is already pending, or the pipe is gone. */
    }
    errno = saved;
}

static void *watcher_main(void *arg)
{
    (void)arg;
    char bytes[16];
    for (;;) {
        ssize_t n = read(signal_pipe[0], bytes, sizeof(bytes));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        atomic_fetch_add_explicit(&report_generation, 1, memory_order_relaxed);
        weft__diag_report_all("SIGUSR1, WEFT_DEBUG_SIGNAL=1");
    }
}

static void signal_setup_once(void)
{
    if (pipe(signal_pipe) != 0) {
        WEFT_WARN("WEFT_DEBUG_SIGNAL: pipe: %s; no hang report on SIGUSR1", strerror(errno));
        return;
    }
    /* The handler must never block: a full pipe already holds a request. */
    fcntl(signal_pipe[1], F_SETFL, fcntl(signal_pipe[1], F_GETFL) | O_NONBLOCK);
    fcntl(signal_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(signal_pipe[1], F_SETFD, FD_CLOEXEC);
    /* The watcher takes no signal: the handler must run in a thread that
     * is not blocked in the pipe it writes to. */
    int rc = weft__thread_start(watcher_main, NULL);
    if (rc != 0) {
        WEFT_WARN("WEFT_DEBUG_SIGNAL: no watcher thread (%s); no hang report on SIGUSR1",
                  strerror(rc));
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigusr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    WEFT_INFO("WEFT_DEBUG_SIGNAL: kill -USR1 %d prints a hang report", (int)getpid());
}

void weft__diag_signal_setup(void)
{
    if (weft__config_int(WEFT_CFG_DEBUG_SIGNAL) != 0)
        pthread_once(&signal_once, signal_setup_once);
}
