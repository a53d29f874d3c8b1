/*
 * socket_conn.c - the socket transport's connections: the listener, the
 * address exchange, connecting to a peer on first use and accepting (and
 * authenticating) peers' connections in the progress loop.
 *
 * Hello (connector -> acceptor), after a wire header of type SOCK_MSG_HELLO:
 *   secret[32] | rank u32 | nranks u32 | index u32 | 0 u32
 * The acceptor reads it without blocking (a connection that stays silent is
 * dropped after 10 s, and at most SOCK_MAX_PENDING wait at once) and
 * closes, with a WARN naming the remote address and the reason, any
 * connection whose header, secret, rank or index is wrong.  The checks are
 * weft__sock_hello_check, a pure function of the bytes, for the fuzzer.
 */
#include "transport/socket/socket.h"
#include "util/config.h"
#include "util/log.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#define HELLO_TIMEOUT_NS 10000000000ull

typedef struct {
    uint8_t has_listener;
    uint8_t addr[WEFT_ADDR_PACKED_BYTES];
    uint32_t nconns; /* both sides must cut messages the same way */
    uint64_t min_stripe;
} sock_blob_t;

static void tune_fd(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0), one = 1;
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* Large buffers keep a gigabit-or-faster link busy across the gaps
     * between progress calls. */
    int bytes = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

weft_status_t weft__sock_setup(sock_t *t, const weft_tctx_t *ctx)
{
    sock_blob_t mine, *all = calloc((size_t)ctx->nranks, sizeof(*all));
    memset(&mine, 0, sizeof(mine));
    mine.nconns = (uint32_t)t->nconns;
    mine.min_stripe = t->min_stripe;
    if (all == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "socket setup for %d ranks", ctx->nranks);
    weft_status_t st = WEFT_OK;
    int any = 0;
    for (int p = 0; p < ctx->nranks; p++)
        any |= ctx->use_peer[p];
    if (any) {
        struct sockaddr_storage addr, bound;
        char ifname[32];
        st = weft__net_pick_addr(&addr, ifname);
        if (st == WEFT_OK)
            st = weft__net_listen(&addr, &t->listen_fd, &bound);
        if (st == WEFT_OK) {
            mine.has_listener = 1;
            weft__net_addr_pack(&bound, mine.addr);
            char text[64];
            WEFT_INFO("socket transport listens on %s (%s)",
                      weft__net_addr_str(&bound, text, sizeof(text)), ifname);
        }
    }
    /* Everyone joins the exchange, even after a local failure. */
    weft_status_t xs =
        weft__bootstrap_allgather(ctx->bs, &mine, all, sizeof(mine), ctx->deadline_ns);
    if (st == WEFT_OK)
        st = xs;
    for (int p = 0; p < ctx->nranks && st == WEFT_OK; p++) {
        if (!ctx->use_peer[p])
            continue;
        if (p < ctx->rank)
            t->awaiting++;
        if (!all[p].has_listener ||
            weft__net_addr_unpack(all[p].addr, 0, &t->peers[p].addr) != WEFT_OK)
            st = weft__error(WEFT_ERR_REMOTE, "rank %d published no socket address", p);
        else if (all[p].nconns != mine.nconns || all[p].min_stripe != mine.min_stripe)
            st = weft__error(
                WEFT_ERR_INVALID_USAGE,
                "rank %d has WEFT_SOCKET_NSOCKS=%u and WEFT_SOCKET_MIN_STRIPE_BYTES=%llu"
                ", rank %d has %u and %llu: they must match on every rank",
                p, all[p].nconns, (unsigned long long)all[p].min_stripe, ctx->rank, mine.nconns,
                (unsigned long long)mine.min_stripe);
    }
    free(all);
    return st;
}

static void pack_hello(const sock_t *t, uint32_t index, uint8_t *out)
{
    weft__wire_hdr_t h = {WEFT_WIRE_MAGIC, WEFT_WIRE_VERSION, SOCK_MSG_HELLO, SOCK_HELLO_BODY, 0};
    weft__wire_hdr_pack(&h, out);
    uint8_t *b = out + WEFT_WIRE_HDR_BYTES;
    memcpy(b, t->secret, WEFT_SECRET_BYTES);
    weft__put_le32(b + WEFT_SECRET_BYTES, (uint32_t)t->rank);
    weft__put_le32(b + WEFT_SECRET_BYTES + 4, (uint32_t)t->nranks);
    weft__put_le32(b + WEFT_SECRET_BYTES + 8, index);
    weft__put_le32(b + WEFT_SECRET_BYTES + 12, 0);
}

