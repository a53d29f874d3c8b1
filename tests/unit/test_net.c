/*
 * test_net.c - the TCP helpers of src/bootstrap/net.h on loopback:
 * host:port parsing, interface choice, listen/connect/accept, whole-buffer
 * transfers, the wire header's checks (each refusal happens before a body
 * byte is read), deadlines, and a closed peer.
 */
#include "bootstrap/net.h"
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
            fprintf(stderr, " (last error: %s)\n", weft_last_error());                             \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static uint16_t port_of(const struct sockaddr_storage *a)
{
    return ntohs(a->ss_family == AF_INET ? ((const struct sockaddr_in *)a)->sin_port
                                         : ((const struct sockaddr_in6 *)a)->sin6_port);
}

static void test_parse(void)
{
    struct sockaddr_storage a;
    char buf[80];
    CHECK(weft__net_parse_hostport("127.0.0.1:8080", "X", &a) == WEFT_OK, "v4");
    CHECK(a.ss_family == AF_INET && port_of(&a) == 8080, "v4 parsed");
    CHECK(strcmp(weft__net_addr_str(&a, buf, sizeof(buf)), "127.0.0.1:8080") == 0, "%s", buf);
    CHECK(weft__net_parse_hostport("[::1]:5678", "X", &a) == WEFT_OK, "v6");
    CHECK(a.ss_family == AF_INET6 && port_of(&a) == 5678, "v6 parsed");
    CHECK(strcmp(weft__net_addr_str(&a, buf, sizeof(buf)), "[::1]:5678") == 0, "%s", buf);
    CHECK(weft__net_parse_hostport("localhost:1234", "X", &a) == WEFT_OK, "name");
    CHECK(port_of(&a) == 1234, "name port");

    static const char *const bad[] = {"1.2.3.4",      "1.2.3.4:",   "1.2.3.4:0", "1.2.3.4:65536",
                                      "1.2.3.4:12ab", ":80",        "::1:80",    "[::1]80",
                                      "[::1:80",      "1.2.3.4:-1", "[zz]:80",   ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        weft_status_t st = weft__net_parse_hostport(bad[i], "MY_VAR", &a);
        CHECK(st == WEFT_ERR_INVALID_ARGUMENT, "\"%s\" gave %d", bad[i], st);
        CHECK(strstr(weft_last_error(), "MY_VAR") != NULL, "\"%s\": message names the variable",
              bad[i]);
    }
}

static void test_pack(void)
{
    struct sockaddr_storage a, b;
    uint8_t raw[WEFT_ADDR_PACKED_BYTES];
    static const char *const good[] = {"10.1.2.3:4", "[fd00::2]:65535"};
    for (int i = 0; i < 2; i++) {
        weft__net_parse_hostport(good[i], "X", &a);
        weft__net_addr_pack(&a, raw);
        CHECK(weft__net_addr_unpack(raw, 0, &b) == WEFT_OK, "%s", good[i]);
        char s1[80], s2[80];
        CHECK(strcmp(weft__net_addr_str(&a, s1, 80), weft__net_addr_str(&b, s2, 80)) == 0,
              "%s != %s", s1, s2);
    }
    memset(raw, 0, sizeof(raw));
    CHECK(weft__net_addr_unpack(raw, 0, &b) != WEFT_OK, "zeros refused");
    CHECK(weft__net_addr_unpack(raw, 1, &b) == WEFT_OK && b.ss_family == AF_UNSPEC, "none");
    memset(raw, 0xa5, sizeof(raw));
    CHECK(weft__net_addr_unpack(raw, 1, &b) != WEFT_OK, "garbage refused");
}

