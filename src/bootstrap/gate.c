/*
 * gate.c - accepting the hellos of a set of ranks (see proto.h), for the
 * root's rendezvous and for rank 0's star alike.
 *
 * Anyone can connect to a listening port: a port scanner, a program of
 * another job, a weft of another version, a client that connects and never
 * speaks.  None of them may stop the real ranks from meeting, so the gate
 * never blocks on a single connection: one poll() loop watches the listener,
 * every connection that has not yet delivered its hello (each with its own
 * GATE_HELLO_TIMEOUT_S budget), and the connections of ranks that are in
 * already (so that one that closes frees its rank for a retry).  A
 * connection that breaks the protocol is closed and logged at WARN with its
 * address and what was wrong; one that had the secret but a wrong rank or
 * size, or that speaks another wire version, also gets a REFUSED reply so
 * that its rank fails at once, not at its deadline (the verdicts are in
 * gate_check.c).  Log lines, not weft__error(): a stranger's mistake must not
 * become the last error of the thread that runs the gate.
 */
#define _GNU_SOURCE /* accept4 */
#include "bootstrap/proto.h"
#include "util/log.h"
#include "util/time.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GATE_MAX_PENDING 512 /* past this, the oldest silent connection goes */

typedef struct {
    int fd;
    uint64_t expire_ns;
    size_t got;
    uint8_t buf[WEFT_WIRE_HDR_BYTES + WEFT_HELLO_BYTES];
    char peer[80];
} gate_conn_t;

typedef struct {
    const weft__gate_cfg_t *cfg;
    int listen_fd;
    uint64_t accept_pause_until;         /* out of fds: let the listener rest */
    gate_conn_t conns[GATE_MAX_PENDING]; /* connections that owe a hello */
    int nconns;
    weft__gate_result_t res;
    int nin; /* ranks in, self included */
} gate_t;

static void conn_drop(gate_t *g, int i, int close_fd)
{
    if (close_fd)
        close(g->conns[i].fd);
    g->conns[i] = g->conns[--g->nconns];
}

/* Closes pending connection i, logging why; `tell` sends the reason first
 * (only to a connection that proved it knows the secret). */
