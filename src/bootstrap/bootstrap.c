/*
 * bootstrap.c - joining a communicator's bootstrap (protocol in proto.h).
 *
 * weft__bootstrap_init runs in three phases, each bounded by the caller's
 * deadline:
 *   1. listen: the rank opens its own listener (the interface that
 *      weft__net_pick_addr chooses, port 0) before it tells anyone the
 *      address, so nobody who learns it can find the port closed;
 *   2. rendezvous: it connects to the root named by the id, presents the
 *      secret, its rank and nranks and its listen address, and waits for
 *      the table of every rank's address -- proof that all ranks have come;
 *   3. star: every rank r > 0 connects to rank 0's listener and presents
 *      the secret again; rank 0 accepts the nranks-1 of them (refusing
 *      strangers, gate.c) and welcomes each, so init returns on every rank
 *      only once the star is complete.  The listeners then close: the star
 *      carries everything that follows (coll.c).
 * One rank alone needs no star: it only tells the root, so that the root
 * thread can finish instead of waiting for its deadline.
 */
#include "bootstrap/proto.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Phase 3 on rank 0: the hub accepts every other rank. */
static weft_status_t star_hub(weft_bootstrap_t *bs, int listen_fd, uint64_t deadline_ns)
{
    weft__gate_cfg_t cfg = {.hello_type = WEFT_MSG_HUB_HELLO,
                            .secret = bs->secret,
                            .nranks = bs->nranks,
                            .self_rank = 0,
                            .deadline_ns = deadline_ns,
                            .who = "bootstrap rank 0 (hub)"};
    weft__gate_result_t res = {0};
    weft_status_t st = weft__gate_collect(listen_fd, &cfg, &res);
    if (st != WEFT_OK)
        return st;
    for (int r = 1; r < bs->nranks; r++) {
        st = weft__net_send_msg(res.fds[r], WEFT_MSG_HUB_WELCOME, NULL, 0, deadline_ns);
        if (st != WEFT_OK) {
            weft__gate_result_free(&res);
            return st;
        }
    }
    bs->peer_fds = res.fds; /* the bootstrap owns the connections now */
    free(res.addrs);
    return WEFT_OK;
}

/* Phase 3 on rank r > 0: join the hub at table entry 0. */
static weft_status_t star_join(weft_bootstrap_t *bs, const uint8_t *table, uint64_t deadline_ns)
{
    struct sockaddr_storage hub;
    if (weft__net_addr_unpack(table, 0, &hub) != WEFT_OK)
        return weft__error(WEFT_ERR_REMOTE, "the root's table holds no valid address for rank 0");
    weft__hello_t hello = {.rank = (uint32_t)bs->rank, .nranks = (uint32_t)bs->nranks};
    memcpy(hello.secret, bs->secret, WEFT_SECRET_BYTES);
    void *body;
    uint32_t len;
    weft_status_t st = weft__hello_exchange(&hub, WEFT_MSG_HUB_HELLO, &hello, WEFT_MSG_HUB_WELCOME,
                                            0, deadline_ns, &bs->hub_fd, &body, &len);
    if (st == WEFT_OK)
        free(body);
    return st;
}

/* Phase 2: tell the root who we are and where we listen; get the table. */
static weft_status_t rendezvous(weft_bootstrap_t *bs, const struct sockaddr_storage *root,
                                const struct sockaddr_storage *me, uint64_t deadline_ns,
                                uint8_t **table_p)
{
    weft__hello_t hello = {.rank = (uint32_t)bs->rank, .nranks = (uint32_t)bs->nranks};
    memcpy(hello.secret, bs->secret, WEFT_SECRET_BYTES);
    weft__net_addr_pack(me, hello.addr);
    uint32_t want = (uint32_t)bs->nranks * WEFT_ADDR_PACKED_BYTES;
    int fd;
    void *table;
    uint32_t len;
    weft_status_t st = weft__hello_exchange(root, WEFT_MSG_ROOT_HELLO, &hello, WEFT_MSG_ROOT_TABLE,
                                            want, deadline_ns, &fd, &table, &len);
    if (st != WEFT_OK)
        return st;
    close(fd); /* the root is done with us */
    if (len != want) {
        free(table);
        return weft__error(WEFT_ERR_REMOTE, "the root sent a table of %u bytes for %d ranks", len,
                           bs->nranks);
    }
    *table_p = table;
    return WEFT_OK;
}

weft_status_t weft__bootstrap_init(const weft_unique_id_t *id, int rank, int nranks,
                                   uint64_t deadline_ns, weft_bootstrap_t **bs_p)
{
    weft__uid_t uid;
    weft_status_t st = weft__uid_decode(id, &uid);
    if (st != WEFT_OK)
        return st;
    if (nranks < 1 || nranks > WEFT_BOOTSTRAP_MAX_RANKS)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "nranks %d is out of range 1..%d", nranks,
                           WEFT_BOOTSTRAP_MAX_RANKS);
    if (rank < 0 || rank >= nranks)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "rank %d is out of range 0..%d", rank,
                           nranks - 1);
    weft_bootstrap_t *bs = calloc(1, sizeof(*bs));
    if (bs == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "bootstrap of rank %d", rank);
    bs->rank = rank;
    bs->nranks = nranks;
    bs->hub_fd = -1;
    memcpy(bs->secret, uid.secret, WEFT_SECRET_BYTES);

    int listen_fd = -1;
    struct sockaddr_storage me = {.ss_family = AF_UNSPEC};
    if (nranks > 1) {
        WEFT_CHECK_GOTO(weft__net_pick_addr(&me, NULL), st, err_free_bs);
        WEFT_CHECK_GOTO(weft__net_listen(&me, &listen_fd, &me), st, err_free_bs);
    }
    uint8_t *table = NULL;
    WEFT_CHECK_GOTO(rendezvous(bs, &uid.root_addr, &me, deadline_ns, &table), st,
                    err_close_listener);
    if (nranks > 1) {
        st = rank == 0 ? star_hub(bs, listen_fd, deadline_ns) : star_join(bs, table, deadline_ns);
    }
    free(table);
    if (st != WEFT_OK)
        goto err_close_listener;
    if (listen_fd >= 0)
        close(listen_fd);
    *bs_p = bs;
    return WEFT_OK;
err_close_listener:
    if (listen_fd >= 0)
        close(listen_fd);
err_free_bs:
    weft__bootstrap_destroy(bs);
    return st;
}

const uint8_t *weft__bootstrap_secret(const weft_bootstrap_t *bs)
{
    return bs->secret;
}

void weft__bootstrap_destroy(weft_bootstrap_t *bs)
{
    if (bs == NULL)
        return;
    if (bs->hub_fd >= 0)
        close(bs->hub_fd);
    for (int r = 1; bs->peer_fds != NULL && r < bs->nranks; r++) {
        if (bs->peer_fds[r] >= 0)
            close(bs->peer_fds[r]);
    }
    free(bs->peer_fds);
    memset(bs->secret, 0, sizeof(bs->secret));
    free(bs);
}
