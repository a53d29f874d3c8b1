/*
 * net.h - TCP helpers shared by the bootstrap and the socket transport:
 * interface choice, listen/connect with deadlines, whole-buffer send and
 * receive, and the wire header that starts every weft message.
 *
 * Everything weft puts on a wire is little-endian and laid out byte by byte
 * (the weft__put_le / weft__get_le helpers below), never a memcpy of a C
 * struct, so that padding and host byte order never leak onto the wire.
 * Sockets are close-on-exec, TCP_NODELAY, and sends use MSG_NOSIGNAL: a
 * closed peer is an error return (WEFT_ERR_REMOTE), never SIGPIPE.
 */
#ifndef WEFT_BOOTSTRAP_NET_H
#define WEFT_BOOTSTRAP_NET_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <weft.h>

#define WEFT_WIRE_MAGIC 0x54464557u /* "WEFT" little-endian */
/* 2: the socket piece header carries the call signature; 3: a socket
 * connection may end with a failure frame (transport/socket/socket.h). */
#define WEFT_WIRE_VERSION 3
#define WEFT_WIRE_HDR_BYTES 16 /* magic u32, version u16, type u16, length u32, 0 u32 */

/* Message types.  Every type of every weft connection is listed here, so
 * that a connection that reaches the wrong listener is refused by its type
 * instead of being misread. */
enum {
    WEFT_MSG_ROOT_HELLO = 1,    /* rank -> root: secret, rank, nranks, listen address */
    WEFT_MSG_ROOT_TABLE = 2,    /* root -> rank: every rank's listen address */
    WEFT_MSG_HUB_HELLO = 3,     /* rank r -> rank 0: secret, rank, nranks */
    WEFT_MSG_HUB_WELCOME = 4,   /* rank 0 -> rank r: the star is complete */
    WEFT_MSG_REFUSED = 5,       /* root/hub -> a rank that had the secret: why (text) */
    WEFT_MSG_COLL = 6,          /* a bootstrap collective (see bootstrap/proto.h) */
    WEFT_MSG_SHRINK_OFFER = 7,  /* weft_comm_shrink (core/shrink_wire.c): leader -> survivor */
    WEFT_MSG_SHRINK_REPLY = 8,  /* survivor -> leader: agree or not, and why */
    WEFT_MSG_SHRINK_DECISION = 9, /* leader -> survivor: commit or abandon, and why */
    WEFT_MSG_CUDA_IPC = 10,     /* a rank's CUDA IPC handles, to its node (cuda/ipc_wire.h) */
    WEFT_MSG_SOCKET_FIRST = 16, /* 16..31: the socket transport's own */
    WEFT_MSG_SOCKET_LAST = 31,
    WEFT_MSG_TYPE_MAX = 63
};

/* Starts every bootstrap message and every socket-transport connection
 * handshake.  Checked (magic, version, type range, length bound) before
 * the body is read. */
typedef struct {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t length; /* bytes of body that follow */
    uint32_t reserved;
} weft__wire_hdr_t;

/* Encodes/decodes the 16 header bytes (no checks). */
void weft__wire_hdr_pack(const weft__wire_hdr_t *hdr, uint8_t raw[WEFT_WIRE_HDR_BYTES]);
void weft__wire_hdr_unpack(const uint8_t raw[WEFT_WIRE_HDR_BYTES], weft__wire_hdr_t *hdr_p);
/* Checks magic, version, type (expect_type, or any known type if 0) and
 * length <= max_len.  Does not log: on failure writes the reason to why and
 * returns WEFT_ERR_REMOTE (garbage) or WEFT_ERR_INVALID_USAGE (another wire
 * version).  For code that must refuse strangers without failing itself. */
weft_status_t weft__wire_hdr_check(const weft__wire_hdr_t *hdr, uint16_t expect_type,
                                   uint32_t max_len, char *why, size_t why_len);
/* The first 8 bytes that every weft header shares (magic u32, version u16,
 * type u16), for headers with their own layout after them (the socket
 * transport's pieces).  Same results and reasons as weft__wire_hdr_check. */