static void conn_refuse(gate_t *g, int i, int tell, const char *why)
{
    gate_conn_t *c = &g->conns[i];
    WEFT_WARN("%s: refused connection from %s: %s", g->cfg->who, c->peer, why);
    if (tell) {
        uint8_t msg[WEFT_WIRE_HDR_BYTES + WEFT_REFUSED_MAX_BYTES];
        size_t len = strlen(why);
        len = len < WEFT_REFUSED_MAX_BYTES ? len : WEFT_REFUSED_MAX_BYTES;
        weft__wire_hdr_t hdr = {WEFT_WIRE_MAGIC, WEFT_WIRE_VERSION, WEFT_MSG_REFUSED, (uint32_t)len,
                                0};
        weft__wire_hdr_pack(&hdr, msg);
        memcpy(msg + WEFT_WIRE_HDR_BYTES, why, len);
        /* Best effort: a fresh socket's buffer takes a few hundred bytes. */
        (void)send(c->fd, msg, WEFT_WIRE_HDR_BYTES + len, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    conn_drop(g, i, 1);
}

static weft_status_t gate_size(gate_t *g, int nranks)
{
    g->res.fds = malloc(sizeof(int) * (size_t)nranks);
    g->res.addrs = calloc((size_t)nranks, WEFT_ADDR_PACKED_BYTES);
    if (g->res.fds == NULL || g->res.addrs == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: tables for %d ranks", g->cfg->who, nranks);
    for (int r = 0; r < nranks; r++)
        g->res.fds[r] = -1;
    g->res.nranks = nranks;
    g->nin = g->cfg->self_rank >= 0 ? 1 : 0;
    return WEFT_OK;
}

/* Pending connection i delivered a whole hello: register its rank or refuse. */
static weft_status_t conn_hello(gate_t *g, int i)
{
    weft__hello_t h;
    char why[200];
    weft__gate_verdict_t v = weft__gate_check_hello(g->cfg, g->res.nranks,
                                                    g->conns[i].buf + WEFT_WIRE_HDR_BYTES, &h,
                                                    why, sizeof(why));
    int n = g->res.nranks;
    if (v == WEFT_GATE_ADMIT && n != 0 && g->res.fds[h.rank] >= 0) {
        snprintf(why, sizeof(why), "rank %u of %d is here already", h.rank, n);
        v = WEFT_GATE_REFUSE;
    }
    if (v != WEFT_GATE_ADMIT) {
        conn_refuse(g, i, v == WEFT_GATE_REFUSE, why);
        return WEFT_OK;
    }
    if (n == 0) {
        weft_status_t st = gate_size(g, (int)h.nranks);
        if (st != WEFT_OK)
            return st;
        n = g->res.nranks;
    }
    WEFT_TRACE("%s: rank %u of %d is in (%s)", g->cfg->who, h.rank, n, g->conns[i].peer);
    g->res.fds[h.rank] = g->conns[i].fd;
    memcpy(g->res.addrs + (size_t)h.rank * WEFT_ADDR_PACKED_BYTES, h.addr, WEFT_ADDR_PACKED_BYTES);
    g->nin++;
    conn_drop(g, i, 0);
    return WEFT_OK;
}

/* Pending connection i is readable: take what it sent, check the header as
 * soon as it is complete, and the hello once it is. */
static weft_status_t conn_read(gate_t *g, int i)
{
    gate_conn_t *c = &g->conns[i];
    ssize_t n = recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return WEFT_OK;
    char why[200];
    if (n <= 0) {
        snprintf(why, sizeof(why), "%s after %zu bytes, before a complete hello",
                 n == 0 ? "closed" : strerror(errno), c->got);
        conn_refuse(g, i, 0, why);
        return WEFT_OK;
    }
    size_t before = c->got;
    c->got += (size_t)n;
    if (before < WEFT_WIRE_HDR_BYTES && c->got >= WEFT_WIRE_HDR_BYTES) {
        weft__gate_verdict_t v = weft__gate_check_hdr(g->cfg->hello_type, c->buf, why,
                                                      sizeof(why));
        if (v != WEFT_GATE_ADMIT) {
            conn_refuse(g, i, v == WEFT_GATE_REFUSE, why);
            return WEFT_OK;
        }
    }
    if (c->got == sizeof(c->buf))
        return conn_hello(g, i);
    return WEFT_OK;
}

/* Accepts every connection waiting on the listener. */
static void accept_new(gate_t *g)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        int fd =
            accept4(g->listen_fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                WEFT_WARN("%s: accept: %s", g->cfg->who, strerror(errno));
                g->accept_pause_until = weft__now_ns() + 100000000u;
            }
            return;
        }
        if (g->nconns == GATE_MAX_PENDING) {
            int oldest = 0;
            for (int i = 1; i < g->nconns; i++)
                if (g->conns[i].expire_ns < g->conns[oldest].expire_ns)
                    oldest = i;
            conn_refuse(g, oldest, 0, "too many connections owe a hello; dropping the oldest");
        }
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        gate_conn_t *c = &g->conns[g->nconns++];
        c->fd = fd;
        c->got = 0;
        c->expire_ns = weft__now_ns() + GATE_HELLO_TIMEOUT_S * 1000000000ull;
        weft__net_addr_str(&peer, c->peer, sizeof(c->peer));
    }
}

/* A rank that is in has no business sending anything before the reply: its
 * connection readable means it closed (its rank is free again) or broke the
 * protocol (refused). */
static void watch_rank(gate_t *g, int r)
{
    char byte;
    ssize_t n = recv(g->res.fds[r], &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    WEFT_WARN("%s: rank %d %s before the rendezvous completed; waiting for it to come back",
              g->cfg->who, r, n > 0 ? "sent unexpected bytes" : "closed its connection");
    close(g->res.fds[r]);
    g->res.fds[r] = -1;
    g->nin--;
}

/* "3, 5, 9-12" (shortened with "..." when long). */
static void missing_ranks(const gate_t *g, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int r = 0; r < g->res.nranks && used + 16 < len; r++) {
        if (g->res.fds[r] >= 0 || r == g->cfg->self_rank)
            continue;
        int last = r;
        while (last + 1 < g->res.nranks && g->res.fds[last + 1] < 0 &&
               last + 1 != g->cfg->self_rank)
            last++;
        used += (size_t)snprintf(buf + used, len - used, last > r ? "%s%d-%d" : "%s%d",
                                 used ? ", " : "", r, last);
        r = last;
    }
    if (used + 16 >= len)
        snprintf(buf + len - 5, 5, "...");
}

