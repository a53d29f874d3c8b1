/*
 * test_topo_tuner.c - what the tuner chooses on every system in
 * topology/systems/, and what the simulator says the choice moves.
 *
 * For each file: a layout of its nodes x ranks per node (one rank per GPU,
 * or per rail on a CPU cluster, 4 on a CPU node), the cost model the file
 * gives (cost.c), and the tuner's all-reduce choice at three sizes:
 *   - 8 B is latency-bound: across nodes a logarithmic algorithm (rd or
 *     dbt), never the ring's 2(n-1) steps nor the three phases of hier;
 *     on one node the one-shot, a single round of eager messages;
 *   - 256 MiB is bandwidth-bound: across nodes a rail-parallel hier (its
 *     inter-node phase a ring, halving-doubling or recursive doubling: on
 *     host buffers the intra-node phases dominate, and the three are
 *     within a few percent), on one node a bandwidth-optimal one (ring or
 *     rabenseifner);
 * and, across nodes, the simulator's count of what hier sends over the
 * network: 2(N-1)/N x S/k per rank at most, the formula of the issue --
 * against 2(n-1)/n x S through the crossing links for the flat ring.
 */
#include "algo/layout.h"
#include "algo/tuner.h"
#include "test_topo_util.h"
#include "topology/topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ranks_per_node(const weft_system_t *sys)
{
    if (sys->node.ngpus > 0)
        return sys->node.ngpus;
    return sys->network.nnodes > 1 && sys->network.rails > 0 ? sys->network.rails : 4;
}

static const char *choose(weft_tuner_t *tu, const weft_layout_t *l, uint64_t bytes)
{
    weft_coll_args_t a = {WEFT_COLL_ALLREDUCE, 0, l->nranks, bytes / 4, WEFT_FLOAT32, WEFT_SUM,
                          0, 1 << 18, l};
    const weft_algo_t *al = weft__tuner_choose(tu, &a, NULL);
    return al != NULL ? al->name : "(none)";
}

static void check_file(const char *name, const weft_system_t *sys)
{
    int nodes = sys->network.nnodes > 1 ? sys->network.nnodes : 1, per = ranks_per_node(sys);
    int n = nodes * per, label[WEFT_TUNER_MAX_RANKS];
    if (n > WEFT_TUNER_MAX_RANKS) {
        per = WEFT_TUNER_MAX_RANKS / nodes; /* the NVL72 rack: fewer ranks per node */
        n = nodes * per;
    }
    for (int r = 0; r < n; r++)
        label[r] = r / per;
    weft_layout_t l;
    if (weft__layout_build(&l, n, label) != WEFT_OK) {
        CHECK(0, "%s: layout", name);
        return;
    }
    weft_cost_model_t m = weft__cost_model_from_system(sys, NULL);
    weft_tuner_t tu;
    weft__tuner_init(&tu, &m);
    tu.use_sim = 1;
    const char *small = choose(&tu, &l, 8), *large = choose(&tu, &l, 256u << 20);
    /* One round where the ranks share a node (oneshot); across nodes,
     * the fewest rounds of the whole vector. */
    if (nodes == 1)
        CHECK(strcmp(small, "oneshot") == 0, "%s: 8 B all-reduce on %d ranks of one node chose %s",
              name, n, small);
    else
        CHECK(strcmp(small, "rd") == 0 || strcmp(small, "dbt") == 0,
              "%s: 8 B all-reduce on %d ranks chose %s", name, n, small);
    if (nodes > 1 && per > 1) {
        CHECK(strncmp(large, "hier", 4) == 0, "%s: 256 MiB across %d nodes chose %s", name,
              nodes, large);
        uint64_t bytes = 64u << 20;
        weft_coll_args_t a = {WEFT_COLL_ALLREDUCE, 0, n, bytes / 4, WEFT_FLOAT32, WEFT_SUM,
                              0, 1 << 18, &l};
        weft_sim_result_t res;
        CHECK(weft__simulate(weft__algo_find(WEFT_COLL_ALLREDUCE, "hier"), &a, &m, &res) ==
                  WEFT_OK, "%s: simulate hier", name);
        double formula = 2.0 * (nodes - 1) / nodes * (double)bytes / per;
        CHECK((double)res.max_inter_bytes <= formula * 1.001 + 64,
              "%s: hier sends %llu B between nodes per rank, the formula %.0f", name,
              (unsigned long long)res.max_inter_bytes, formula);
    } else {
        CHECK(strcmp(large, "ring") == 0 || strcmp(large, "rabenseifner") == 0,
              "%s: 256 MiB on one node chose %s", name, large);
    }
    printf("%-24s %2d node(s) x %2d ranks: 8 B %-6s 256 MiB %s\n", name, nodes, per, small, large);
    weft__layout_free(&l);
}

int main(void)
{
    static weft_system_t sys;
    int seen = for_each_system(&sys, check_file);
    CHECK(seen >= 6, "only %d system files", seen);
    printf("%s\n", failures ? "FAILED" : "passed");
    return failures != 0;
}
