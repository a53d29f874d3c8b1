/*
 * test_topo_nvml.c - GPU detection's reading of NVML, on a fake NVML:
 * CI has no GPU, so the logic that turns NVML's answers into NVLink
 * counts, the NVSwitch flag, the NVLink generation and P2P flags is run
 * on made-up machines whose answers we know.
 *
 *  - HGX H100: 8 GPUs, 18 links each to four NVSwitches -> NV18 between
 *    every pair, nvswitch, generation 4 (compute capability 9), 450 GB/s;
 *  - a 4-GPU direct mesh (A100 HGX 4-GPU): 4 links per pair, one end of
 *    one pair seeing a link less (the pair keeps the smaller count), one
 *    pair with P2P refused by one end (off both ways), one whose P2P query
 *    fails (left to the rules);
 *  - PCIe-only GPUs (compute capability 8.9): no NVLink generation;
 *  - an old NVML without the remote-type call: unknown far ends are
 *    switches; with it, a far end that is a GPU we cannot see is not.
 */
#include "test_topo_util.h"
#include "topology/detect.h"

#include <stdint.h>
#include <stdlib.h>

#define MAXG 8
#define NLINKS 18
#define NONE (-1)
#define SW(k) (100 + (k)) /* far end: NVSwitch k */
#define HIDDEN 99         /* far end: a GPU NVML does not list */

static struct {
    int ngpus, cc_major, cc_minor, has_type;
    int link[MAXG][NLINKS]; /* far end of each link: GPU index, SW(k), HIDDEN or NONE */
    int p2p[MAXG][MAXG];    /* 0 OK, 1 refused, 2 the query fails */
} fake;

static int idx(weft__nvml_dev_t d)
{
    return (int)(uintptr_t)d - 1;
}

static void bus_id(weft__nvml_pci_t *p, int bus)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->bus_id, sizeof(p->bus_id), "00000000:%02X:00.0", bus); /* NVML's spelling */
    p->bus = (unsigned)bus;
}

static weft__nvml_ret_t f_count(unsigned *n)
{
    *n = (unsigned)fake.ngpus;
    return 0;
}
static weft__nvml_ret_t f_handle(unsigned i, weft__nvml_dev_t *d)
{
    *d = (weft__nvml_dev_t)(uintptr_t)(i + 1);
    return 0;
}
static weft__nvml_ret_t f_name(weft__nvml_dev_t d, char *buf, unsigned size)
{
    snprintf(buf, size, "Fake GPU %d", idx(d));
    return 0;
}
static weft__nvml_ret_t f_pci(weft__nvml_dev_t d, weft__nvml_pci_t *p)
{
    bus_id(p, 0x18 + 0x10 * idx(d));
    return 0;
}
static weft__nvml_ret_t f_cc(weft__nvml_dev_t d, int *major, int *minor)
{
    *major = fake.cc_major;
    *minor = fake.cc_minor;
    return 0;
}
static weft__nvml_ret_t f_state(weft__nvml_dev_t d, unsigned l, int *active)
{
    if (l >= NLINKS)
        return 2; /* NVML_ERROR_INVALID_ARGUMENT */
    *active = fake.link[idx(d)][l] != NONE;
    return 0;
}
static weft__nvml_ret_t f_remote(weft__nvml_dev_t d, unsigned l, weft__nvml_pci_t *p)
{
    int far = fake.link[idx(d)][l];
    bus_id(p, far < MAXG ? 0x18 + 0x10 * far : far == HIDDEN ? 0xf0 : 0xa0 + far - SW(0));
    return 0;
}
static weft__nvml_ret_t f_type(weft__nvml_dev_t d, unsigned l, int *type)
{
    int far = fake.link[idx(d)][l];
    *type = far < MAXG || far == HIDDEN ? 0 : 2; /* GPU, SWITCH */
    return 0;
}
static weft__nvml_ret_t f_p2p(weft__nvml_dev_t a, weft__nvml_dev_t b, int caps, int *status)
{
    int v = fake.p2p[idx(a)][idx(b)];
    if (v == 2 || caps != 0)
        return 3; /* NVML_ERROR_NOT_SUPPORTED */
    *status = v == 0 ? 0 : 4;
    return 0;
}

static void reset(int ngpus, int major, int minor)
{
    memset(&fake, 0, sizeof(fake));
    fake.ngpus = ngpus;
    fake.cc_major = major;
    fake.cc_minor = minor;
    fake.has_type = 1;
    for (int g = 0; g < MAXG; g++)
        for (int l = 0; l < NLINKS; l++)
            fake.link[g][l] = NONE;
}

/* Runs the fake through weft__nvml_read and the path rules. */
static int run(weft_topo_t *t, uint8_t (*p2p)[WEFT_TOPO_MAX_GPUS])
{
    weft__nvml_api_t api = {.count = f_count,
                            .handle = f_handle,
                            .name = f_name,
                            .pci = f_pci,
                            .cc = f_cc,
                            .link_state = f_state,
                            .link_pci = f_remote,
                            .link_type = fake.has_type ? f_type : NULL,
                            .p2p = f_p2p};
    weft__topo_init(t);
    int have = weft__nvml_read(&api, t, p2p);
    weft__topo_default_links(t);
    weft__topo_derive_paths(t);
    return have;
}