static void test_pick(void)
{
    struct sockaddr_storage a;
    char ifname[32];
    CHECK(weft__net_pick_addr(&a, ifname) == WEFT_OK, "default interface");
    printf("default interface: %s\n", ifname);
    setenv("WEFT_SOCKET_IFNAME", "nosuchif9", 1);
    weft__config_reload();
    CHECK(weft__net_pick_addr(&a, ifname) == WEFT_ERR_INVALID_ARGUMENT, "missing interface");
    CHECK(strstr(weft_last_error(), "WEFT_SOCKET_IFNAME") && strstr(weft_last_error(), "nosuchif9"),
          "message names variable and interface");
    setenv("WEFT_SOCKET_IFNAME", "lo", 1);
    weft__config_reload();
    CHECK(weft__net_pick_addr(&a, ifname) == WEFT_OK && a.ss_family == AF_INET &&
              strcmp(ifname, "lo") == 0,
          "lo");
    unsetenv("WEFT_SOCKET_IFNAME");
    weft__config_reload();
}

/* A connected pair on loopback: *c the client, *s the accepted end. */
static void make_pair(int *c, int *s)
{
    struct sockaddr_storage a, bound;
    weft__net_parse_hostport("127.0.0.1:1", "X", &a);
    ((struct sockaddr_in *)&a)->sin_port = 0;
    int lfd;
    uint64_t dl = weft__deadline_after(5);
    if (weft__net_listen(&a, &lfd, &bound) != WEFT_OK || weft__net_connect(&bound, dl, c) ||
        weft__net_accept(lfd, dl, s) != WEFT_OK) {
        fprintf(stderr, "FAIL: cannot make a loopback pair: %s\n", weft_last_error());
        exit(1);
    }
    close(lfd);
}

typedef struct {
    int fd;
    size_t len;
    weft_status_t st;
} sender_t;

