/*
 * topo.c - the rules of the topology model that detection and files share:
 * the default link of each path class, how a pair of devices is classed
 * from what is known of them (NVLinks, PCIe switch, NUMA node), and which
 * NIC is nearest to a GPU (its rail).
 *
 * Keeping the rules in one place is what makes a dumped file load back to
 * the same model: a file states the devices' placement, and the classes
 * and links follow from it exactly as they did at detection.  The figures
 * are stated defaults (docs/TOPOLOGY.md gives their sources); the tuner
 * calibrates what it can measure.
 */
#include "topology/topo.h"

#include <string.h>
#include <strings.h>

static const char *const class_names[WEFT_PATH_COUNT] = {
    [WEFT_PATH_SELF] = "SELF", [WEFT_PATH_NVLINK] = "NV", [WEFT_PATH_PIX] = "PIX",
    [WEFT_PATH_PHB] = "PHB",   [WEFT_PATH_SYS] = "SYS",   [WEFT_PATH_NET] = "NET",
};

/* NVLink bandwidth per link and direction in GB/s by generation (index 0:
 * unknown generation, taken as the common 25 GB/s of NVLink 2-4). */
static const double nvlink_link_gbps[] = {25.0, 20.0, 25.0, 25.0, 25.0, 50.0};

/* PCIe x16 data rate per direction in GB/s by generation, after line
 * encoding (8b/10b for Gen1-2, 128b/130b for Gen3-5, FLIT for Gen6). */
static const double pcie_x16_gbps[] = {0.0, 4.0, 8.0, 15.75, 31.5, 63.0, 121.0};

#define DEFAULT_PCIE_GEN 4
#define SMP_GBPS 40.0      /* one socket pair's UPI / xGMI links, per direction */
#define HOST_SHM_GBPS 10.0 /* a memcpy between processes of one node */
#define HOST_SHM_LAT_US 0.3

const char *weft__path_class_name(weft_path_class_t c)
{
    if ((int)c < 0 || c >= WEFT_PATH_COUNT)
        return "?";
    return class_names[c];
}

int weft__path_class_parse(const char *name)
{
    for (int c = 0; c < WEFT_PATH_COUNT; c++) {
        if (strcasecmp(name, class_names[c]) == 0)
            return c;
    }
    return -1;
}

void weft__topo_default_links(weft_topo_t *t)
{
    int gen = t->pcie_gen >= 1 && t->pcie_gen <= 6 ? t->pcie_gen : DEFAULT_PCIE_GEN;
    int nv = t->nvlink_gen >= 1 && t->nvlink_gen <= 5 ? t->nvlink_gen : 0;
    double pcie = pcie_x16_gbps[gen];
    memset(t->class_link, 0, sizeof(t->class_link));
    t->class_link[WEFT_PATH_NVLINK] = (weft_link_t){nvlink_link_gbps[nv], 0.7};
    t->class_link[WEFT_PATH_PIX] = (weft_link_t){pcie, 1.0};
    t->class_link[WEFT_PATH_PHB] = (weft_link_t){pcie, 1.5};
    t->class_link[WEFT_PATH_SYS] = (weft_link_t){pcie < SMP_GBPS ? pcie : SMP_GBPS, 2.5};
}

void weft__topo_init(weft_topo_t *t)
{
    memset(t, 0, sizeof(*t));
    t->nsockets = t->nnuma = t->ncores = 1;
    t->pcie_gen = DEFAULT_PCIE_GEN;
    t->host_shm = (weft_link_t){HOST_SHM_GBPS, HOST_SHM_LAT_US};
    weft__topo_default_links(t);
}

void weft__system_init(weft_system_t *sys)
{
    weft__topo_init(&sys->node);
    memset(&sys->network, 0, sizeof(sys->network));
    sys->network.nnodes = 1;
    sys->network.oversubscription = 1.0;
}

/* NUMA nodes are spread evenly over the sockets, in order. */
static int socket_of(const weft_topo_t *t, int numa)
{
    if (numa < 0 || t->nsockets <= 1)
        return numa < 0 ? -1 : 0;
    int per = t->nnuma > t->nsockets ? t->nnuma / t->nsockets : 1;
    int s = numa / per;
    return s < t->nsockets ? s : t->nsockets - 1;
}

/* The PCIe class of two devices placed at (switch, numa). */
static weft_path_class_t place_class(const weft_topo_t *t, int sw_a, int numa_a, int sw_b,
                                     int numa_b)
{
    if (sw_a >= 0 && sw_a == sw_b)
        return WEFT_PATH_PIX;
    if (numa_a < 0 || numa_b < 0) /* unknown: one socket can only be PHB */
        return t->nsockets <= 1 ? WEFT_PATH_PHB : WEFT_PATH_SYS;
    if (numa_a == numa_b || socket_of(t, numa_a) == socket_of(t, numa_b))
        return WEFT_PATH_PHB;
    return WEFT_PATH_SYS;
}

