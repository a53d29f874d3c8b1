/*
 * shrink_wire.c - the messages of weft_comm_shrink's agreement (the
 * protocol is described in shrink.c) and the listener every rank keeps
 * for it: opened at init, its address spread by one bootstrap allgather
 * (a few hundred bytes, once per communicator), closed at destroy.
 *
 * Three message types, each a wire header (net.h) and a bounded body,
 * little-endian:
 *   SHRINK_OFFER    leader -> survivor: old secret [32], leader's old rank
 *                   u32, old nranks u32, nexcluded u32, the new unique id
 *                   [128], then nexcluded ranks u32 in increasing order;
 *   SHRINK_REPLY    survivor -> leader: verdict u32 (1 agree, 0 disagree)
 *                   and the reason as text;
 *   SHRINK_DECISION leader -> survivor: verdict u32 (1 commit, 0 abandon)
 *                   and the reason as text.
 * An offer is only trusted once its secret has been compared (in constant
 * time) with the communicator's: a stranger that reaches the listener is
 * closed and logged, never answered.
 */
#include "core/shrink.h"
#include "util/log.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

weft_status_t weft__shrink_setup(struct weft_comm *comm, uint64_t deadline_ns)
{
    if (comm->nranks == 1)
        return WEFT_OK; /* nobody to agree with: a shrink needs no channel */
    comm->shrink_addrs = calloc((size_t)comm->nranks, WEFT_ADDR_PACKED_BYTES);
    comm->shrink_fd = -1;
    if (comm->shrink_addrs == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "shrink addresses of %d ranks", comm->nranks);
    struct sockaddr_storage me = {.ss_family = AF_UNSPEC};
    uint8_t packed[WEFT_ADDR_PACKED_BYTES];
    weft_status_t st = weft__net_pick_addr(&me, NULL);
    if (st == WEFT_OK)
        st = weft__net_listen(&me, &comm->shrink_fd, &me);
    if (st != WEFT_OK)
        return weft__error_keep(st, "rank %d: the listener for weft_comm_shrink", comm->rank);
    weft__net_addr_pack(&me, packed);
    return weft__bootstrap_allgather(comm->bs, packed, comm->shrink_addrs, sizeof(packed),
                                     deadline_ns);
}

void weft__shrink_teardown(struct weft_comm *comm)
{
    if (comm->shrink_addrs == NULL)
        return;
    if (comm->shrink_fd >= 0)
        close(comm->shrink_fd);
    free(comm->shrink_addrs);
    comm->shrink_addrs = NULL;
    comm->shrink_fd = -1;
}

/* One attempt, bounded by the deadline: a survivor listens from init to
 * destroy, so a refused connection means that its process is gone -- no
 * point retrying the way weft__net_connect does for a rank still starting. */
weft_status_t weft__shrink_connect(const struct weft_comm *comm, int peer, uint64_t deadline_ns,
                                   int *fd_p)
{
    struct sockaddr_storage addr;
    const uint8_t *packed = comm->shrink_addrs + (size_t)peer * WEFT_ADDR_PACKED_BYTES;
    if (weft__net_addr_unpack(packed, 0, &addr) != WEFT_OK)
        return weft__error(WEFT_ERR_INTERNAL, "no shrink address for rank %d", peer);
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return weft__error(WEFT_ERR_SYSTEM, "socket for rank %d: %s", peer, strerror(errno));
    socklen_t len = addr.ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                              : sizeof(struct sockaddr_in6);
    int rc = connect(fd, (struct sockaddr *)&addr, len), err = rc == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        while ((rc = poll(&p, 1, weft__ms_left(deadline_ns, 100))) <= 0) {
            if (weft__deadline_passed(deadline_ns)) {
                close(fd);
                return weft__error(WEFT_ERR_TIMEOUT,
                                   "rank %d did not accept a connection before the deadline: "
                                   "is it stopped?",
                                   peer);
            }
        }
        socklen_t elen = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
            err = errno;
    }
    if (err != 0) {
        close(fd);
        return weft__error(WEFT_ERR_REMOTE,
                           "rank %d is not listening (%s): it has died or destroyed its "
                           "communicator; list it in excluded_ranks",
                           peer, strerror(err));
    }
    *fd_p = fd;
    return WEFT_OK;
}

weft_status_t weft__shrink_send_offer(int fd, const struct weft_comm *comm, const uint8_t *excluded,
                                      const weft_unique_id_t *id, uint64_t deadline_ns)
{
    size_t fixed = WEFT_SECRET_BYTES + 12 + WEFT_UNIQUE_ID_BYTES;
    uint8_t *body = malloc(fixed + 4 * (size_t)comm->nranks);
    if (body == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "shrink offer for %d ranks", comm->nranks);
    uint32_t nex = 0;
    for (int r = 0; r < comm->nranks; r++) {
        if (excluded[r])
            weft__put_le32(body + fixed + 4 * nex++, (uint32_t)r);
    }
    memcpy(body, comm->secret, WEFT_SECRET_BYTES);
    weft__put_le32(body + WEFT_SECRET_BYTES, (uint32_t)comm->rank);
    weft__put_le32(body + WEFT_SECRET_BYTES + 4, (uint32_t)comm->nranks);
    weft__put_le32(body + WEFT_SECRET_BYTES + 8, nex);
    memcpy(body + WEFT_SECRET_BYTES + 12, id->internal, WEFT_UNIQUE_ID_BYTES);
    weft_status_t st = weft__net_send_msg(fd, WEFT_MSG_SHRINK_OFFER, body,
                                          (uint32_t)(fixed + 4 * nex), deadline_ns);
    free(body);
    return st;
}