/* The lower rank of a pair opens all its connections at once.  The
 * listener exists since setup, so the kernel completes the handshake
 * without the peer's help and this does not wait for the peer's progress. */
weft_status_t weft__sock_connect_peer(sock_t *t, int peer)
{
    sock_peer_t *pe = &t->peers[peer];
    uint64_t deadline = weft__deadline_after(weft__config_double(WEFT_CFG_TIMEOUT));
    for (int i = 0; i < t->nconns; i++) {
        int fd;
        weft_status_t st = weft__net_connect(&pe->addr, deadline, &fd);
        if (st == WEFT_OK) {
            uint8_t hello[WEFT_WIRE_HDR_BYTES + SOCK_HELLO_BODY];
            pack_hello(t, (uint32_t)i, hello);
            st = weft__net_send_all(fd, hello, sizeof(hello), deadline);
            if (st != WEFT_OK)
                close(fd);
        }
        if (st != WEFT_OK)
            return weft__error_keep(st, "rank %d could not connect to rank %d", t->rank, peer);
        tune_fd(fd);
        pe->conn[i].fd = fd;
    }
    pe->nconn_ready = t->nconns;
    pe->connected = 1;
    return WEFT_OK;
}

static void refuse(sock_pending_t *pd, const char *why)
{
    char who[64];
    WEFT_WARN("socket transport refused a connection from %s: %s",
              weft__net_peer_str(pd->fd, who, sizeof(who)), why);
    close(pd->fd);
    pd->fd = -1;
}

int weft__sock_hello_check(const uint8_t buf[WEFT_WIRE_HDR_BYTES + SOCK_HELLO_BODY],
                           const uint8_t *secret, int rank, int nranks, int nconns,
                           uint32_t *peer_p, uint32_t *index_p, char *why, size_t why_len)
{
    weft__wire_hdr_t h;
    char hwhy[200];
    weft__wire_hdr_unpack(buf, &h);
    if (weft__wire_hdr_check(&h, SOCK_MSG_HELLO, SOCK_HELLO_BODY, hwhy, sizeof(hwhy)) != WEFT_OK) {
        snprintf(why, why_len, "not a weft socket hello: %s", hwhy);
        return -1;
    }
    if (h.length != SOCK_HELLO_BODY) {
        snprintf(why, why_len, "not a weft socket hello: a body of %u bytes, not %d", h.length,
                 SOCK_HELLO_BODY);
        return -1;
    }
    const uint8_t *b = buf + WEFT_WIRE_HDR_BYTES;
    /* The secret first: a stranger learns nothing from which check fails. */
    if (!weft__secret_equal(b, secret, WEFT_SECRET_BYTES)) {
        snprintf(why, why_len, "wrong secret (another job, or not weft)");
        return -1;
    }
    uint32_t peer = weft__get_le32(b + WEFT_SECRET_BYTES);
    uint32_t n = weft__get_le32(b + WEFT_SECRET_BYTES + 4);
    uint32_t index = weft__get_le32(b + WEFT_SECRET_BYTES + 8);
    uint32_t zero = weft__get_le32(b + WEFT_SECRET_BYTES + 12);
    /* Only lower ranks connect to us (socket.h). */
    if (n != (uint32_t)nranks || peer >= (uint32_t)rank || index >= (uint32_t)nconns || zero != 0) {
        snprintf(why, why_len,
                 "rank %u of %u, connection %u: expected a rank below %d of %d and a connection "
                 "below %d",
                 peer, n, index, rank, nranks, nconns);
        return -1;
    }
    *peer_p = peer;
    *index_p = index;
    return 0;
}

