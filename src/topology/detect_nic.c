/*
 * detect_nic.c - the node's NICs from sysfs.
 *
 * RDMA devices first (/sys/class/infiniband: InfiniBand HCAs, RoCE NICs,
 * AWS EFA), each with its PCI address, the fastest port's rate, and the
 * network interface on the same PCI function if any (a RoCE NIC is one
 * entry "mlx5_0" with netdev "ens1f0", not two).  Then every other network
 * interface of /sys/class/net except loopback: physical ones with their
 * PCI address (the last PCI component of the real path of their device
 * link: virtio NICs sit one level below theirs), virtual ones (veth,
 * bridges: the emulated cluster's rails) with pci "".  The order is what
 * files and rails use: RDMA NICs, then the other physical NICs, then
 * virtual ones, each group by PCI address and name.
 */
#include "topology/detect.h"
#include "util/log.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_NET_GBPS 10.0   /* an interface that does not say (virtual, down) */
#define DEFAULT_RDMA_GBPS 100.0 /* an RDMA port whose rate is unreadable */

/* Copies a name, cut to fit (interface names fit; RDMA names may not). */
static void copy_name(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void pci_of(const char *dev_link, char pci[WEFT_PCI_ADDR_BYTES])
{
    char real[PATH_MAX];
    pci[0] = '\0';
    if (realpath(dev_link, real) == NULL || weft__pci_from_path(real, pci) != 0)
        pci[0] = '\0';
}

/* The fastest port's rate ("400 Gb/sec (4X NDR)"), Gbit/s; 0 if none. */
static double ib_rate(const char *dev)
{
    char path[PATH_MAX], buf[64];
    snprintf(path, sizeof(path), "/sys/class/infiniband/%s/ports", dev);
    DIR *d = opendir(path);
    if (d == NULL)
        return 0.0;
    double best = 0.0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/sys/class/infiniband/%s/ports/%s/rate", dev, e->d_name);
        if (weft__sysfs_read(path, buf, sizeof(buf)) == 0 && strtod(buf, NULL) > best)
            best = strtod(buf, NULL);
    }
    closedir(d);
    return best;
}

/* The first network interface of the RDMA device's PCI function (or of
 * its parent netdev, for software RDMA such as rxe). */
static void ib_netdev(const char *dev, char *out, size_t size)
{
    char path[PATH_MAX];
    out[0] = '\0';
    snprintf(path, sizeof(path), "/sys/class/infiniband/%s/device/net", dev);
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL && out[0] == '\0') {
            if (e->d_name[0] != '.')
                copy_name(out, size, e->d_name);
        }
        closedir(d);
    }
    if (out[0] == '\0') {
        snprintf(path, sizeof(path), "/sys/class/infiniband/%s/parent", dev);
        if (weft__sysfs_read(path, out, size) != 0)
            out[0] = '\0';
    }
}

static weft_topo_nic_t *add_nic(weft_topo_t *t, const char *name)
{
    if (t->nnics >= WEFT_TOPO_MAX_NICS) {
        WEFT_INFO("topology: more than %d NICs, %s left out", WEFT_TOPO_MAX_NICS, name);
        return NULL;
    }
    weft_topo_nic_t *nic = &t->nic[t->nnics++];
    memset(nic, 0, sizeof(*nic));
    copy_name(nic->name, sizeof(nic->name), name);
    nic->numa = -1;
    nic->pcie_switch = -1;
    return nic;
}

