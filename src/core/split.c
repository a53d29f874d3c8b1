/*
 * split.c - weft_comm_split().
 *
 * Collective over the parent: every rank publishes (color, key) through
 * the parent's bootstrap; the ranks of one color, ordered by key then by
 * parent rank, form a new communicator.  Its first rank opens a rendezvous
 * (a fresh id with a fresh secret) and the ids travel through a second
 * allgather; then each group joins exactly as weft_comm_init_rank_config()
 * does, with the parent's configuration (its timeout, check level and the
 * rest of its weft_config_t, as resolved when the parent was created).
 */
#include "core/comm.h"
#include "util/log.h"
#include "util/time.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t color, key;
} split_entry_t;

/* This rank's place in its color group: new rank, size, leader (parent
 * rank of new rank 0). */
static void place(const split_entry_t *all, int n, int me, int *rank_p, int *size_p,
                  int *leader_p)
{
    int rank = 0, size = 0, leader = -1;
    for (int p = 0; p < n; p++) {
        if (all[p].color != all[me].color)
            continue;
        size++;
        if (all[p].key < all[me].key || (all[p].key == all[me].key && p < me))
            rank++;
        if (leader < 0 || all[p].key < all[leader].key)
            leader = p;
    }
    *rank_p = rank;
    *size_p = size;
    *leader_p = leader;
}

WEFT_EXPORT weft_status_t weft_comm_split(weft_comm_t comm, int color, int key,
                                          weft_comm_t *newcomm_p)
{
    weft__clear_error();
    weft_status_t st = weft__comm_check(comm);
    if (st != WEFT_OK)
        return st;
    if (newcomm_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "newcomm_p is NULL");
    if (color < 0 && color != WEFT_SPLIT_NOCOLOR)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "color %d is negative (use WEFT_SPLIT_NOCOLOR to join none)", color);
    int n = comm->nranks;
    uint64_t deadline = weft__deadline_after(comm->timeout_s);
    split_entry_t mine = {color, key}, *all = calloc((size_t)n, sizeof(*all));
    weft_unique_id_t *ids = calloc((size_t)n, sizeof(*ids));
    if (all == NULL || ids == NULL) {
        st = weft__error(WEFT_ERR_NO_MEMORY, "weft_comm_split over %d ranks", n);
        goto out_free;
    }
    st = weft__bootstrap_allgather(comm->bs, &mine, all, sizeof(mine), deadline);
    if (st != WEFT_OK)
        goto out_free;
    int newrank, newsize, leader;
    place(all, n, comm->rank, &newrank, &newsize, &leader);
    weft_unique_id_t my_id;
    memset(&my_id, 0, sizeof(my_id));
    weft_status_t root_st = WEFT_OK;
    if (color != WEFT_SPLIT_NOCOLOR && leader == comm->rank)
        root_st = weft__bootstrap_root_start(&my_id);
    /* Everyone takes part in the exchange, even a rank whose root failed:
     * its group then fails to decode the id instead of waiting. */
    st = weft__bootstrap_allgather(comm->bs, &my_id, ids, sizeof(my_id), deadline);
    if (st == WEFT_OK)
        st = root_st;
    if (st != WEFT_OK || color == WEFT_SPLIT_NOCOLOR) {
        if (st == WEFT_OK)
            *newcomm_p = NULL;
        goto out_free;
    }
    weft_comm_t newcomm;
    /* The child has the parent's configuration (deadline, checks) and GPU. */
    st = weft__comm_create_device(newsize, &ids[leader], newrank, &comm->config, comm->device,
                                  &newcomm);
    weft__log_set_context(comm->rank, comm->nranks);
    if (st == WEFT_OK)
        *newcomm_p = newcomm;
out_free:
    free(all);
    free(ids);
    return st;
}