static void derive_gpu_pair(weft_topo_t *t, int i, int j)
{
    const weft_topo_gpu_t *a = &t->gpu[i], *b = &t->gpu[j];
    weft_path_class_t c;
    weft_link_t link;
    if (i == j) {
        c = WEFT_PATH_SELF;
        link = (weft_link_t){0.0, 0.0};
    } else if (a->nvlinks[j] > 0) {
        c = WEFT_PATH_NVLINK;
        link = t->class_link[WEFT_PATH_NVLINK];
        link.bw_gbps *= a->nvlinks[j];
    } else {
        c = place_class(t, a->pcie_switch, a->numa, b->pcie_switch, b->numa);
        link = t->class_link[c];
    }
    t->gpu_gpu[i][j] = (uint8_t)c;
    t->gpu_gpu_link[i][j] = link;
    /* CUDA P2P is usual up to the host bridge; across sockets it is often
     * disabled or slower than staging through host memory. */
    t->gpu_p2p[i][j] = c <= WEFT_PATH_PHB;
}

void weft__topo_derive_paths(weft_topo_t *t)
{
    for (int i = 0; i < t->ngpus; i++) {
        for (int j = 0; j < t->ngpus; j++)
            derive_gpu_pair(t, i, j);
        for (int n = 0; n < t->nnics; n++) {
            const weft_topo_nic_t *nic = &t->nic[n];
            weft_path_class_t c =
                place_class(t, t->gpu[i].pcie_switch, t->gpu[i].numa, nic->pcie_switch, nic->numa);
            t->gpu_nic[i][n] = (uint8_t)c;
            t->gpu_nic_link[i][n] = t->class_link[c];
        }
    }
}

weft_path_class_t weft__topo_nic_nic_class(const weft_topo_t *t, int a, int b)
{
    if (a == b)
        return WEFT_PATH_SELF;
    return place_class(t, t->nic[a].pcie_switch, t->nic[a].numa, t->nic[b].pcie_switch,
                       t->nic[b].numa);
}

/* <0 when NIC a is nearer to the GPU than NIC b. */
static int nic_cmp(const weft_topo_t *t, int gpu, int a, int b)
{
    if (t->gpu_nic[gpu][a] != t->gpu_nic[gpu][b])
        return t->gpu_nic[gpu][a] < t->gpu_nic[gpu][b] ? -1 : 1;
    if (t->nic[a].speed_gbps != t->nic[b].speed_gbps)
        return t->nic[a].speed_gbps > t->nic[b].speed_gbps ? -1 : 1;
    double bwa = t->gpu_nic_link[gpu][a].bw_gbps, bwb = t->gpu_nic_link[gpu][b].bw_gbps;
    if (bwa != bwb)
        return bwa > bwb ? -1 : 1;
    return 0;
}

/* The NICs nearest to a GPU, in index order; how many. */
static int best_nics(const weft_topo_t *t, int gpu, int *nics, int max)
{
    if (gpu < 0 || gpu >= t->ngpus || t->nnics <= 0)
        return 0;
    int best = 0, count = 0;
    for (int n = 1; n < t->nnics; n++) {
        if (nic_cmp(t, gpu, n, best) < 0)
            best = n;
    }
    for (int n = 0; n < t->nnics && count < max; n++) {
        if (nic_cmp(t, gpu, n, best) == 0)
            nics[count++] = n;
    }
    return count;
}

/* GPUs that tie on the same NICs (two GPUs and two NICs behind one PCIe
 * switch) take them in turn, so that each gets its own rail. */
int weft__topo_nearest_nic(const weft_topo_t *t, int gpu)
{
    int mine[WEFT_TOPO_MAX_NICS], theirs[WEFT_TOPO_MAX_NICS];
    int n = best_nics(t, gpu, mine, WEFT_TOPO_MAX_NICS);
    if (n <= 1)
        return n == 1 ? mine[0] : -1;
    int before = 0;
    for (int h = 0; h < gpu; h++) {
        int m = best_nics(t, h, theirs, WEFT_TOPO_MAX_NICS);
        before += m == n && memcmp(mine, theirs, sizeof(int) * (size_t)n) == 0;
    }
    return mine[before % n];
}

int weft__topo_gpu_nics(const weft_topo_t *t, int gpu, int *nics, int max)
{
    return best_nics(t, gpu, nics, max);
}
