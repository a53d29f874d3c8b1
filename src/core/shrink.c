/*
 * shrink.c - weft_comm_shrink(): the survivors of a communicator build a
 * new one without the ranks they exclude.
 *
 * Why not reuse the parent's bootstrap, as split does?  After a failure
 * there is nothing left to reuse: the bootstrap is a star around old rank
 * 0, which may be the rank that died, and its listeners closed once init
 * was done.  So every rank keeps one small TCP listener open from init to
 * destroy (its address travels in init's peer allgather, shrink_wire.c).
 * No thread serves it: connections wait in the kernel's backlog until a
 * shrink accepts them, so a healthy communicator pays one fd and nothing
 * per call.
 *
 * The agreement, every step bounded by the communicator's timeout:
 *   1. The leader -- the lowest rank that is not excluded -- opens a fresh
 *      rendezvous (a new unique id, new secret) and offers it to every
 *      other survivor: it connects to each one's listener and sends the
 *      old secret (which authenticates it), its rank and its excluded set.
 *   2. A survivor accepts connections until an offer with the right secret
 *      comes (strangers are logged and closed) and compares the offered
 *      excluded set with its own: it replies agree, or disagree with its
 *      own set, and in that case fails at once, naming both sets.
 *   3. Once every survivor agreed the leader sends commit to all, else
 *      abandon with the reason.  Only after commit does anyone join the new
 *      communicator (through weft_comm_init_rank_config's path with the
 *      parent's configuration, new rank = place among the survivors in the
 *      old order), so that a disagreement makes
 *      every survivor fail promptly instead of some of them waiting in a
 *      rendezvous the others will never join.
 * A survivor that the leader cannot reach (refused: its process is gone) or
 * that never answers fails the leader's step 1 or 3, and abandon tells the
 * others.  Survivors whose sets differ elect different leaders: a survivor
 * that gets an offer from an unexpected leader sees a different set, says
 * so and fails; one whose leader never calls fails at the deadline with a
 * message naming the leader it waited for.
 */
#include "core/shrink.h"
#include "util/log.h"
#include "util/time.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "{1, 3, 7}" (shortened with "..." when long). */
static const char *set_str(const uint8_t *excluded, int n, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "{");
    for (int r = 0; r < n && used + 16 < len; r++) {
        if (excluded[r])
            used += (size_t)snprintf(buf + used, len - used, "%s%d", used > 1 ? ", " : "", r);
    }
    snprintf(buf + used, len - used, used + 16 < len ? "}" : "...}");
    return buf;
}

static weft_status_t check_args(const struct weft_comm *comm, const int *excluded_ranks,
                                int nexcluded, weft_comm_t *newcomm_p, uint8_t *excluded)
{
    if (newcomm_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "newcomm_p is NULL");
    if (nexcluded < 0 || nexcluded >= comm->nranks)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "nexcluded is %d; it must be in [0, %d) (this rank survives)",
                           nexcluded, comm->nranks);
    if (excluded_ranks == NULL && nexcluded > 0)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "excluded_ranks is NULL but nexcluded is %d",
                           nexcluded);
    for (int i = 0; i < nexcluded; i++) {
        int r = excluded_ranks[i];
        if (r < 0 || r >= comm->nranks)
            return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                               "excluded_ranks[%d] is %d, out of range [0, %d)", i, r,
                               comm->nranks);
        if (r == comm->rank)
            return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                               "excluded_ranks[%d] is %d, the calling rank itself: a rank "
                               "cannot exclude itself (a rank that leaves just destroys its "
                               "communicator)",
                               i, r);
        if (excluded[r])
            return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                               "excluded_ranks[%d] is %d, which is listed twice", i, r);
        excluded[r] = 1;
    }
    return WEFT_OK;
}

/* Step 1 and 3 on the leader: offer id to every survivor, collect their
 * replies, then commit or abandon. */