weft_status_t weft__wire_prefix_check(const uint8_t raw[8], uint16_t expect_type, char *why,
                                      size_t why_len);

/* The interface address to use: WEFT_SOCKET_IFNAME if set (an error if it
 * does not exist or has no address), else the first up non-loopback
 * interface with an IPv4 (then IPv6) address, else loopback.  Port 0. */
weft_status_t weft__net_pick_addr(struct sockaddr_storage *addr_p, char ifname[32]);

/* Listens on addr (port 0 picks one), SO_REUSEADDR, non-blocking (accept
 * with weft__net_accept or poll); returns the bound address. */
weft_status_t weft__net_listen(const struct sockaddr_storage *addr, int *fd_p,
                               struct sockaddr_storage *bound_p);

/* Connects, retrying refused connections with a short backoff until the
 * deadline (then WEFT_ERR_TIMEOUT).  The fd is blocking, CLOEXEC, NODELAY. */
weft_status_t weft__net_connect(const struct sockaddr_storage *addr, uint64_t deadline_ns,
                                int *fd_p);

/* Accepts one connection, waiting until the deadline.  The fd is blocking,
 * CLOEXEC, NODELAY. */
weft_status_t weft__net_accept(int listen_fd, uint64_t deadline_ns, int *fd_p);

/* Whole-buffer transfers on a blocking or non-blocking fd, polling until the
 * deadline; a closed peer is WEFT_ERR_REMOTE. */
weft_status_t weft__net_send_all(int fd, const void *buf, size_t len, uint64_t deadline_ns);
weft_status_t weft__net_recv_all(int fd, void *buf, size_t len, uint64_t deadline_ns);

/* Header helpers: recv checks magic/version/type/length <= max_len (see
 * weft__wire_hdr_check; expect_type 0 accepts any known type) before any
 * body byte is read, and names the peer in its error. */
weft_status_t weft__net_send_msg(int fd, uint16_t type, const void *body, uint32_t len,
                                 uint64_t deadline_ns);
weft_status_t weft__net_recv_hdr(int fd, uint16_t expect_type, uint32_t max_len,
                                 weft__wire_hdr_t *hdr_p, uint64_t deadline_ns);

/* "1.2.3.4:5678" or "[::1]:5678"; an fd's peer, for error messages. */
const char *weft__net_addr_str(const struct sockaddr_storage *addr, char *buf, size_t len);
const char *weft__net_peer_str(int fd, char *buf, size_t len);
/* Parses "host:port" (host a name or an address); an error names `what`. */
weft_status_t weft__net_parse_hostport(const char *text, const char *what,
                                       struct sockaddr_storage *addr_p);
/* Its first half, no name lookup: "host:port" or "[v6]:port" into host
 * (at most 255 characters) and a port in 1..65535. */
weft_status_t weft__net_split_hostport(const char *text, const char *what, char host[256],
                                       unsigned *port_p);

/* An address in 24 wire bytes: family u16 (0 none, 4, 6), port u16, IPv6
 * scope id u32, 16 address bytes (IPv4 uses the first 4).  unpack refuses
 * (WEFT_ERR_INVALID_ARGUMENT, no log) a family other than 4/6, port 0, or
 * nonzero padding; family 0 is accepted only if allow_none. */
#define WEFT_ADDR_PACKED_BYTES 24
void weft__net_addr_pack(const struct sockaddr_storage *addr, uint8_t out[WEFT_ADDR_PACKED_BYTES]);
weft_status_t weft__net_addr_unpack(const uint8_t in[WEFT_ADDR_PACKED_BYTES], int allow_none,
                                    struct sockaddr_storage *addr_p);

/* Constant-time comparison of secrets (1 if equal). */
int weft__secret_equal(const uint8_t *a, const uint8_t *b, size_t len);
/* Fills buf with random bytes from getrandom(). */
weft_status_t weft__random_bytes(void *buf, size_t len);

/* Little-endian wire integers. */
static inline void weft__put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void weft__put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void weft__put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t weft__get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t weft__get_le32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static inline uint64_t weft__get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#endif
