/*
 * detect.h - the parts of detection (detect*.c) and the PCI address
 * helpers they share with the file parser.
 *
 * Detection is split by source: hwloc (CPUs, NUMA nodes, the PCI tree),
 * sysfs (the same without hwloc, and NICs), NVML (GPUs).  Each part fills
 * what it can and says at INFO what it could not; detect.c puts them
 * together and never fails.
 */
#ifndef WEFT_TOPOLOGY_DETECT_H
#define WEFT_TOPOLOGY_DETECT_H

#include "topology/topo.h"

#include <stddef.h>

#define WEFT_PCI_ADDR_BYTES 16

/* Where a PCI device sits: its NUMA node and the topmost PCI-to-PCI bridge
 * above it (the root port).  Two devices under one root port share a
 * PCIe switch; a device straight on the root bus has no bridge (""). */
typedef struct {
    int numa; /* index of the NUMA node, -1 unknown */
    char bridge[WEFT_PCI_ADDR_BYTES];
} weft__pci_place_t;

/* pci.c: "0000:18:00.0" from "18:00.0", "00000000:18:00.0" or any case;
 * 0 on success, -1 if `in` is not a PCI address. */
int weft__pci_normalize(const char *in, char out[WEFT_PCI_ADDR_BYTES]);
/* The last component of a sysfs path that is a PCI address, or -1. */
int weft__pci_from_path(const char *path, char out[WEFT_PCI_ADDR_BYTES]);

/* detect_sysfs.c */
int weft__sysfs_read(const char *path, char *buf, size_t size); /* 0: read, trimmed */
int weft__sysfs_cpus(int *nsockets_p, int *nnuma_p, int *ncores_p);
int weft__sysfs_pci_place(const char *pci, weft__pci_place_t *place_p);
int weft__sysfs_pcie_gen(const char *pci); /* from max_link_speed; 0 unknown */

/* detect_hwloc.c: all return -1 (and open NULL) without hwloc. */
void *weft__hwloc_open(void);
void weft__hwloc_close(void *h);
int weft__hwloc_cpus(void *h, int *nsockets_p, int *nnuma_p, int *ncores_p);
int weft__hwloc_pci_place(void *h, const char *pci, weft__pci_place_t *place_p);

/* detect_nic.c: names, PCI addresses, speeds and RDMA flags of the NICs
 * (placement is left to detect.c). */
void weft__detect_nics(weft_topo_t *t);

/* The part of NVML detection uses, with the layouts of nvml.h (CUDA 11
 * and later); declared here rather than included, so that weft builds
 * without the driver's headers.  link_type and p2p may be NULL. */
typedef int weft__nvml_ret_t;
typedef struct nvmlDevice_st *weft__nvml_dev_t;
typedef struct {
    char bus_id_legacy[16];
    unsigned domain, bus, device, pci_device_id, pci_subsystem_id;
    char bus_id[32];
} weft__nvml_pci_t;

typedef struct {
    weft__nvml_ret_t (*init)(void);
    weft__nvml_ret_t (*shutdown)(void);
    const char *(*error_string)(weft__nvml_ret_t);
    weft__nvml_ret_t (*count)(unsigned *);
    weft__nvml_ret_t (*handle)(unsigned, weft__nvml_dev_t *);
    weft__nvml_ret_t (*name)(weft__nvml_dev_t, char *, unsigned);
    weft__nvml_ret_t (*pci)(weft__nvml_dev_t, weft__nvml_pci_t *);
    weft__nvml_ret_t (*cc)(weft__nvml_dev_t, int *, int *);
    weft__nvml_ret_t (*link_state)(weft__nvml_dev_t, unsigned, int *);
    weft__nvml_ret_t (*link_pci)(weft__nvml_dev_t, unsigned, weft__nvml_pci_t *);
    weft__nvml_ret_t (*link_type)(weft__nvml_dev_t, unsigned, int *);
    weft__nvml_ret_t (*p2p)(weft__nvml_dev_t, weft__nvml_dev_t, int, int *);
} weft__nvml_api_t;

/* The GPUs an initialised NVML reports (detect_nvml.c; a test passes a
 * fake table).  Same results as weft__detect_gpus. */
int weft__nvml_read(const weft__nvml_api_t *api, weft_topo_t *t,
                    uint8_t (*p2p_p)[WEFT_TOPO_MAX_GPUS]);

/* detect_nvml.c: GPU names, PCI addresses, NVLinks and NVLink generation;
 * p2p_p[i][j] is the pair's P2P capability as NVML reports it (0 or 1;
 * 2 where it did not say).  Returns 1 when p2p_p was filled. */
int weft__detect_gpus(weft_topo_t *t, uint8_t (*p2p_p)[WEFT_TOPO_MAX_GPUS]);

#endif