/* Checks a complete hello and attaches the connection to its peer. */
static void admit(sock_t *t, sock_pending_t *pd)
{
    char why[256];
    uint32_t rank, index;
    if (weft__sock_hello_check(pd->buf, t->secret, t->rank, t->nranks, t->nconns, &rank, &index,
                               why, sizeof(why)) != 0) {
        refuse(pd, why);
        return;
    }
    sock_peer_t *pe = &t->peers[rank];
    if (pe->conn[index].fd >= 0) {
        snprintf(why, sizeof(why), "rank %u's connection %u is open already", rank, index);
        refuse(pd, why);
        return;
    }
    tune_fd(pd->fd);
    pe->conn[index].fd = pd->fd;
    pd->fd = -1;
    if (++pe->nconn_ready == t->nconns) {
        pe->connected = 1;
        t->awaiting--;
    }
}

/* A stranger is refused on its first 16 bytes, not after the hello's 10 s:
 * the header alone tells garbage, a scanner or another version apart. */
static void early_header_check(sock_pending_t *pd)
{
    weft__wire_hdr_t h;
    char hwhy[200], why[256];
    weft__wire_hdr_unpack(pd->buf, &h);
    if (weft__wire_hdr_check(&h, SOCK_MSG_HELLO, SOCK_HELLO_BODY, hwhy, sizeof(hwhy)) != WEFT_OK) {
        snprintf(why, sizeof(why), "not a weft socket hello: %s", hwhy);
        refuse(pd, why);
    }
}

static int read_hellos(sock_t *t)
{
    int moved = 0;
    for (sock_pending_t **pp = &t->pending; *pp != NULL;) {
        sock_pending_t *pd = *pp;
        while (pd->fd >= 0 && pd->got < sizeof(pd->buf)) {
            ssize_t n = recv(pd->fd, pd->buf + pd->got, sizeof(pd->buf) - pd->got, 0);
            if (n > 0) {
                size_t before = pd->got;
                pd->got += (size_t)n;
                moved = 1;
                if (before < WEFT_WIRE_HDR_BYTES && pd->got >= WEFT_WIRE_HDR_BYTES &&
                    pd->got < sizeof(pd->buf))
                    early_header_check(pd);
            } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                refuse(pd, "closed before its hello");
            } else {
                if (weft__now_ns() > pd->deadline_ns)
                    refuse(pd, "no hello within 10 s");
                break;
            }
        }
        if (pd->fd >= 0 && pd->got == sizeof(pd->buf))
            admit(t, pd);
        if (pd->fd < 0) {
            *pp = pd->next;
            free(pd);
            t->npending--;
        } else {
            pp = &pd->next;
        }
    }
    return moved;
}

/* Makes room for one more pending connection: past SOCK_MAX_PENDING the
 * oldest (the list's tail) goes, so that a flood of connections that never
 * speak costs a bounded amount of memory and file descriptors, and a real
 * rank, which speaks at once, still gets in. */
static void pending_make_room(sock_t *t)
{
    if (t->npending < SOCK_MAX_PENDING)
        return;
    sock_pending_t **pp = &t->pending;
    while ((*pp)->next != NULL)
        pp = &(*pp)->next;
    sock_pending_t *old = *pp;
    refuse(old, "too many connections owe a hello; dropping the oldest");
    *pp = NULL;
    free(old);
    t->npending--;
}

int weft__sock_accept_progress(sock_t *t)
{
    int moved = 0;
    for (;;) {
        int fd = accept(t->listen_fd, NULL, NULL);
        if (fd < 0)
            break;
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
        sock_pending_t *pd = calloc(1, sizeof(*pd));
        if (pd == NULL) {
            close(fd);
            break;
        }
        pending_make_room(t);
        pd->fd = fd;
        pd->deadline_ns = weft__now_ns() + HELLO_TIMEOUT_NS;
        pd->next = t->pending;
        t->pending = pd;
        t->npending++;
        moved = 1;
    }
    if (t->pending != NULL)
        moved |= read_hellos(t);
    return moved;
}

void weft__sock_close_all(sock_t *t)
{
    for (int p = 0; t->peers != NULL && p < t->nranks; p++) {
        for (int i = 0; i < SOCK_MAX_CONNS; i++) {
            if (t->peers[p].conn[i].fd >= 0)
                close(t->peers[p].conn[i].fd);
            t->peers[p].conn[i].fd = -1;
        }
    }
    while (t->pending != NULL) {
        sock_pending_t *pd = t->pending;
        t->pending = pd->next;
        if (pd->fd >= 0)
            close(pd->fd);
        free(pd);
    }
    t->npending = 0;
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    t->listen_fd = -1;
}