static void *send_big(void *arg)
{
    sender_t *s = arg;
    unsigned char *buf = malloc(s->len);
    for (size_t i = 0; i < s->len; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    s->st = weft__net_send_all(s->fd, buf, s->len, weft__deadline_after(10));
    free(buf);
    return NULL;
}

static void test_transfer(void)
{
    int c, s;
    make_pair(&c, &s);
    sender_t snd = {.fd = c, .len = 8 << 20};
    pthread_t t;
    pthread_create(&t, NULL, send_big, &snd);
    unsigned char *buf = malloc(snd.len);
    CHECK(weft__net_recv_all(s, buf, snd.len, weft__deadline_after(10)) == WEFT_OK, "recv 8M");
    pthread_join(t, NULL);
    CHECK(snd.st == WEFT_OK, "send 8M");
    size_t bad = 0;
    for (size_t i = 0; i < snd.len; i++)
        bad += buf[i] != (unsigned char)(i * 7 + 3);
    CHECK(bad == 0, "%zu bytes differ", bad);
    free(buf);

    /* A message with a header, both directions. */
    weft__wire_hdr_t hdr;
    CHECK(weft__net_send_msg(s, WEFT_MSG_COLL, "hello", 5, weft__deadline_after(1)) == 0, "msg");
    CHECK(weft__net_recv_hdr(c, WEFT_MSG_COLL, 5, &hdr, weft__deadline_after(1)) == WEFT_OK, "hdr");
    char body[6] = "";
    CHECK(hdr.length == 5 && weft__net_recv_all(c, body, 5, weft__deadline_after(1)) == 0 &&
              strcmp(body, "hello") == 0,
          "body");

    /* Nothing sent: the deadline ends the wait. */
    uint64_t t0 = weft__now_ns();
    CHECK(weft__net_recv_all(c, body, 1, weft__deadline_after(0.2)) == WEFT_ERR_TIMEOUT,
          "recv timeout");
    double took = (double)(weft__now_ns() - t0) / 1e9;
    CHECK(took >= 0.19 && took < 1.0, "recv timed out after %.3f s", took);

    /* A closed peer: EOF on recv, an error (not SIGPIPE) on send. */
    close(s);
    CHECK(weft__net_recv_all(c, body, 1, weft__deadline_after(1)) == WEFT_ERR_REMOTE,
          "recv from closed");
    weft_status_t st = WEFT_OK;
    char chunk[4096] = {0};
    for (int i = 0; i < 1000 && st == WEFT_OK; i++)
        st = weft__net_send_all(c, chunk, sizeof(chunk), weft__deadline_after(1));
    CHECK(st == WEFT_ERR_REMOTE, "send to closed gave %d", st);
    close(c);
}

/* Writes a raw header and a body; recv_hdr must refuse without taking the body. */
static void check_refused(uint32_t magic, uint16_t version, uint16_t type, uint32_t length,
                          uint32_t max, weft_status_t want, const char *text)
{
    int c, s;
    make_pair(&c, &s);
    weft__wire_hdr_t hdr = {magic, version, type, length, 0};
    uint8_t raw[WEFT_WIRE_HDR_BYTES + 4];
    weft__wire_hdr_pack(&hdr, raw);
    memcpy(raw + WEFT_WIRE_HDR_BYTES, "BODY", 4);
    weft__net_send_all(c, raw, sizeof(raw), weft__deadline_after(1));
    weft__wire_hdr_t got;
    weft_status_t st = weft__net_recv_hdr(s, WEFT_MSG_COLL, max, &got, weft__deadline_after(1));
    CHECK(st == want, "%s: status %d, expected %d", text, st, want);
    CHECK(strstr(weft_last_error(), text) != NULL, "message has \"%s\"", text);
    char body[5] = "";
    CHECK(weft__net_recv_all(s, body, 4, weft__deadline_after(1)) == WEFT_OK &&
              strcmp(body, "BODY") == 0,
          "%s: the body is still unread", text);
    close(c);
    close(s);
}

static void test_header(void)
{
    char versions[96];
    snprintf(versions, sizeof(versions),
             "peer runs weft wire protocol version 9, this process runs version %d",
             WEFT_WIRE_VERSION);
    check_refused(0x12345678, WEFT_WIRE_VERSION, WEFT_MSG_COLL, 4, 100, WEFT_ERR_REMOTE,
                  "bad magic");
    check_refused(WEFT_WIRE_MAGIC, 9, WEFT_MSG_COLL, 4, 100, WEFT_ERR_INVALID_USAGE, versions);
    check_refused(WEFT_WIRE_MAGIC, WEFT_WIRE_VERSION, WEFT_MSG_COLL, 1000000, 100, WEFT_ERR_REMOTE,
                  "more than the 100 allowed");
    check_refused(WEFT_WIRE_MAGIC, WEFT_WIRE_VERSION, WEFT_MSG_HUB_HELLO, 4, 100, WEFT_ERR_REMOTE,
                  "unexpected message type");
}

static void test_connect_timeout(void)
{
    struct sockaddr_storage a, bound;
    weft__net_parse_hostport("127.0.0.1:1", "X", &a);
    ((struct sockaddr_in *)&a)->sin_port = 0;
    int lfd, fd = -1;
    CHECK(weft__net_listen(&a, &lfd, &bound) == WEFT_OK, "listen");
    close(lfd); /* the port is closed now */
    uint64_t t0 = weft__now_ns();
    weft_status_t st = weft__net_connect(&bound, t0 + 300000000u, &fd);
    double took = (double)(weft__now_ns() - t0) / 1e9;
    CHECK(st == WEFT_ERR_TIMEOUT, "connect to a closed port gave %d", st);
    CHECK(took >= 0.29 && took < 1.0, "gave up after %.3f s", took);
    uint64_t t1 = weft__now_ns();
    CHECK(weft__net_accept(-1, t1, &fd) != WEFT_OK, "accept on a bad fd fails");
}

static void test_secret(void)
{
    uint8_t a[32], b[32];
    CHECK(weft__random_bytes(a, sizeof(a)) == WEFT_OK, "random");
    memcpy(b, a, sizeof(a));
    CHECK(weft__secret_equal(a, b, 32), "equal");
    b[31] ^= 1;
    CHECK(!weft__secret_equal(a, b, 32), "last byte differs");
    uint8_t zero[32] = {0};
    CHECK(memcmp(a, zero, 32) != 0, "random bytes are not all zero");
}

int main(void)
{
    test_parse();
    test_pack();
    test_pick();
    test_transfer();
    test_header();
    test_connect_timeout();
    test_secret();
    if (failures) {
        fprintf(stderr, "test_net: %d failures\n", failures);
        return 1;
    }
    printf("test_net: ok\n");
    return 0;
}
