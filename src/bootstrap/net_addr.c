/*
 * net_addr.c - addresses: which interface weft uses, "host:port" parsing,
 * printing, and the 24-byte wire form (see net.h).
 *
 * Interface choice (weft__net_pick_addr) is the one rule that every rank
 * applies, so that the bootstrap and the socket transport of all ranks use
 * the same network: WEFT_SOCKET_IFNAME if set, else the first interface that
 * is up and not loopback, IPv4 before IPv6 and IPv6 link-local (fe80::/10,
 * which needs a scope id and reaches one link only) last, else loopback.
 */
#include "bootstrap/net.h"
#include "util/config.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Preference classes of an interface address; lower is better. */
enum { ADDR_V4, ADDR_V6, ADDR_V6_LINK, ADDR_LOOP_V4, ADDR_LOOP_V6, ADDR_NONE };

static int addr_class(const struct ifaddrs *ifa)
{
    if (ifa->ifa_addr == NULL || !(ifa->ifa_flags & IFF_UP))
        return ADDR_NONE;
    int loop = (ifa->ifa_flags & IFF_LOOPBACK) != 0;
    if (ifa->ifa_addr->sa_family == AF_INET)
        return loop ? ADDR_LOOP_V4 : ADDR_V4;
    if (ifa->ifa_addr->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
        if (loop || IN6_IS_ADDR_LOOPBACK(a))
            return ADDR_LOOP_V6;
        return IN6_IS_ADDR_LINKLOCAL(a) ? ADDR_V6_LINK : ADDR_V6;
    }
    return ADDR_NONE;
}

static void copy_ifaddr(const struct ifaddrs *ifa, struct sockaddr_storage *addr_p, char ifname[32])
{
    memset(addr_p, 0, sizeof(*addr_p));
    memcpy(addr_p, ifa->ifa_addr,
           ifa->ifa_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                               : sizeof(struct sockaddr_in6));
    if (ifname != NULL)
        snprintf(ifname, 32, "%s", ifa->ifa_name);
}

weft_status_t weft__net_pick_addr(struct sockaddr_storage *addr_p, char ifname[32])
{
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0)
        return weft__error(WEFT_ERR_SYSTEM, "getifaddrs: %s", strerror(errno));
    const char *want = weft__config_str(WEFT_CFG_SOCKET_IFNAME);
    int named = want[0] != '\0';
    int found_name = 0;
    const struct ifaddrs *best = NULL;
    int best_class = ADDR_NONE;
    for (const struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
        if (named && strcmp(ifa->ifa_name, want) != 0)
            continue;
        found_name = 1;
        int c = addr_class(ifa);
        /* A named interface may be loopback; its loopback class ranks like
         * any other address of it. */
        if (c < best_class) {
            best = ifa;
            best_class = c;
        }
    }
    weft_status_t st = WEFT_OK;
    if (best != NULL) {
        copy_ifaddr(best, addr_p, ifname);
        WEFT_TRACE("bootstrap uses interface %s", best->ifa_name);
    } else if (named && !found_name) {
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT,
                         "WEFT_SOCKET_IFNAME=%s: no such network interface", want);
    } else if (named) {
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT,
                         "WEFT_SOCKET_IFNAME=%s: the interface is down or has no IPv4/IPv6 "
                         "address",
                         want);
    } else {
        st = weft__error(WEFT_ERR_SYSTEM, "no network interface with an IP address is up "
                                          "(not even loopback)");
    }
    freeifaddrs(list);
    return st;
}

const char *weft__net_addr_str(const struct sockaddr_storage *addr, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
    } else if (addr->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
    } else {
        snprintf(buf, len, "(address family %d)", addr->ss_family);
    }
    return buf;
}

const char *weft__net_peer_str(int fd, char *buf, size_t len)
{
    struct sockaddr_storage peer;
    socklen_t plen = sizeof(peer);
    if (getpeername(fd, (struct sockaddr *)&peer, &plen) != 0) {
        snprintf(buf, len, "fd %d", fd); /* e.g. reset: the peer's name is gone */
        return buf;
    }
    return weft__net_addr_str(&peer, buf, len);
}

