/*
 * tuner_report.c - what the tuner would do on a system: the cluster view
 * (which rank is on which node, with which GPU and rail NIC) and, per
 * collective and message size, the algorithm it picks with its predicted
 * time and bus bandwidth.  weft-topo prints it for the detected machine
 * or a topology file -- for clusters far larger than any we have.
 */
#include "algo/tuner.h"
#include "reduce/reduce.h"
#include "topology/topo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_cluster(FILE *f, const weft_system_t *sys, int nodes, int per)
{
    const weft_topo_t *t = &sys->node;
    fprintf(f, "\ncluster view: %d node(s) x %d rank(s)\n", nodes, per);
    for (int l = 0; l < per && l < 16; l++) {
        int gpu = t->ngpus > 0 ? l % t->ngpus : -1;
        int nic = gpu >= 0 ? weft__topo_nearest_nic(t, gpu) : (l < t->nnics ? l : -1);
        char gpu_text[16] = "-";
        if (gpu >= 0)
            snprintf(gpu_text, sizeof(gpu_text), "%d", gpu);
        fprintf(f, "  local rank %-3d GPU %-4s rail NIC %s%s%s\n", l, gpu_text,
                nic >= 0 ? t->nic[nic].name : "-", nic >= 0 && t->nic[nic].netdev[0] ? " / " : "",
                nic >= 0 ? t->nic[nic].netdev : "");
    }
    if (per > 16)
        fprintf(f, "  ... (%d more)\n", per - 16);
}

static double busbw_factor(weft_coll_t c, int n)
{
    if (c == WEFT_COLL_ALLREDUCE)
        return 2.0 * (n - 1) / n;
    if (c == WEFT_COLL_ALLGATHER || c == WEFT_COLL_REDUCE_SCATTER)
        return (double)(n - 1) / n;
    return 1.0;
}

/* One cell: the chosen algorithm, its predicted time and bus bandwidth. */
static void print_choice(FILE *f, weft_tuner_t *tu, const weft_layout_t *l, weft_coll_t c,
                         uint64_t bytes)
{
    int n = l->nranks;
    uint64_t count = bytes / 4;
    if (c == WEFT_COLL_ALLGATHER || c == WEFT_COLL_REDUCE_SCATTER)
        count = count / (uint64_t)n > 0 ? count / (uint64_t)n : 1;
    weft_coll_args_t a = {c, 0, n, count, WEFT_FLOAT32, WEFT_SUM, 0, 262144, l};
    const weft_algo_t *al = weft__tuner_choose(tu, &a, NULL);
    weft_sim_result_t res = {0, 0, 0, 0, 0};
    if (weft__simulate(al, &a, &tu->model, &res) != WEFT_OK)
        res.time_us = 0;
    double moved = (double)weft__coll_bytes(&a);
    double busbw = res.time_us > 0 ? moved / (res.time_us * 1e3) * busbw_factor(c, n) : 0;
    fprintf(f, "  %-12s %10.1f %7.2f", al->name, res.time_us, busbw);
}

void weft__tuner_report(void *file, const weft_system_t *sys, int per)
{
    FILE *f = file;
    int nodes = sys->network.nnodes > 1 ? sys->network.nnodes : 1, n = nodes * per;
    if (per < 1 || n > WEFT_TUNER_MAX_RANKS) {
        fprintf(f, "\ntuner: %d ranks is more than it simulates (%d); pass fewer ranks per node\n",
                n, WEFT_TUNER_MAX_RANKS);
        return;
    }
    print_cluster(f, sys, nodes, per);
    int *label = malloc((size_t)n * sizeof(int));
    weft_layout_t l;
    if (label == NULL)
        return;
    for (int r = 0; r < n; r++)
        label[r] = r / per;
    if (weft__layout_build(&l, n, label) != WEFT_OK) {
        free(label);
        return;
    }
    weft_cost_model_t m = weft__cost_model_from_system(sys, NULL);
    weft_tuner_t tu;
    weft__tuner_init(&tu, &m);
    tu.use_sim = 1;
    fprintf(f, "\ntuner: %d ranks; cost model intra %.1f us %.1f GB/s, inter %.1f us %.2f GB/s\n"
               "(float32; per collective: the algorithm chosen, predicted time in us, busbw "
               "in GB/s)\n%12s", n, m.intra.alpha_us, m.intra.bw_gbps, m.inter.alpha_us,
            m.inter.bw_gbps, "bytes");
    weft_coll_t colls[] = {WEFT_COLL_ALLREDUCE, WEFT_COLL_ALLGATHER, WEFT_COLL_REDUCE_SCATTER,
                           WEFT_COLL_BROADCAST, WEFT_COLL_REDUCE};
    int ncolls = (int)(sizeof(colls) / sizeof(colls[0]));
    for (int i = 0; i < ncolls; i++)
        fprintf(f, "  %-31s", weft__coll_name(colls[i]));
    fprintf(f, "\n");
    for (uint64_t bytes = 8; bytes <= (1ull << 30); bytes *= 8) {
        fprintf(f, "%12llu", (unsigned long long)bytes);
        for (int i = 0; i < ncolls; i++)
            print_choice(f, &tu, &l, colls[i], bytes);
        fprintf(f, "\n");
    }
    weft__layout_free(&l);
    free(label);
}
