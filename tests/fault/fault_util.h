/*
 * fault_util.h - what the fault tests share: the clock, emulated nodes,
 * survivor sets, and collectives whose results are checked bit for bit on
 * a communicator of survivors (each contribution depends on the rank's
 * place in the old communicator, so a rank counted twice or a dead one
 * counted at all shows up in the sums).
 */
#ifndef FAULT_UTIL_H
#define FAULT_UTIL_H

#include "multirank/mr_harness.h"

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

#define FU_MAX_RANKS 16

double fu_now(void);

/* Before init in a forked rank: the rank is alone on emulated node
 * "fault-node<rank>", so it talks to every peer over sockets. */
void fu_set_node(int rank);

/* Over old ranks 0..n-1 with gone[r] = 1 for the excluded ones. */
int fu_count(const uint8_t *gone, int n);
int fu_first_survivor(const uint8_t *gone, int n);
int fu_last_survivor(const uint8_t *gone, int n);

/* Each returns its number of failures (printed with "FAIL"). */
int fu_check_allreduce(weft_comm_t comm, int oldrank, const uint8_t *gone, int oldn,
                       size_t count);
int fu_check_allgather(weft_comm_t comm, size_t count);
int fu_check_broadcast(weft_comm_t comm, int root, size_t count);

#endif
