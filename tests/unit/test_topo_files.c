/*
 * test_topo_files.c - every description of a real machine in
 * topology/systems/ loads, says what the machine is, and survives a dump
 * and load unchanged.
 *
 * For each file the table below states its public figures: device
 * counts, sockets and NUMA nodes, the class and bandwidth of a GPU pair
 * (NVLink through NVSwitch: 18 links x 25 GB/s on H100), the rail of each
 * GPU (its nearest NIC, and the class of that path), the class across
 * sockets, and the network of the cluster file.  A file in the directory
 * without a row here fails the test, so a new system gets its checks.
 */
#include "test_topo_util.h"

#include <stdlib.h>

typedef struct {
    const char *file;
    int ngpus, nnics, nsockets, nnuma;
    int gpu_pair_class; /* GPU0-GPU1 */
    int nvlinks;        /* per pair */
    double pair_gbps;   /* GPU0-GPU1 bandwidth per direction */
    int nics_per_gpu;   /* rail of GPU g is NIC g * nics_per_gpu */
    int rail_class;     /* GPU0 to its rail */
    int far_class;      /* GPU0 to the last NIC */
    int nnodes, rails;
    double rail_gbps;
} expect_t;

static const expect_t expected[] = {
    {"dgx-h100.json", 8, 8, 2, 2, WEFT_PATH_NVLINK, 18, 450.0, 1, WEFT_PATH_PIX, WEFT_PATH_SYS, 4,
     8, 400.0},
    {"hgx-a100.json", 8, 8, 2, 8, WEFT_PATH_NVLINK, 12, 300.0, 1, WEFT_PATH_PIX, WEFT_PATH_SYS, 4,
     8, 200.0},
    {"gb200-nvl72.json", 72, 72, 36, 36, WEFT_PATH_NVLINK, 18, 900.0, 1, WEFT_PATH_PHB,
     WEFT_PATH_SYS, 4, 72, 400.0},
    {"aws-p5.48xlarge.json", 8, 32, 2, 2, WEFT_PATH_NVLINK, 18, 450.0, 4, WEFT_PATH_PIX,
     WEFT_PATH_SYS, 4, 32, 100.0},
    {"cpu-2socket.json", 0, 2, 2, 2, -1, 0, 0.0, 0, -1, -1, 8, 2, 100.0},
    {"ci-2core.json", 0, 3, 1, 1, -1, 0, 0.0, 0, -1, -1, 1, 0, 0.0},
};

static void check_gpus(const expect_t *e, const weft_topo_t *t)
{
    if (e->ngpus < 2)
        return;
    CHECK(t->gpu_gpu[0][1] == e->gpu_pair_class, "%s: GPU0-GPU1 class %s", e->file,
          weft__path_class_name(t->gpu_gpu[0][1]));
    CHECK(t->gpu_gpu_link[0][1].bw_gbps == e->pair_gbps, "%s: GPU0-GPU1 %.1f GB/s, expected %.1f",
          e->file, t->gpu_gpu_link[0][1].bw_gbps, e->pair_gbps);
    for (int i = 0; i < t->ngpus; i++) {
        CHECK(t->gpu_gpu[i][i] == WEFT_PATH_SELF, "%s: GPU%d to itself is not SELF", e->file, i);
        for (int j = 0; j < t->ngpus; j++) {
            if (i != j && t->gpu[i].nvlinks[j] != e->nvlinks)
                FAIL("%s: GPU%d-GPU%d has %d NVLinks, expected %d", e->file, i, j,
                     t->gpu[i].nvlinks[j], e->nvlinks);
            if (t->gpu_gpu[i][j] != t->gpu_gpu[j][i] || !t->gpu_p2p[i][j])
                FAIL("%s: GPU%d-GPU%d not symmetric or no P2P", e->file, i, j);
        }
    }
}

static void check_rails(const expect_t *e, const weft_topo_t *t)
{
    for (int g = 0; g < t->ngpus; g++) {
        int near = weft__topo_nearest_nic(t, g), nics[WEFT_TOPO_MAX_NICS];
        int n = weft__topo_gpu_nics(t, g, nics, WEFT_TOPO_MAX_NICS);
        CHECK(near == g * e->nics_per_gpu, "%s: GPU%d's rail is NIC%d, expected NIC%d", e->file, g,
              near, g * e->nics_per_gpu);
        CHECK(near >= 0 && t->gpu_nic[g][near] == e->rail_class, "%s: GPU%d to its rail: %s",
              e->file, g, near >= 0 ? weft__path_class_name(t->gpu_nic[g][near]) : "-");
        CHECK(e->nics_per_gpu <= 1 || n == e->nics_per_gpu, "%s: GPU%d has %d nearest NICs",
              e->file, g, n);
    }
    if (t->ngpus > 0)
        CHECK(t->gpu_nic[0][t->nnics - 1] == e->far_class, "%s: GPU0 to NIC%d: %s", e->file,
              t->nnics - 1, weft__path_class_name(t->gpu_nic[0][t->nnics - 1]));
    if (t->ngpus == 0)
        CHECK(weft__topo_nearest_nic(t, 0) == -1, "%s: a nearest NIC without GPUs", e->file);
}

static void check_system(const expect_t *e, const weft_system_t *sys)
{
    const weft_topo_t *t = &sys->node;
    CHECK(t->ngpus == e->ngpus && t->nnics == e->nnics, "%s: %d GPUs %d NICs", e->file, t->ngpus,
          t->nnics);
    CHECK(t->nsockets == e->nsockets && t->nnuma == e->nnuma, "%s: %d sockets %d NUMA nodes",
          e->file, t->nsockets, t->nnuma);
    CHECK(t->model[0] != '\0', "%s: no name", e->file);
    CHECK(sys->network.nnodes == e->nnodes && sys->network.rails == e->rails &&
              sys->network.rail_gbps == e->rail_gbps,
          "%s: network %d nodes x %d rails of %.0f", e->file, sys->network.nnodes,
          sys->network.rails, sys->network.rail_gbps);
    CHECK(sys->network.oversubscription >= 1.0, "%s: oversubscription", e->file);
    for (int n = 0; n < t->nnics; n++)
        CHECK(t->nic[n].speed_gbps > 0.0, "%s: NIC%d without a speed", e->file, n);
    if (e->nnodes > 1 && t->nnics > 0) /* a rail is as fast as the NIC on it, or slower */
        CHECK(t->nic[0].speed_gbps >= sys->network.rail_gbps, "%s: rail faster than NIC", e->file);
    check_gpus(e, t);
    check_rails(e, t);
}

static const expect_t *find_expected(const char *file)
{
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        if (strcmp(expected[i].file, file) == 0)
            return &expected[i];
    }
    return NULL;
}

static int seen; /* files with a row in `expected` */

static void check_file(const char *name, const weft_system_t *sys)
{
    const expect_t *e = find_expected(name);
    CHECK(e != NULL, "%s has no row in this test's table", name);
    seen += e != NULL;
    if (e != NULL)
        check_system(e, sys);
    CHECK(round_trip(name, sys) == 0, "%s: dump and load differ", name);
    printf("%-24s %2d GPUs %3d NICs, %d node(s) x %d rail(s): ok\n", name, sys->node.ngpus,
           sys->node.nnics, sys->network.nnodes, sys->network.rails);
}

int main(void)
{
    static weft_system_t sys;
    if (for_each_system(&sys, check_file) < 0)
        return 1;
    CHECK(seen == (int)(sizeof(expected) / sizeof(expected[0])), "%d of %zu systems found", seen,
          sizeof(expected) / sizeof(expected[0]));
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