static void detect_rdma(weft_topo_t *t)
{
    DIR *d = opendir("/sys/class/infiniband");
    if (d == NULL) {
        WEFT_INFO("topology: no /sys/class/infiniband: no RDMA devices");
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        if (e->d_name[0] == '.')
            continue;
        weft_topo_nic_t *nic = add_nic(t, e->d_name);
        if (nic == NULL)
            break;
        nic->rdma = 1;
        snprintf(path, sizeof(path), "/sys/class/infiniband/%s/device", e->d_name);
        pci_of(path, nic->pci);
        ib_netdev(e->d_name, nic->netdev, sizeof(nic->netdev));
        if (nic->pci[0] == '\0' && nic->netdev[0] != '\0') { /* software RDMA */
            snprintf(path, sizeof(path), "/sys/class/net/%s/device", nic->netdev);
            pci_of(path, nic->pci);
        }
        if (nic->pci[0] == '\0') {
            /* GPUDirect needs a PCI device; rxe on a veth is only TCP's twin. */
            WEFT_INFO("topology: RDMA device %s is on no PCI device: counted as not RDMA",
                      e->d_name);
            nic->rdma = 0;
        }
        nic->speed_gbps = ib_rate(e->d_name);
        if (nic->speed_gbps <= 0.0) {
            WEFT_INFO("topology: %s: port rate unreadable, taking %.0f Gbit/s", e->d_name,
                      DEFAULT_RDMA_GBPS);
            nic->speed_gbps = DEFAULT_RDMA_GBPS;
        }
    }
    closedir(d);
}

/* 1 if the interface is already an RDMA device's netdev. */
static int claimed(weft_topo_t *t, const char *ifname, const char *pci)
{
    for (int i = 0; i < t->nnics; i++) {
        weft_topo_nic_t *nic = &t->nic[i];
        if (strcmp(nic->netdev, ifname) == 0)
            return 1;
        if (pci[0] != '\0' && nic->rdma && nic->netdev[0] == '\0' && strcmp(nic->pci, pci) == 0) {
            copy_name(nic->netdev, sizeof(nic->netdev), ifname);
            return 1;
        }
    }
    return 0;
}

static void detect_net(weft_topo_t *t)
{
    DIR *d = opendir("/sys/class/net");
    if (d == NULL) {
        WEFT_INFO("topology: no /sys/class/net: no network interfaces");
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX], buf[32], pci[WEFT_PCI_ADDR_BYTES];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/sys/class/net/%s/type", e->d_name);
        if (weft__sysfs_read(path, buf, sizeof(buf)) == 0 && atoi(buf) == 772)
            continue; /* ARPHRD_LOOPBACK */
        snprintf(path, sizeof(path), "/sys/class/net/%s/device", e->d_name);
        pci_of(path, pci);
        if (claimed(t, e->d_name, pci))
            continue;
        weft_topo_nic_t *nic = add_nic(t, e->d_name);
        if (nic == NULL)
            break;
        copy_name(nic->netdev, sizeof(nic->netdev), e->d_name);
        memcpy(nic->pci, pci, sizeof(nic->pci));
        snprintf(path, sizeof(path), "/sys/class/net/%s/speed", e->d_name);
        long mbps = weft__sysfs_read(path, buf, sizeof(buf)) == 0 ? atol(buf) : -1;
        nic->speed_gbps = mbps > 0 ? mbps / 1000.0 : DEFAULT_NET_GBPS;
        if (mbps <= 0)
            WEFT_INFO("topology: %s: link speed unreadable, taking %.0f Gbit/s", e->d_name,
                      DEFAULT_NET_GBPS);
    }
    closedir(d);
}

static int nic_order(const void *pa, const void *pb)
{
    const weft_topo_nic_t *a = pa, *b = pb;
    int ka = a->rdma ? 0 : a->pci[0] != '\0' ? 1 : 2;
    int kb = b->rdma ? 0 : b->pci[0] != '\0' ? 1 : 2;
    if (ka != kb)
        return ka - kb;
    int c = strcmp(a->pci, b->pci);
    return c != 0 ? c : strcmp(a->name, b->name);
}

void weft__detect_nics(weft_topo_t *t)
{
    t->nnics = 0;
    detect_rdma(t);
    detect_net(t);
    qsort(t->nic, (size_t)t->nnics, sizeof(t->nic[0]), nic_order);
}