static void hgx_h100(weft_topo_t *t, uint8_t (*p2p)[WEFT_TOPO_MAX_GPUS])
{
    reset(8, 9, 0);
    for (int g = 0; g < 8; g++)
        for (int l = 0; l < NLINKS; l++)
            fake.link[g][l] = SW(l % 4);
    CHECK(run(t, p2p) == 1, "H100: no P2P answers");
    CHECK(t->ngpus == 8 && t->nvswitch == 1 && t->nvlink_gen == 4,
          "H100: %d GPUs nvswitch %d gen %d", t->ngpus, t->nvswitch, t->nvlink_gen);
    CHECK(strcmp(t->gpu[1].pci, "0000:28:00.0") == 0, "H100: PCI %s", t->gpu[1].pci);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            if (i != j && (t->gpu[i].nvlinks[j] != 18 || t->gpu_gpu[i][j] != WEFT_PATH_NVLINK ||
                           t->gpu_gpu_link[i][j].bw_gbps != 450.0 || p2p[i][j] != 1))
                FAIL("H100: GPU%d-GPU%d NV%d %.0f GB/s p2p %d", i, j, t->gpu[i].nvlinks[j],
                     t->gpu_gpu_link[i][j].bw_gbps, p2p[i][j]);
}

static void mesh_a100(weft_topo_t *t, uint8_t (*p2p)[WEFT_TOPO_MAX_GPUS])
{
    reset(4, 8, 0);
    for (int g = 0; g < 4; g++) {
        int l = 0;
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 4 && j != g; k++)
                fake.link[g][l++] = j;
    }
    fake.link[2][11] = NONE; /* GPU 2 sees one link less to GPU 3 */
    fake.p2p[0][3] = 1;      /* refused by GPU 0's side only */
    fake.p2p[1][2] = fake.p2p[2][1] = 2;
    run(t, p2p);
    CHECK(t->nvswitch == 0 && t->nvlink_gen == 3, "mesh: nvswitch %d gen %d", t->nvswitch,
          t->nvlink_gen);
    CHECK(t->gpu[0].nvlinks[1] == 4 && t->gpu[1].nvlinks[0] == 4, "mesh: NV%d",
          t->gpu[0].nvlinks[1]);
    CHECK(t->gpu[2].nvlinks[3] == 3 && t->gpu[3].nvlinks[2] == 3, "mesh: 2-3 NV%d/NV%d",
          t->gpu[2].nvlinks[3], t->gpu[3].nvlinks[2]);
    CHECK(t->gpu_gpu_link[2][3].bw_gbps == 75.0, "mesh: 2-3 %.0f GB/s",
          t->gpu_gpu_link[2][3].bw_gbps);
    CHECK(p2p[0][3] == 0 && p2p[3][0] == 0, "mesh: P2P 0-3 %d/%d", p2p[0][3], p2p[3][0]);
    CHECK(p2p[1][2] == 2 && p2p[2][1] == 2, "mesh: P2P 1-2 should be unknown");
    CHECK(p2p[0][1] == 1, "mesh: P2P 0-1");
}

static void pcie_only(weft_topo_t *t, uint8_t (*p2p)[WEFT_TOPO_MAX_GPUS])
{
    reset(2, 8, 9);
    run(t, p2p);
    CHECK(t->ngpus == 2 && t->nvlink_gen == 0 && t->nvswitch == 0 && t->gpu[0].nvlinks[1] == 0,
          "PCIe-only: gen %d NV%d", t->nvlink_gen, t->gpu[0].nvlinks[1]);
    CHECK(t->gpu_gpu[0][1] == WEFT_PATH_PHB, "PCIe-only: %s",
          weft__path_class_name(t->gpu_gpu[0][1]));
}

static void far_ends(weft_topo_t *t, uint8_t (*p2p)[WEFT_TOPO_MAX_GPUS])
{
    reset(2, 9, 0);
    for (int l = 0; l < 6; l++)
        fake.link[0][l] = fake.link[1][l] = HIDDEN; /* a third GPU NVML does not list */
    run(t, p2p);
    CHECK(t->gpu[0].nvlinks[1] == 0 && t->nvswitch == 0, "hidden GPU taken for a switch");
    fake.has_type = 0; /* an old NVML: anything unknown is a switch */
    run(t, p2p);
    CHECK(t->gpu[0].nvlinks[1] == 6 && t->nvswitch == 1, "old NVML: NV%d", t->gpu[0].nvlinks[1]);
}

int main(void)
{
    static weft_topo_t t;
    static uint8_t p2p[WEFT_TOPO_MAX_GPUS][WEFT_TOPO_MAX_GPUS];
    hgx_h100(&t, p2p);
    mesh_a100(&t, p2p);
    pcie_only(&t, p2p);
    far_ends(&t, p2p);
    printf("fake NVML: HGX H100, 4-GPU mesh, PCIe-only and far-end cases %s\n",
           failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