weft_status_t weft__shrink_recv_offer(int fd, const struct weft_comm *comm,
                                      weft__shrink_offer_t *offer, uint64_t deadline_ns)
{
    size_t fixed = WEFT_SECRET_BYTES + 12 + WEFT_UNIQUE_ID_BYTES;
    uint32_t max = (uint32_t)(fixed + 4 * (size_t)comm->nranks);
    weft__wire_hdr_t hdr;
    weft_status_t st = weft__net_recv_hdr(fd, WEFT_MSG_SHRINK_OFFER, max, &hdr, deadline_ns);
    if (st != WEFT_OK)
        return st;
    if (hdr.length < fixed || (hdr.length - fixed) % 4 != 0)
        return weft__error(WEFT_ERR_REMOTE, "a shrink offer of %u bytes", hdr.length);
    uint8_t *body = malloc(hdr.length);
    if (body == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "shrink offer of %u bytes", hdr.length);
    st = weft__net_recv_all(fd, body, hdr.length, deadline_ns);
    if (st != WEFT_OK) {
        free(body);
        return st;
    }
    if (!weft__secret_equal(body, comm->secret, WEFT_SECRET_BYTES))
        st = weft__error(WEFT_ERR_REMOTE, "a shrink offer with the wrong secret");
    uint32_t leader = weft__get_le32(body + WEFT_SECRET_BYTES);
    uint32_t nranks = weft__get_le32(body + WEFT_SECRET_BYTES + 4);
    uint32_t nex = weft__get_le32(body + WEFT_SECRET_BYTES + 8);
    if (st == WEFT_OK && (nranks != (uint32_t)comm->nranks || leader >= nranks ||
                          nex != (hdr.length - fixed) / 4))
        st = weft__error(WEFT_ERR_REMOTE, "a shrink offer from rank %u of %u excluding %u",
                         leader, nranks, nex);
    memset(offer->excluded, 0, (size_t)comm->nranks);
    for (uint32_t i = 0; st == WEFT_OK && i < nex; i++) {
        uint32_t r = weft__get_le32(body + fixed + 4 * i);
        if (r >= nranks || offer->excluded[r])
            st = weft__error(WEFT_ERR_REMOTE, "a shrink offer excluding rank %u twice or out "
                             "of range", r);
        else
            offer->excluded[r] = 1;
    }
    if (st == WEFT_OK) {
        offer->leader = (int)leader;
        memcpy(offer->id.internal, body + WEFT_SECRET_BYTES + 12, WEFT_UNIQUE_ID_BYTES);
    }
    free(body);
    return st;
}

weft_status_t weft__shrink_send_verdict(int fd, uint16_t type, int yes, const char *reason,
                                        uint64_t deadline_ns)
{
    uint8_t body[4 + WEFT_SHRINK_REASON_MAX];
    size_t len = strlen(reason);
    len = len < WEFT_SHRINK_REASON_MAX ? len : WEFT_SHRINK_REASON_MAX;
    weft__put_le32(body, yes ? 1u : 0u);
    memcpy(body + 4, reason, len);
    return weft__net_send_msg(fd, type, body, (uint32_t)(4 + len), deadline_ns);
}

weft_status_t weft__shrink_recv_verdict(int fd, uint16_t type, int *yes_p,
                                        char reason[WEFT_SHRINK_REASON_MAX + 1],
                                        uint64_t deadline_ns)
{
    weft__wire_hdr_t hdr;
    uint8_t body[4 + WEFT_SHRINK_REASON_MAX];
    weft_status_t st = weft__net_recv_hdr(fd, type, sizeof(body), &hdr, deadline_ns);
    if (st == WEFT_OK && hdr.length < 4)
        st = weft__error(WEFT_ERR_REMOTE, "a shrink verdict of %u bytes", hdr.length);
    if (st == WEFT_OK)
        st = weft__net_recv_all(fd, body, hdr.length, deadline_ns);
    if (st != WEFT_OK)
        return st;
    size_t len = hdr.length - 4;
    for (size_t i = 0; i < len; i++) /* text from the wire: printable only */
        reason[i] = body[4 + i] >= 0x20 && body[4 + i] <= 0x7e ? (char)body[4 + i] : '?';
    reason[len] = '\0';
    *yes_p = weft__get_le32(body) == 1;
    return WEFT_OK;
}
