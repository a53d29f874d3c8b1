/*
 * topo.h - the topology model: what one node has (CPUs, NUMA nodes, GPUs,
 * NICs, the paths between them) and, for a cluster file, how many such
 * nodes there are and the network between them.
 *
 * Sources: detection (hwloc for CPUs/NUMA/PCI, NVML/CUDA for GPUs and
 * NVLink, sysfs for NICs), or a file (WEFT_TOPO_FILE; format in
 * docs/TOPOLOGY.md).  Detection never fails: what cannot be read is logged
 * at INFO and filled with a stated default.
 *
 * Bandwidths are in GB/s (1e9 bytes per second), latencies in
 * microseconds; a NIC's speed is its line rate in Gbit/s, as vendors state
 * it.  The tuner turns links into alpha-beta costs.
 */
#ifndef WEFT_TOPOLOGY_TOPO_H
#define WEFT_TOPOLOGY_TOPO_H

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

#define WEFT_TOPO_MAX_GPUS 72 /* a GB200 NVL72 rack in one NVLink domain */
/* 72 compute NICs in a GB200 NVL72 rack (one per GPU), and room for the
 * front-end and storage NICs of such a system. */
#define WEFT_TOPO_MAX_NICS 128

/* How two devices reach each other, best first (nvidia-smi topo -m). */
typedef enum {
    WEFT_PATH_SELF = 0, /* the same device */
    WEFT_PATH_NVLINK,   /* NVLink, directly or through NVSwitch ("NV#") */
    WEFT_PATH_PIX,      /* behind the same PCIe switch */
    WEFT_PATH_PHB,      /* through the PCIe host bridge of one CPU socket */
    WEFT_PATH_SYS,      /* across CPU sockets (the SMP interconnect) */
    WEFT_PATH_NET,      /* across the network */
    WEFT_PATH_COUNT
} weft_path_class_t;

typedef struct {
    double bw_gbps; /* GB/s */
    double lat_us;
} weft_link_t;

typedef struct {
    char name[64];                   /* "NVIDIA H100 80GB HBM3" */
    char pci[16];                    /* "0000:18:00.0" */
    int numa;                        /* index of its NUMA node, -1 unknown */
    int pcie_switch;                 /* devices with the same id share a PCIe switch; -1 none */
    int nvlinks[WEFT_TOPO_MAX_GPUS]; /* NVLinks to each GPU (0: none) */
} weft_topo_gpu_t;

typedef struct {
    char name[32];     /* "mlx5_0", "eth0", "rdmap79s0" */
    char netdev[32];   /* its network interface ("ib0", "ens1f0"), "" if none */
    char pci[16];      /* "" for a virtual interface */
    int numa;          /* index of its NUMA node, -1 unknown */
    int pcie_switch;   /* as for a GPU */
    double speed_gbps; /* line rate, Gbit/s */
    int rdma;          /* 1: RDMA-capable (InfiniBand, RoCE, EFA) */
} weft_topo_nic_t;

typedef struct weft_topo {
    char host[64];
    char model[64];   /* "NVIDIA DGX H100"; "" unknown */
    char source[128]; /* "detected" or the file it came from */
    int nsockets, nnuma, ncores;
    int ngpus, nnics;
    int pcie_gen;   /* of the GPUs' (else the NICs') PCIe links, 1..6 */
    int nvlink_gen; /* 0: no NVLink */
    int nvswitch;   /* 1: the GPUs' NVLinks go through NVSwitches */
    /* The link of each path class: bandwidth per direction and latency
     * (for NVLINK per link; a pair's NVLink bandwidth is its number of
     * links times this).  SELF and NET are unused (zero). */
    weft_link_t class_link[WEFT_PATH_COUNT];
    weft_topo_gpu_t gpu[WEFT_TOPO_MAX_GPUS];
    weft_topo_nic_t nic[WEFT_TOPO_MAX_NICS];
    /* Every pair gets a class and a link (bandwidth, latency). */
    uint8_t gpu_gpu[WEFT_TOPO_MAX_GPUS][WEFT_TOPO_MAX_GPUS]; /* weft_path_class_t */
    weft_link_t gpu_gpu_link[WEFT_TOPO_MAX_GPUS][WEFT_TOPO_MAX_GPUS];
    /* 1: the two GPUs can access each other's memory (CUDA P2P). */
    uint8_t gpu_p2p[WEFT_TOPO_MAX_GPUS][WEFT_TOPO_MAX_GPUS];
    uint8_t gpu_nic[WEFT_TOPO_MAX_GPUS][WEFT_TOPO_MAX_NICS];
    weft_link_t gpu_nic_link[WEFT_TOPO_MAX_GPUS][WEFT_TOPO_MAX_NICS];
    /* Host memory between two ranks of this node (the shm transport). */
    weft_link_t host_shm;
} weft_topo_t;