static weft_status_t lead(struct weft_comm *comm, const uint8_t *excluded,
                          const weft_unique_id_t *id, uint64_t deadline)
{
    int n = comm->nranks, *fds = malloc(sizeof(int) * (size_t)n);
    if (fds == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "shrink of %d ranks", n);
    weft_status_t st = WEFT_OK;
    char why[WEFT_SHRINK_REASON_MAX + 1] = "";
    for (int r = 0; r < n; r++)
        fds[r] = -1;
    for (int r = 0; r < n && st == WEFT_OK; r++) {
        if (excluded[r] || r == comm->rank)
            continue;
        st = weft__shrink_connect(comm, r, deadline, &fds[r]);
        if (st == WEFT_OK)
            st = weft__shrink_send_offer(fds[r], comm, excluded, id, deadline);
        if (st != WEFT_OK)
            snprintf(why, sizeof(why), "rank %d could not be reached: %s", r, weft_last_error());
    }
    for (int r = 0; r < n && st == WEFT_OK; r++) {
        if (fds[r] < 0)
            continue;
        int agree = 0;
        char reason[WEFT_SHRINK_REASON_MAX + 1];
        st = weft__shrink_recv_verdict(fds[r], WEFT_MSG_SHRINK_REPLY, &agree, reason, deadline);
        if (st != WEFT_OK)
            snprintf(why, sizeof(why), "rank %d did not answer: %s", r, weft_last_error());
        else if (!agree) {
            snprintf(why, sizeof(why), "the survivors disagree on the excluded ranks: %.180s",
                     reason);
            st = WEFT_ERR_INVALID_USAGE;
        }
    }
    for (int r = 0; r < n; r++) {
        if (fds[r] < 0)
            continue;
        /* Best effort: a survivor that is gone learns nothing anyway. */
        (void)weft__shrink_send_verdict(fds[r], WEFT_MSG_SHRINK_DECISION, st == WEFT_OK, why,
                                        deadline);
        close(fds[r]);
    }
    free(fds);
    if (st != WEFT_OK)
        return weft__error(st, "weft_comm_shrink: rank %d (leader) abandoned the shrink: %s",
                           comm->rank, why);
    return WEFT_OK;
}

/* The offer on fd matched or not: reply, and on agreement wait for the
 * leader's decision.  Returns WEFT_OK with *id_p on commit. */
static weft_status_t answer(struct weft_comm *comm, int fd, const uint8_t *excluded,
                            weft__shrink_offer_t *offer, uint64_t deadline,
                            weft_unique_id_t *id_p)
{
    char mine[128], theirs[128], reason[WEFT_SHRINK_REASON_MAX + 1];
    int n = comm->nranks;
    if (memcmp(offer->excluded, excluded, (size_t)n) != 0) {
        snprintf(reason, sizeof(reason), "rank %d excludes %s, rank %d excludes %s", comm->rank,
                 set_str(excluded, n, mine, sizeof(mine)), offer->leader,
                 set_str(offer->excluded, n, theirs, sizeof(theirs)));
        (void)weft__shrink_send_verdict(fd, WEFT_MSG_SHRINK_REPLY, 0, reason, deadline);
        return weft__error(WEFT_ERR_INVALID_USAGE,
                           "weft_comm_shrink: the survivors disagree on the excluded ranks: %s",
                           reason);
    }
    weft_status_t st = weft__shrink_send_verdict(fd, WEFT_MSG_SHRINK_REPLY, 1, "", deadline);
    int commit = 0;
    if (st == WEFT_OK)
        st = weft__shrink_recv_verdict(fd, WEFT_MSG_SHRINK_DECISION, &commit, reason, deadline);
    if (st != WEFT_OK)
        return weft__error_keep(st, "weft_comm_shrink: no decision from rank %d (leader)",
                                offer->leader);
    if (!commit)
        return weft__error(WEFT_ERR_REMOTE, "weft_comm_shrink: rank %d (leader) abandoned it: %s",
                           offer->leader, reason);
    *id_p = offer->id;
    return WEFT_OK;
}