/* Splits text into host and port: "host:port" or "[v6]:port". */
weft_status_t weft__net_split_hostport(const char *text, const char *what, char host[256],
                                       unsigned *port_p)
{
    if (text == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s is not set", what);
    const char *colon;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':')
            return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s=\"%s\": expected [IPv6 address]:port",
                               what, text);
        if (close - text - 1 > 255)
            return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                               "%s: the host is longer than 255 "
                               "characters",
                               what);
        snprintf(host, 256, "%.*s", (int)(close - text - 1), text + 1);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL)
            return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                               "%s=\"%s\": expected host:port (the port is missing)", what, text);
        if (memchr(text, ':', (size_t)(colon - text)) != NULL)
            return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                               "%s=\"%s\": write an IPv6 address in brackets: [addr]:port", what,
                               text);
        if (colon - text > 255)
            return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                               "%s: the host is longer than 255 "
                               "characters",
                               what);
        snprintf(host, 256, "%.*s", (int)(colon - text), text);
    }
    if (host[0] == '\0')
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s=\"%s\": the host is empty", what, text);
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || port == 0 || port > 65535)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "%s=\"%s\": the port must be a number in 1..65535", what, text);
    *port_p = (unsigned)port;
    return WEFT_OK;
}

weft_status_t weft__net_parse_hostport(const char *text, const char *what,
                                       struct sockaddr_storage *addr_p)
{
    if (text == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s is not set", what);
    char host[256];
    unsigned port;
    weft_status_t st = weft__net_split_hostport(text, what, host, &port);
    if (st != WEFT_OK)
        return st;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    if (text[0] == '[')
        hints.ai_flags = AI_NUMERICHOST;
    struct addrinfo *res;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s=\"%s\": cannot resolve \"%s\": %s", what,
                           text, host, gai_strerror(rc));
    /* IPv4 first, as in interface choice: a name with both kinds of address
     * then resolves the same way on every rank. */
    const struct addrinfo *pick = NULL;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && pick == NULL)
            pick = ai;
    }
    for (const struct addrinfo *ai = res; ai != NULL && pick == NULL; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET6)
            pick = ai;
    }
    if (pick == NULL) {
        freeaddrinfo(res);
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s=\"%s\": \"%s\" has no IP address", what,
                           text, host);
    }
    struct sockaddr_storage addr = {0};
    memcpy(&addr, pick->ai_addr, pick->ai_addrlen);
    freeaddrinfo(res);
    if (addr.ss_family == AF_INET)
        ((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)port);
    *addr_p = addr;
    return WEFT_OK;
}

void weft__net_addr_pack(const struct sockaddr_storage *addr, uint8_t out[WEFT_ADDR_PACKED_BYTES])
{
    memset(out, 0, WEFT_ADDR_PACKED_BYTES);
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
        weft__put_le16(out, 4);
        weft__put_le16(out + 2, ntohs(a->sin_port));
        memcpy(out + 8, &a->sin_addr, 4);
    } else if (addr->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
        weft__put_le16(out, 6);
        weft__put_le16(out + 2, ntohs(a->sin6_port));
        weft__put_le32(out + 4, a->sin6_scope_id);
        memcpy(out + 8, &a->sin6_addr, 16);
    }
}

weft_status_t weft__net_addr_unpack(const uint8_t in[WEFT_ADDR_PACKED_BYTES], int allow_none,
                                    struct sockaddr_storage *addr_p)
{
    static const uint8_t zeros[WEFT_ADDR_PACKED_BYTES];
    uint16_t family = weft__get_le16(in), port = weft__get_le16(in + 2);
    struct sockaddr_storage addr = {0};
    if (family == 0 && allow_none && memcmp(in, zeros, sizeof(zeros)) == 0) {
        addr.ss_family = AF_UNSPEC;
    } else if (family == 4 && port != 0 && weft__get_le32(in + 4) == 0 &&
               memcmp(in + 12, zeros, 12) == 0) {
        struct sockaddr_in *a = (struct sockaddr_in *)&addr;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        memcpy(&a->sin_addr, in + 8, 4);
    } else if (family == 6 && port != 0) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        a->sin6_scope_id = weft__get_le32(in + 4);
        memcpy(&a->sin6_addr, in + 8, 16);
    } else {
        return WEFT_ERR_INVALID_ARGUMENT;
    }
    *addr_p = addr;
    return WEFT_OK;
}