/* The network between the nodes of a cluster file: `rails` independent
 * networks (one per NIC index), each giving a node rail_gbps of line rate
 * at rail_lat_us, and oversubscribed by `oversubscription` (1: full
 * bisection) above the leaf switch.  rail_burst_bytes > 0: the rate is a
 * token bucket of that many bytes (a cloud instance's shaping, tc tbf),
 * which lets that much through at once after a pause. */
typedef struct {
    int nnodes;
    int rails;
    double rail_gbps;
    double rail_lat_us;
    double oversubscription;
    double rail_burst_bytes;
} weft_network_t;

typedef struct weft_system {
    weft_topo_t node;       /* every node of the system is like this one */
    weft_network_t network; /* nnodes 1 and no rails for a single node */
} weft_system_t;

const char *weft__path_class_name(weft_path_class_t c); /* "NV", "PIX", ... */
/* The class named `name` ("NV", "PIX", ...; case-insensitive), or -1. */
int weft__path_class_parse(const char *name);

/* An empty node: no devices, one socket, one NUMA node, one core, the
 * default links of PCIe Gen4 and no NVLink (docs/TOPOLOGY.md). */
void weft__topo_init(weft_topo_t *t);
/* Sets class_link from pcie_gen and nvlink_gen (the stated defaults). */
void weft__topo_default_links(weft_topo_t *t);
/* Fills every GPU-GPU and GPU-NIC class, link and P2P flag from the
 * devices' NVLinks, PCIe switches and NUMA nodes (rules in
 * docs/TOPOLOGY.md).  Detection and files both end with this; a file's
 * explicit "paths" are applied after it. */
void weft__topo_derive_paths(weft_topo_t *t);
/* The class between two NICs by the same rules (for printing). */
weft_path_class_t weft__topo_nic_nic_class(const weft_topo_t *t, int a, int b);
/* A single node: nnodes 1, no rails. */
void weft__system_init(weft_system_t *sys);

/* Fills t from this machine; never fails (defaults for what is unknown). */
void weft__topo_detect(weft_topo_t *t);

/* Loads a node or cluster file.  On a malformed, truncated or inconsistent
 * file returns WEFT_ERR_INVALID_ARGUMENT with a message (also in
 * weft_last_error()) naming the file, line and field. */
weft_status_t weft__topo_load(const char *path, weft_system_t *sys_p);
/* The same from a string (for tests and the fuzzer); name labels errors. */
weft_status_t weft__topo_parse(const char *text, size_t len, const char *name,
                               weft_system_t *sys_p);

/* Writes sys in the file format (a node file when it has no network:
 * one node and no rails). */
weft_status_t weft__topo_dump(const weft_system_t *sys, const char *path);
/* The same text in a malloc'd string (free() it); NULL when out of memory. */
char *weft__topo_dump_string(const weft_system_t *sys);

/* WEFT_TOPO_FILE if set, else detection (and WEFT_TOPO_DUMP_FILE written
 * if set).  Never fails for detection; a bad file is an error. */
weft_status_t weft__topo_get(weft_system_t *sys_p);

/* The NIC nearest to a GPU (best path class, then NIC speed, then path
 * bandwidth), or -1.  GPUs whose nearest NICs are the same set (two GPUs
 * and two NICs behind one switch) take them in turn by GPU index, so that
 * each GPU gets its own rail where the node has one per GPU. */
int weft__topo_nearest_nic(const weft_topo_t *t, int gpu);
/* All NICs as near to the GPU as the nearest one (same class, speed and
 * bandwidth: the 4 EFA interfaces of a p5 GPU), up to max, in index
 * order; returns how many. */
int weft__topo_gpu_nics(const weft_topo_t *t, int gpu, int *nics, int max);

#endif