/* Step 2 on every other survivor: wait for an authentic offer. */
static weft_status_t follow(struct weft_comm *comm, const uint8_t *excluded, int leader,
                            uint64_t deadline, weft_unique_id_t *id_p)
{
    weft__shrink_offer_t offer = {.excluded = malloc((size_t)comm->nranks)};
    if (offer.excluded == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "shrink of %d ranks", comm->nranks);
    weft_status_t st;
    for (;;) {
        if (atomic_load(&comm->dying)) {
            st = weft__error(WEFT_ERR_INVALID_USAGE, "weft_comm_shrink: comm was aborted");
            break;
        }
        /* Slices of 100 ms, so that an abort from another thread is seen. */
        struct pollfd p = {.fd = comm->shrink_fd, .events = POLLIN};
        int ready = poll(&p, 1, weft__ms_left(deadline, 100));
        int fd = -1;
        if (ready == 0 && !weft__deadline_passed(deadline))
            continue;
        st = ready != 0 ? weft__net_accept(comm->shrink_fd, deadline, &fd) : WEFT_ERR_TIMEOUT;
        if (st == WEFT_ERR_TIMEOUT) {
            st = weft__error(WEFT_ERR_TIMEOUT,
                             "weft_comm_shrink: no offer from rank %d (the lowest rank not "
                             "excluded) within %.0f s: is it alive, and calling "
                             "weft_comm_shrink with the same excluded ranks?",
                             leader, comm->timeout_s);
        }
        if (st != WEFT_OK)
            break;
        /* A stranger gets a few seconds to prove itself, not the whole budget. */
        uint64_t hello = weft__deadline_after(10);
        st = weft__shrink_recv_offer(fd, comm, &offer, hello < deadline ? hello : deadline);
        if (st == WEFT_OK) {
            st = answer(comm, fd, excluded, &offer, deadline, id_p);
            close(fd);
            break;
        }
        WEFT_WARN("weft_comm_shrink: rank %d refused a connection: %s", comm->rank,
                  weft_last_error());
        close(fd);
    }
    free(offer.excluded);
    return st;
}

WEFT_EXPORT weft_status_t weft_comm_shrink(weft_comm_t comm, const int *excluded_ranks,
                                           int nexcluded, weft_comm_t *newcomm_p)
{
    weft__clear_error();
    weft_status_t st = weft__comm_check(comm);
    if (st != WEFT_OK)
        return st;
    uint8_t *excluded = calloc((size_t)comm->nranks, 1);
    if (excluded == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "weft_comm_shrink of %d ranks", comm->nranks);
    WEFT_CHECK_GOTO(check_args(comm, excluded_ranks, nexcluded, newcomm_p, excluded), st,
                    out_free);
    WEFT_CHECK_GOTO(weft__comm_enter(comm), st, out_free);
    int leader = 0, newrank = 0, newsize = comm->nranks - nexcluded;
    while (excluded[leader])
        leader++;
    for (int r = 0; r < comm->rank; r++)
        newrank += !excluded[r];
    uint64_t deadline = weft__deadline_after(comm->timeout_s);
    weft_unique_id_t id;
    if (leader == comm->rank) {
        st = weft__bootstrap_root_start(&id);
        if (st == WEFT_OK && newsize > 1)
            st = lead(comm, excluded, &id, deadline);
    } else {
        st = follow(comm, excluded, leader, deadline, &id);
    }
    weft__comm_leave(comm);
    if (st != WEFT_OK)
        goto out_free;
    weft_comm_t newcomm;
    /* The survivors keep the parent's configuration (deadline, checks) and GPU. */
    st = weft__comm_create_device(newsize, &id, newrank, &comm->config, comm->device,
                                  &newcomm);
    weft__log_set_context(comm->rank, comm->nranks);
    if (st == WEFT_OK) {
        WEFT_INFO("weft_comm_shrink: rank %d of %d is rank %d of %d", comm->rank, comm->nranks,
                  newrank, newsize);
        *newcomm_p = newcomm;
    }
out_free:
    free(excluded);
    return st;
}
