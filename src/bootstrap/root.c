/*
 * root.c - the rendezvous root (protocol in proto.h).
 *
 * weft_get_unique_id() runs in one process, and the ranks that use its id
 * may be anywhere, so the root is a detached thread of that process that
 * serves exactly one communicator: it waits (gate.c) until every rank has
 * presented the secret and its listen address, sends each the table of all
 * addresses, closes everything and exits, freeing what it allocated.  At
 * the WEFT_TIMEOUT deadline it gives up, logging the ranks that never came.
 * Detached, because nobody is there to join it: the process that made the
 * id may not be a rank at all.  Its state is its own, so a root outliving
 * the call that started it is safe; weft__bootstrap_roots_live() counts the
 * roots still running, for tests that check that each one ends.
 */
#include "bootstrap/proto.h"
#include "util/config.h"
#include "util/log.h"
#include "util/thread.h"
#include "util/time.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    int listen_fd;
    uint8_t secret[WEFT_SECRET_BYTES];
    uint64_t deadline_ns;
    char who[96];
} root_t;

static atomic_int roots_live;

int weft__bootstrap_roots_live(void)
{
    return atomic_load(&roots_live);
}

static void send_tables(const root_t *root, const weft__gate_result_t *res)
{
    uint32_t len = (uint32_t)res->nranks * WEFT_ADDR_PACKED_BYTES;
    for (int r = 0; r < res->nranks; r++) {
        /* A rank that left meanwhile fails alone: its peers find out from
         * their own connections to it. */
        if (weft__net_send_msg(res->fds[r], WEFT_MSG_ROOT_TABLE, res->addrs, len,
                               root->deadline_ns) != WEFT_OK)
            WEFT_WARN("%s: could not send the table to rank %d: %s", root->who, r,
                      weft_last_error());
    }
}

static void *root_main(void *arg)
{
    root_t *root = arg;
    weft__gate_cfg_t cfg = {.hello_type = WEFT_MSG_ROOT_HELLO,
                            .secret = root->secret,
                            .nranks = 0,
                            .self_rank = -1,
                            .deadline_ns = root->deadline_ns,
                            .who = root->who};
    weft__gate_result_t res = {0};
    weft_status_t st = weft__gate_collect(root->listen_fd, &cfg, &res);
    close(root->listen_fd); /* one communicator: later callers are refused */
    if (st == WEFT_OK) {
        WEFT_TRACE("%s: all %d ranks are in", root->who, res.nranks);
        send_tables(root, &res);
        weft__gate_result_free(&res);
    }
    memset(root->secret, 0, sizeof(root->secret));
    free(root);
    atomic_fetch_sub(&roots_live, 1);
    return NULL;
}

/* Takes over listen_fd (closed on failure too). */
static weft_status_t root_spawn(int listen_fd, const struct sockaddr_storage *bound,
                                const uint8_t secret[WEFT_SECRET_BYTES])
{
    root_t *root = calloc(1, sizeof(*root));
    if (root == NULL) {
        close(listen_fd);
        return weft__error(WEFT_ERR_NO_MEMORY, "bootstrap root state");
    }
    root->listen_fd = listen_fd;
    memcpy(root->secret, secret, WEFT_SECRET_BYTES);
    root->deadline_ns = weft__deadline_after(weft__config_double(WEFT_CFG_TIMEOUT));
    char astr[80];
    snprintf(root->who, sizeof(root->who), "bootstrap root %s",
             weft__net_addr_str(bound, astr, sizeof(astr)));

    /* The root thread takes no signals: they belong to the application. */
    atomic_fetch_add(&roots_live, 1);
    int rc = weft__thread_start(root_main, root);
    if (rc != 0) {
        atomic_fetch_sub(&roots_live, 1);
        close(listen_fd);
        free(root);
        return weft__error(WEFT_ERR_SYSTEM, "bootstrap root thread: %s", strerror(rc));
    }
    /* root belongs to the thread now (it may be gone already): use astr. */
    WEFT_INFO("bootstrap root %s serves one communicator", astr);
    return WEFT_OK;
}

weft_status_t weft__bootstrap_root_start(weft_unique_id_t *id_p)
{
    weft__uid_t uid = {0};
    char ifname[32];
    weft_status_t st = weft__net_pick_addr(&uid.root_addr, ifname);
    if (st != WEFT_OK)
        return st;
    st = weft__random_bytes(uid.secret, WEFT_SECRET_BYTES);
    if (st != WEFT_OK)
        return st;
    int fd;
    st = weft__net_listen(&uid.root_addr, &fd, &uid.root_addr);
    if (st != WEFT_OK)
        return st;
    weft_unique_id_t id;
    st = weft__uid_encode(&uid, &id);
    if (st != WEFT_OK) {
        close(fd);
        return st;
    }
    st = root_spawn(fd, &uid.root_addr, uid.secret);
    if (st == WEFT_OK)
        *id_p = id;
    return st;
}

/* 127.0.0.1 and ::1 mean "this node only" and are bound as they are;
 * any other address is bound as the wildcard at the same port, because a
 * name that every other node resolves to this node's address often
 * resolves, here, to another one (Debian maps the host name to 127.0.1.1). */
static void bind_addr_for(const struct sockaddr_storage *addr, struct sockaddr_storage *bind_p)
{
    *bind_p = *addr;
    if (addr->ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)bind_p;
        if (a->sin_addr.s_addr != htonl(INADDR_LOOPBACK))
            a->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (addr->ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)bind_p;
        if (!IN6_IS_ADDR_LOOPBACK(&a->sin6_addr)) {
            a->sin6_addr = in6addr_any;
            a->sin6_scope_id = 0;
        }
    }
}

weft_status_t weft__bootstrap_root_start_at(const struct sockaddr_storage *addr,
                                            const uint8_t secret[WEFT_SECRET_BYTES],
                                            weft_unique_id_t *id_p)
{
    struct sockaddr_storage bind_to, bound;
    bind_addr_for(addr, &bind_to);
    int fd;
    weft_status_t st = weft__net_listen(&bind_to, &fd, &bound);
    if (st != WEFT_OK)
        return st;
    /* The id names the address the ranks were told, with the bound port
     * (the same, unless the caller asked for port 0). */
    weft__uid_t uid = {.root_addr = *addr};
    if (addr->ss_family == AF_INET)
        ((struct sockaddr_in *)&uid.root_addr)->sin_port = ((struct sockaddr_in *)&bound)->sin_port;
    else
        ((struct sockaddr_in6 *)&uid.root_addr)->sin6_port =
            ((struct sockaddr_in6 *)&bound)->sin6_port;
    memcpy(uid.secret, secret, WEFT_SECRET_BYTES);
    weft_unique_id_t id;
    st = weft__uid_encode(&uid, &id);
    if (st != WEFT_OK) {
        close(fd);
        return st;
    }
    st = root_spawn(fd, &uid.root_addr, uid.secret);
    if (st == WEFT_OK)
        *id_p = id;
    return st;
}
