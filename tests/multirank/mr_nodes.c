/*
 * mr_nodes.c - several "nodes" on one machine: each rank is this program
 * re-executed with its own WEFT_HOSTID, so ranks on the same emulated
 * node talk through shared memory and the others through TCP sockets.
 * The collectives are checked as in the sweep, then every rank's
 * weft_comm_get_counters must show bytes both sent and received over each
 * transport class that its node layout gives it: intra-node when its node
 * has another rank, inter-node when there is another node.
 *
 *   mr_nodes --layout A,A,B,B      (one letter per rank: its node)
 */
#include "multirank/mr_coll.h"
#include "multirank/mr_data.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RANKS 16

static char layout[MAX_RANKS][16];
static int nlayout;

static const char *const *env_for(int rank, int nranks)
{
    static char var[64];
    static const char *env[2] = {var, NULL};
    (void)nranks;
    snprintf(var, sizeof(var), "WEFT_HOSTID=mr-node%s", layout[rank]);
    return env;
}

static void run_cases(mr_rank_t *rk)
{
    static const mr_coll_t colls[] = {MR_ALLREDUCE, MR_ALLGATHER, MR_REDUCE_SCATTER, MR_BROADCAST,
                                      MR_REDUCE};
    static const weft_datatype_t dts[] = {WEFT_FLOAT32, WEFT_BFLOAT16, WEFT_INT64};
    static const weft_op_t ops[] = {WEFT_SUM, WEFT_AVG, WEFT_MAX};
    static const size_t counts[] = {1, 1000, 262147};
    unsigned id = 0;
    for (size_t c = 0; c < sizeof(colls) / sizeof(colls[0]); c++)
        for (size_t d = 0; d < sizeof(dts) / sizeof(dts[0]); d++)
            for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
                for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
                    mr_case_t cs = {colls[c],
                                    dts[d],
                                    ops[o],
                                    counts[k],
                                    (int)(id & 1),
                                    (int)(id % (unsigned)rk->nranks),
                                    id,
                                    (uint32_t)mr_mix64(id)};
                    id++;
                    mr_rank_t *one[1] = {rk};
                    mr_case_run(one, 1, &cs, NULL);
                }
}

/* Over all ranks, what was sent is what was received, per class (the
 * snapshots were taken after every rank finished the cases). */
static void check_totals(mr_rank_t *rk, const weft_comm_counters_t *mine)
{
    uint64_t snap[4] = {mine->intra_sent, mine->intra_recv, mine->inter_sent, mine->inter_recv};
    uint64_t *all = calloc((size_t)rk->nranks * 4, sizeof(uint64_t)), tot[4] = {0};
    weft_status_t st = weft_allgather(snap, all, 4, WEFT_UINT64, rk->comm, NULL);
    if (st != WEFT_OK)
        mr_fatal(rk, "allgather of the counters: %s", weft_last_error());
    for (int p = 0; p < rk->nranks; p++)
        for (int i = 0; i < 4; i++)
            tot[i] += all[p * 4 + i];
    if (tot[0] != tot[1] || tot[2] != tot[3])
        mr_fail(rk,
                "over all ranks: intra-node sent %" PRIu64 " != received %" PRIu64
                " or inter-node sent %" PRIu64 " != received %" PRIu64,
                tot[0], tot[1], tot[2], tot[3]);
    free(all);
}

static int body(mr_rank_t **rks, int k, void *arg)
{
    (void)k, (void)arg;
    mr_rank_t *rk = rks[0];
    if (rk->nranks != nlayout)
        mr_fatal(rk, "layout has %d ranks, the communicator %d", nlayout, rk->nranks);
    mr_warm_up(rks, 1);
    run_cases(rk);
    int local_peers = 0, remote_peers = 0;
    for (int p = 0; p < nlayout; p++) {
        if (p != rk->rank && strcmp(layout[p], layout[rk->rank]) == 0)
            local_peers++;
        remote_peers += strcmp(layout[p], layout[rk->rank]) != 0;
    }
    weft_comm_counters_t ct;
    weft_status_t st = weft_comm_get_counters(rk->comm, &ct);
    if (st != WEFT_OK)
        mr_fatal(rk, "weft_comm_get_counters: %s", weft_last_error());
    printf("rank %d on node %s: intra sent %" PRIu64 " recv %" PRIu64 ", inter sent %" PRIu64
           " recv %" PRIu64 "\n",
           rk->rank, layout[rk->rank], ct.intra_sent, ct.intra_recv, ct.inter_sent, ct.inter_recv);
    if (local_peers > 0 && (ct.intra_sent == 0 || ct.intra_recv == 0))
        mr_fail(rk,
                "node %s has %d other rank(s), but intra-node bytes are sent %" PRIu64
                ", received %" PRIu64,
                layout[rk->rank], local_peers, ct.intra_sent, ct.intra_recv);
    if (local_peers == 0 && (ct.intra_sent != 0 || ct.intra_recv != 0))
        mr_fail(rk,
                "alone on node %s, yet intra-node bytes are sent %" PRIu64 ", received %" PRIu64,
                layout[rk->rank], ct.intra_sent, ct.intra_recv);
    if (remote_peers > 0 && (ct.inter_sent == 0 || ct.inter_recv == 0))
        mr_fail(rk,
                "%d rank(s) are on other nodes, but inter-node bytes are sent %" PRIu64
                ", received %" PRIu64,
                remote_peers, ct.inter_sent, ct.inter_recv);
    check_totals(rk, &ct);
    mr_case_free(rk);
    return rk->failures;
}

int main(int argc, char **argv)
{
    const char *spec = "A,A,B,B";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--layout") == 0)
            spec = argv[i + 1];
    }
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", spec);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t != NULL && nlayout < MAX_RANKS;
         t = strtok_r(NULL, ",", &save))
        snprintf(layout[nlayout++], sizeof(layout[0]), "%s", t);
    setvbuf(stdout, NULL, _IOLBF, 0);
    mr_data_init();
    if (mr_is_exec_child())
        return mr_exec_child(body, NULL);
    mr_watchdog((unsigned)mr_proc_timeout() + 60);
    int failures = mr_run("exec", nlayout, body, NULL, argv, env_for);
    printf("%s: layout %s, %d failure(s)\n", failures ? "FAILED" : "PASSED", spec, failures);
    return failures ? 1 : 0;
}