/* One round: poll everything, then serve what is ready. */
static weft_status_t gate_round(gate_t *g, struct pollfd *pfds, int *prank)
{
    int np = 0;
    uint64_t now = weft__now_ns();
    int wake_ms = weft__ms_left(g->cfg->deadline_ns, 1000);
    if (now >= g->accept_pause_until) {
        pfds[np] = (struct pollfd){.fd = g->listen_fd, .events = POLLIN};
        prank[np++] = -2;
    } else if (wake_ms > 100) {
        wake_ms = 100;
    }
    for (int i = 0; i < g->nconns; i++) {
        pfds[np] = (struct pollfd){.fd = g->conns[i].fd, .events = POLLIN};
        prank[np++] = -1;
        int ms = weft__ms_left(g->conns[i].expire_ns, 1000);
        wake_ms = ms < wake_ms ? ms : wake_ms;
    }
    for (int r = 0; r < g->res.nranks; r++) {
        if (g->res.fds[r] >= 0) {
            pfds[np] = (struct pollfd){.fd = g->res.fds[r], .events = POLLIN};
            prank[np++] = r;
        }
    }
    int n = poll(pfds, (nfds_t)np, wake_ms);
    if (n < 0 && errno != EINTR)
        return weft__error(WEFT_ERR_SYSTEM, "%s: poll: %s", g->cfg->who, strerror(errno));
    /* Pending connections were polled as conns[0..nconns); serve them from
     * the last, so that conn_drop's swap-with-last never skips one. */
    for (int k = np - 1; k >= 0 && n > 0; k--) {
        if (pfds[k].revents == 0)
            continue;
        if (prank[k] >= 0) {
            watch_rank(g, prank[k]);
        } else if (prank[k] == -1) {
            int i = k - (prank[0] == -2 ? 1 : 0);
            weft_status_t st = conn_read(g, i);
            if (st != WEFT_OK)
                return st;
        }
    }
    now = weft__now_ns();
    for (int i = g->nconns - 1; i >= 0; i--) {
        if (now >= g->conns[i].expire_ns) {
            char why[80];
            snprintf(why, sizeof(why), "no complete hello within %d s (%zu bytes came)",
                     GATE_HELLO_TIMEOUT_S, g->conns[i].got);
            conn_refuse(g, i, 0, why);
        }
    }
    if (np > 0 && prank[0] == -2 && pfds[0].revents != 0)
        accept_new(g);
    return WEFT_OK;
}

weft_status_t weft__gate_collect(int listen_fd, const weft__gate_cfg_t *cfg,
                                 weft__gate_result_t *res_p)
{
    weft_status_t st = WEFT_OK;
    struct pollfd *pfds = NULL;
    int *prank = NULL;
    int pcap = 0;
    gate_t *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: gate state", cfg->who);
    g->cfg = cfg;
    g->listen_fd = listen_fd;
    if (cfg->nranks > 0)
        WEFT_CHECK_GOTO(gate_size(g, cfg->nranks), st, err_free_gate);
    while (g->res.nranks == 0 || g->nin < g->res.nranks) {
        if (weft__deadline_passed(cfg->deadline_ns)) {
            char missing[200] = "all of them (no valid hello arrived)";
            if (g->res.nranks > 0)
                missing_ranks(g, missing, sizeof(missing));
            st = weft__error(WEFT_ERR_TIMEOUT,
                             "%s: %d of %d ranks joined before the deadline; "
                             "never arrived: %s",
                             cfg->who, g->nin, g->res.nranks, missing);
            goto err_free_poll;
        }
        int need = 1 + g->nconns + g->res.nranks;
        if (need > pcap) {
            pcap = need * 2 > GATE_MAX_PENDING ? need * 2 : GATE_MAX_PENDING;
            free(pfds);
            free(prank);
            pfds = malloc(sizeof(*pfds) * (size_t)pcap);
            prank = malloc(sizeof(*prank) * (size_t)pcap);
            if (pfds == NULL || prank == NULL) {
                st = weft__error(WEFT_ERR_NO_MEMORY, "%s: poll table", cfg->who);
                goto err_free_poll;
            }
        }
        WEFT_CHECK_GOTO(gate_round(g, pfds, prank), st, err_free_poll);
    }
    /* The pending connections left are strangers (or latecomers): close. */
    while (g->nconns > 0)
        conn_refuse(g, g->nconns - 1, 0, "the rendezvous is complete");
    free(pfds);
    free(prank);
    *res_p = g->res;
    free(g);
    return WEFT_OK;
err_free_poll:
    free(pfds);
    free(prank);
    while (g->nconns > 0)
        conn_drop(g, g->nconns - 1, 1);
err_free_gate:
    weft__gate_result_free(&g->res);
    free(g);
    return st;
}

void weft__gate_result_free(weft__gate_result_t *res)
{
    for (int r = 0; res->fds != NULL && r < res->nranks; r++) {
        if (res->fds[r] >= 0)
            close(res->fds[r]);
    }
    free(res->fds);
    free(res->addrs);
    res->fds = NULL;
    res->addrs = NULL;
    res->nranks = 0;
}
