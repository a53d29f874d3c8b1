/*
 * net.c - TCP sockets with deadlines (see net.h): listen, connect, accept,
 * whole-buffer send and receive.
 *
 * Every wait is a poll() bounded by the caller's deadline, so a thread that
 * waits sleeps in the kernel instead of spinning, and returns
 * WEFT_ERR_TIMEOUT when the deadline passes.  Transfers use MSG_DONTWAIT on
 * every call, so they honour the deadline on blocking fds as well: a
 * blocking send() into a full socket buffer could otherwise outlive it.
 */
#define _GNU_SOURCE /* accept4 */
#include "bootstrap/net.h"
#include "util/log.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define POLL_CAP_MS 1000 /* waits without a deadline still wake up now and then */

static socklen_t addr_len(const struct sockaddr_storage *addr)
{
    return addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static int set_nonblocking(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags);
}

static void set_nodelay(int fd)
{
    int one = 1;
    /* Bootstrap and handshake messages are small and latency-bound; Nagle
     * plus delayed ACKs would add tens of milliseconds per exchange. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Waits for events on fd; 1 ready, 0 deadline passed. */
static int wait_fd(int fd, short events, uint64_t deadline_ns)
{
    for (;;) {
        int ms = weft__ms_left(deadline_ns, POLL_CAP_MS);
        if (ms == 0 && weft__deadline_passed(deadline_ns))
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, ms);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return 1; /* let the caller's syscall report the error */
    }
}

weft_status_t weft__net_listen(const struct sockaddr_storage *addr, int *fd_p,
                               struct sockaddr_storage *bound_p)
{
    char where[80];
    weft__net_addr_str(addr, where, sizeof(where));
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return weft__error(WEFT_ERR_SYSTEM, "socket for %s: %s", where, strerror(errno));
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    weft_status_t st = WEFT_OK;
    if (bind(fd, (const struct sockaddr *)addr, addr_len(addr)) != 0) {
        st = weft__error(WEFT_ERR_SYSTEM, "cannot listen on %s: bind: %s", where, strerror(errno));
        goto err_close;
    }
    if (listen(fd, SOMAXCONN) != 0) {
        st = weft__error(WEFT_ERR_SYSTEM, "listen on %s: %s", where, strerror(errno));
        goto err_close;
    }
    struct sockaddr_storage bound = {0};
    socklen_t blen = sizeof(bound);
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
        st = weft__error(WEFT_ERR_SYSTEM, "getsockname on %s: %s", where, strerror(errno));
        goto err_close;
    }
    *fd_p = fd;
    if (bound_p != NULL)
        *bound_p = bound;
    return WEFT_OK;
err_close:
    close(fd);
    return st;
}

static int is_retryable(int err)
{
    return err == ECONNREFUSED || err == ETIMEDOUT || err == ECONNRESET || err == ECONNABORTED ||
           err == EHOSTUNREACH || err == EAGAIN;
}

/* One non-blocking connection attempt; 0 connected, -1 the deadline passed
 * while it was pending, else the errno. */
static int try_connect(int fd, const struct sockaddr_storage *addr, uint64_t deadline_ns)
{
    if (connect(fd, (const struct sockaddr *)addr, addr_len(addr)) == 0)
        return 0;
    if (errno != EINPROGRESS && errno != EINTR)
        return errno;
    if (!wait_fd(fd, POLLOUT, deadline_ns))
        return -1;
    int err = 0;
    socklen_t elen = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
        return errno;
    if (err != 0)
        return err;
    /* A connection to a closed local port in the ephemeral range can, by
     * TCP simultaneous open, connect the socket to itself. */
    struct sockaddr_storage me, peer;
    socklen_t mlen = sizeof(me), plen = sizeof(peer);
    if (getsockname(fd, (struct sockaddr *)&me, &mlen) == 0 &&
        getpeername(fd, (struct sockaddr *)&peer, &plen) == 0 && mlen == plen &&
        memcmp(&me, &peer, mlen) == 0)
        return ECONNREFUSED;
    return 0;
}

