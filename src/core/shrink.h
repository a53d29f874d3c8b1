/*
 * shrink.h - internal pieces of weft_comm_shrink (shrink.c: the protocol;
 * shrink_wire.c: its messages and the listener every rank keeps for it).
 */
#ifndef WEFT_CORE_SHRINK_H
#define WEFT_CORE_SHRINK_H

#include "bootstrap/net.h"
#include "core/comm.h"

#define WEFT_SHRINK_REASON_MAX 256

/* Init: opens this rank's shrink listener (comm->shrink_fd) on the
 * bootstrap's interface and allgathers every rank's address into
 * comm->shrink_addrs.  Teardown closes and frees them (safe if never set up). */
weft_status_t weft__shrink_setup(struct weft_comm *comm, uint64_t deadline_ns);
void weft__shrink_teardown(struct weft_comm *comm);

/* Connects to peer's shrink listener: one attempt, bounded by the deadline;
 * refused is WEFT_ERR_REMOTE (the peer is gone). */
weft_status_t weft__shrink_connect(const struct weft_comm *comm, int peer, uint64_t deadline_ns,
                                   int *fd_p);

typedef struct {
    int leader;        /* the sender's old rank */
    uint8_t *excluded; /* [nranks], the caller's buffer: 1 = excluded */
    weft_unique_id_t id;
} weft__shrink_offer_t;

weft_status_t weft__shrink_send_offer(int fd, const struct weft_comm *comm, const uint8_t *excluded,
                                      const weft_unique_id_t *id, uint64_t deadline_ns);
/* Checks the header, the secret, nranks and every excluded rank before
 * anything is trusted; an error means a stranger or a broken peer. */
weft_status_t weft__shrink_recv_offer(int fd, const struct weft_comm *comm,
                                      weft__shrink_offer_t *offer, uint64_t deadline_ns);

/* SHRINK_REPLY (agree?) and SHRINK_DECISION (commit?): a yes/no and why. */
weft_status_t weft__shrink_send_verdict(int fd, uint16_t type, int yes, const char *reason,
                                        uint64_t deadline_ns);
weft_status_t weft__shrink_recv_verdict(int fd, uint16_t type, int *yes_p,
                                        char reason[WEFT_SHRINK_REASON_MAX + 1],
                                        uint64_t deadline_ns);

#endif
