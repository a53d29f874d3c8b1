/*
 * detect.c - the topology of this machine, put together from its parts:
 * CPUs and NUMA nodes (hwloc, else sysfs), GPUs (NVML), NICs (sysfs), and
 * where each device sits in the PCI tree (hwloc, else sysfs).  Then the
 * shared rules of topo.c class every pair and give it a link.
 *
 * It never fails: what cannot be read is said at INFO with the default
 * taken, so that a communicator starts on any machine -- a container
 * without /sys, a VM whose devices have no NUMA node, a node without GPUs.
 */
#include "topology/detect.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PLACED (WEFT_TOPO_MAX_GPUS + WEFT_TOPO_MAX_NICS)

static void detect_identity(weft_topo_t *t)
{
    snprintf(t->source, sizeof(t->source), "detected");
    if (gethostname(t->host, sizeof(t->host)) != 0) {
        WEFT_INFO("topology: host name unreadable, taking \"localhost\"");
        snprintf(t->host, sizeof(t->host), "localhost");
    }
    t->host[sizeof(t->host) - 1] = '\0';
    if (weft__sysfs_read("/sys/class/dmi/id/product_name", t->model, sizeof(t->model)) != 0)
        t->model[0] = '\0'; /* only informative: not worth a line */
}

static void detect_cpus(weft_topo_t *t, void *hw)
{
    if (weft__hwloc_cpus(hw, &t->nsockets, &t->nnuma, &t->ncores) == 0)
        return;
    if (weft__sysfs_cpus(&t->nsockets, &t->nnuma, &t->ncores) == 0)
        return;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    t->nsockets = t->nnuma = 1;
    t->ncores = n > 0 ? (int)n : 1;
    WEFT_INFO("topology: CPU topology unreadable, taking 1 socket, 1 NUMA node, %d cores",
              t->ncores);
}

/* The switch id of a root port: its index among the root ports seen. */
static int switch_id(char (*bridges)[WEFT_PCI_ADDR_BYTES], int *nbridges, const char *bridge)
{
    if (bridge[0] == '\0')
        return -1;
    for (int i = 0; i < *nbridges; i++) {
        if (strcmp(bridges[i], bridge) == 0)
            return i;
    }
    if (*nbridges >= MAX_PLACED)
        return -1;
    memcpy(bridges[*nbridges], bridge, WEFT_PCI_ADDR_BYTES);
    return (*nbridges)++;
}

static void place_one(const weft_topo_t *t, void *hw, const char *what, const char *pci,
                      int *numa_p, int *switch_p, char (*bridges)[WEFT_PCI_ADDR_BYTES],
                      int *nbridges)
{
    weft__pci_place_t place = {.numa = -1, .bridge = ""};
    *numa_p = *switch_p = -1;
    if (pci[0] == '\0')
        return; /* virtual: nowhere in the PCI tree */
    if (weft__hwloc_pci_place(hw, pci, &place) != 0 && weft__sysfs_pci_place(pci, &place) != 0) {
        WEFT_INFO("topology: %s at %s not found in the PCI tree: placement unknown", what, pci);
        return;
    }
    if (place.numa >= t->nnuma) {
        WEFT_INFO("topology: %s: NUMA node %d of %d, taking unknown", what, place.numa, t->nnuma);
        place.numa = -1;
    }
    if (place.numa < 0 && t->nnuma == 1)
        place.numa = 0; /* a VM's -1: there is only one node to be on */
    else if (place.numa < 0)
        WEFT_INFO("topology: %s at %s: NUMA node unknown", what, pci);
    *numa_p = place.numa;
    *switch_p = switch_id(bridges, nbridges, place.bridge);
}

static void place_devices(weft_topo_t *t, void *hw)
{
    char(*bridges)[WEFT_PCI_ADDR_BYTES] = calloc(MAX_PLACED, WEFT_PCI_ADDR_BYTES);
    int nbridges = 0;
    if (bridges == NULL)
        return;
    for (int g = 0; g < t->ngpus; g++)
        place_one(t, hw, t->gpu[g].name, t->gpu[g].pci, &t->gpu[g].numa, &t->gpu[g].pcie_switch,
                  bridges, &nbridges);
    for (int n = 0; n < t->nnics; n++)
        place_one(t, hw, t->nic[n].name, t->nic[n].pci, &t->nic[n].numa, &t->nic[n].pcie_switch,
                  bridges, &nbridges);
    free(bridges);
}

/* PCIe generation of the GPUs' links, else of the first physical NIC's. */
static void detect_pcie_gen(weft_topo_t *t)
{
    int gen = 0;
    for (int g = 0; g < t->ngpus && gen == 0; g++)
        gen = weft__sysfs_pcie_gen(t->gpu[g].pci);
    for (int n = 0; n < t->nnics && gen == 0 && t->ngpus == 0; n++) {
        if (t->nic[n].pci[0] != '\0')
            gen = weft__sysfs_pcie_gen(t->nic[n].pci);
    }
    if (gen == 0)
        WEFT_INFO("topology: PCIe generation unreadable, taking Gen%d", t->pcie_gen);
    else
        t->pcie_gen = gen;
}

void weft__topo_detect(weft_topo_t *t)
{
    weft__topo_init(t);
    detect_identity(t);
    void *hw = weft__hwloc_open();
#if defined(WEFT_HAVE_HWLOC) && WEFT_HAVE_HWLOC
    if (hw == NULL)
        WEFT_INFO("topology: hwloc could not load the topology: reading sysfs");
#endif
    detect_cpus(t, hw);
    weft__detect_nics(t);
    uint8_t(*p2p)[WEFT_TOPO_MAX_GPUS] = calloc(WEFT_TOPO_MAX_GPUS, sizeof(*p2p));
    int have_p2p = p2p != NULL && weft__detect_gpus(t, p2p);
    place_devices(t, hw);
    weft__hwloc_close(hw);
    detect_pcie_gen(t);
    weft__topo_default_links(t);
    weft__topo_derive_paths(t);
    for (int i = 0; have_p2p && i < t->ngpus; i++) {
        for (int j = 0; j < t->ngpus; j++)
            if (i != j && p2p[i][j] <= 1) /* else the rules' default stands */
                t->gpu_p2p[i][j] = p2p[i][j];
    }
    free(p2p);
    WEFT_INFO("topology: detected %s: %d socket(s), %d NUMA node(s), %d cores, %d GPU(s), "
              "%d NIC(s); host memory copies taken as %.0f GB/s, %.1f us (a default)",
              t->host, t->nsockets, t->nnuma, t->ncores, t->ngpus, t->nnics, t->host_shm.bw_gbps,
              t->host_shm.lat_us);
}