weft_status_t weft__net_connect(const struct sockaddr_storage *addr, uint64_t deadline_ns,
                                int *fd_p)
{
    char where[80];
    weft__net_addr_str(addr, where, sizeof(where));
    uint64_t backoff_ns = 1000000; /* 1 ms, doubling to 100 ms */
    int last_err = 0;
    for (;;) {
        int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return weft__error(WEFT_ERR_SYSTEM, "socket to connect to %s: %s", where,
                               strerror(errno));
        int err = try_connect(fd, addr, deadline_ns);
        if (err == -1) {
            close(fd);
            break;
        }
        if (err == 0 && set_nonblocking(fd, 0) == 0) {
            set_nodelay(fd);
            *fd_p = fd;
            return WEFT_OK;
        }
        if (err == 0)
            err = errno;
        close(fd);
        if (!is_retryable(err))
            return weft__error(WEFT_ERR_SYSTEM, "connect to %s: %s", where, strerror(err));
        if (err != last_err)
            WEFT_TRACE("connect to %s: %s; retrying until the deadline", where, strerror(err));
        last_err = err;
        if (weft__deadline_passed(deadline_ns))
            break;
        uint64_t now = weft__now_ns();
        uint64_t nap = deadline_ns - now < backoff_ns ? deadline_ns - now : backoff_ns;
        struct timespec ts = {(time_t)(nap / 1000000000u), (long)(nap % 1000000000u)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        backoff_ns = backoff_ns * 2 > 100000000u ? 100000000u : backoff_ns * 2;
    }
    return weft__error(WEFT_ERR_TIMEOUT, "connect to %s: no connection before the deadline%s%s",
                       where, last_err != 0 ? ": " : "", last_err != 0 ? strerror(last_err) : "");
}

weft_status_t weft__net_accept(int listen_fd, uint64_t deadline_ns, int *fd_p)
{
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            /* An accepted socket does not inherit O_NONBLOCK on Linux. */
            set_nodelay(fd);
            *fd_p = fd;
            return WEFT_OK;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
            return weft__error(WEFT_ERR_SYSTEM, "accept on fd %d: %s", listen_fd, strerror(errno));
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (!wait_fd(listen_fd, POLLIN, deadline_ns))
            return weft__error(WEFT_ERR_TIMEOUT,
                               "accept on fd %d: nobody connected before the deadline", listen_fd);
    }
}

weft_status_t weft__net_send_all(int fd, const void *buf, size_t len, uint64_t deadline_ns)
{
    const char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        char peer[80];
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            int err = errno;
            weft_status_t st = (err == EPIPE || err == ECONNRESET || err == ENOTCONN)
                                   ? WEFT_ERR_REMOTE
                                   : WEFT_ERR_SYSTEM;
            return weft__error(st, "send to %s: %s (%zu of %zu bytes sent)",
                               weft__net_peer_str(fd, peer, sizeof(peer)), strerror(err), done,
                               len);
        }
        if (!wait_fd(fd, POLLOUT, deadline_ns))
            return weft__error(WEFT_ERR_TIMEOUT,
                               "send to %s: the peer took nothing before the deadline (%zu of "
                               "%zu bytes sent)",
                               weft__net_peer_str(fd, peer, sizeof(peer)), done, len);
    }
    return WEFT_OK;
}

weft_status_t weft__net_recv_all(int fd, void *buf, size_t len, uint64_t deadline_ns)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = recv(fd, p + done, len - done, MSG_DONTWAIT);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        char peer[80];
        if (n == 0)
            return weft__error(WEFT_ERR_REMOTE,
                               "%s closed the connection (%zu of %zu bytes "
                               "received)",
                               weft__net_peer_str(fd, peer, sizeof(peer)), done, len);
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            int err = errno;
            weft_status_t st = err == ECONNRESET ? WEFT_ERR_REMOTE : WEFT_ERR_SYSTEM;
            return weft__error(st, "recv from %s: %s (%zu of %zu bytes received)",
                               weft__net_peer_str(fd, peer, sizeof(peer)), strerror(err), done,
                               len);
        }
        if (!wait_fd(fd, POLLIN, deadline_ns))
            return weft__error(WEFT_ERR_TIMEOUT,
                               "recv from %s: nothing arrived before the deadline (%zu of %zu "
                               "bytes received)",
                               weft__net_peer_str(fd, peer, sizeof(peer)), done, len);
    }
    return WEFT_OK;
}
