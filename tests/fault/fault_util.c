/*
 * fault_util.c - helpers of the fault tests (see fault_util.h).
 */
#define _GNU_SOURCE
#include "fault/fault_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double fu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void fu_set_node(int rank)
{
    char node[32];
    snprintf(node, sizeof(node), "fault-node%d", rank);
    setenv("WEFT_HOSTID", node, 1);
}

int fu_count(const uint8_t *gone, int n)
{
    int k = 0;
    for (int r = 0; r < n; r++)
        k += gone[r] != 0;
    return k;
}

int fu_first_survivor(const uint8_t *gone, int n)
{
    for (int r = 0; r < n; r++)
        if (!gone[r])
            return r;
    return -1;
}

int fu_last_survivor(const uint8_t *gone, int n)
{
    for (int r = n - 1; r >= 0; r--)
        if (!gone[r])
            return r;
    return -1;
}

static int64_t contribution(int oldrank, size_t j)
{
    return (int64_t)(oldrank + 1) * (int64_t)(j % 13 + 1);
}

int fu_check_allreduce(weft_comm_t comm, int oldrank, const uint8_t *gone, int oldn,
                       size_t count)
{
    int64_t *buf = calloc(count, sizeof(int64_t)), weight = 0;
    if (buf == NULL)
        return 1;
    for (int r = 0; r < oldn; r++)
        weight += gone[r] ? 0 : r + 1;
    for (size_t j = 0; j < count; j++)
        buf[j] = contribution(oldrank, j);
    weft_status_t st = weft_allreduce(buf, buf, count, WEFT_INT64, WEFT_SUM, comm, NULL);
    int bad = 0;
    for (size_t j = 0; st == WEFT_OK && j < count && bad == 0; j++) {
        if (buf[j] != weight * (int64_t)(j % 13 + 1)) {
            printf("FAIL old rank %d: all-reduce of %zu: element %zu is %lld, expected %lld\n",
                   oldrank, count, j, (long long)buf[j], (long long)(weight * (int64_t)(j % 13 + 1)));
            bad = 1;
        }
    }
    if (st != WEFT_OK)
        printf("FAIL old rank %d: all-reduce of %zu: %s\n", oldrank, count, weft_last_error());
    free(buf);
    return bad + (st != WEFT_OK);
}

int fu_check_allgather(weft_comm_t comm, size_t count)
{
    int rank, size, bad = 0;
    weft_comm_rank(comm, &rank);
    weft_comm_size(comm, &size);
    int32_t *mine = calloc(count, sizeof(int32_t));
    int32_t *all = calloc(count * (size_t)size, sizeof(int32_t));
    if (mine == NULL || all == NULL) {
        free(mine);
        free(all);
        return 1;
    }
    for (size_t j = 0; j < count; j++)
        mine[j] = rank * 1000003 + (int32_t)j;
    weft_status_t st = weft_allgather(mine, all, count, WEFT_INT32, comm, NULL);
    for (int r = 0; st == WEFT_OK && r < size && bad == 0; r++) {
        for (size_t j = 0; j < count; j++) {
            if (all[(size_t)r * count + j] != r * 1000003 + (int32_t)j) {
                printf("FAIL new rank %d: all-gather of %zu: rank %d's element %zu is wrong\n",
                       rank, count, r, j);
                bad = 1;
                break;
            }
        }
    }
    if (st != WEFT_OK)
        printf("FAIL new rank %d: all-gather of %zu: %s\n", rank, count, weft_last_error());
    free(mine);
    free(all);
    return bad + (st != WEFT_OK);
}

int fu_check_broadcast(weft_comm_t comm, int root, size_t count)
{
    int rank, bad = 0;
    weft_comm_rank(comm, &rank);
    uint8_t *buf = calloc(count, 1);
    if (buf == NULL)
        return 1;
    for (size_t j = 0; j < count; j++)
        buf[j] = rank == root ? (uint8_t)(j * 7 + (size_t)root) : 0;
    weft_status_t st = weft_broadcast(buf, buf, count, WEFT_UINT8, root, comm, NULL);
    for (size_t j = 0; st == WEFT_OK && j < count; j++) {
        if (buf[j] != (uint8_t)(j * 7 + (size_t)root)) {
            printf("FAIL new rank %d: broadcast of %zu from %d: element %zu is wrong\n", rank,
                   count, root, j);
            bad = 1;
            break;
        }
    }
    if (st != WEFT_OK)
        printf("FAIL new rank %d: broadcast from %d: %s\n", rank, root, weft_last_error());
    free(buf);
    return bad + (st != WEFT_OK);
}
