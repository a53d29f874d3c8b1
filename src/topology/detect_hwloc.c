/*
 * detect_hwloc.c - CPUs, NUMA nodes and PCI placement through hwloc, the
 * field's own library for the node's picture (Debian: libhwloc-dev).
 *
 * hwloc is loaded once per detection with the important I/O objects (PCI
 * devices and the bridges above them).  A PCI device's placement is the
 * topmost PCI-to-PCI bridge on its way up (the root port: devices under
 * one root port share a PCIe switch) and the NUMA node of its nearest
 * non-I/O ancestor, when that ancestor has exactly one.  Built without
 * hwloc (WEFT_HAVE_HWLOC unset), every function says "not available" and
 * detection uses sysfs.
 */
#include "topology/detect.h"

#if defined(WEFT_HAVE_HWLOC) && WEFT_HAVE_HWLOC
#include <hwloc.h>
#endif

#include <stdio.h>

#if defined(WEFT_HAVE_HWLOC) && WEFT_HAVE_HWLOC && HWLOC_API_VERSION >= 0x00020000

void *weft__hwloc_open(void)
{
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return NULL;
    hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
#if HWLOC_API_VERSION >= 0x00020100
    /* On Linux hwloc's own backend reads the PCI tree from sysfs; its
     * libpciaccess component finds the same and leaks what it allocates
     * (LeakSanitizer fails sanitizer builds on it), so it is left out. */
    hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "pci");
#endif
    if (hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        return NULL;
    }
    return topo;
}

void weft__hwloc_close(void *h)
{
    if (h != NULL)
        hwloc_topology_destroy((hwloc_topology_t)h);
}

int weft__hwloc_cpus(void *h, int *nsockets_p, int *nnuma_p, int *ncores_p)
{
    hwloc_topology_t topo = h;
    if (topo == NULL)
        return -1;
    int sockets = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
    int numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    if (sockets <= 0 || cores <= 0)
        return -1;
    *nsockets_p = sockets;
    *nnuma_p = numa > 0 ? numa : 1;
    *ncores_p = cores;
    return 0;
}

int weft__hwloc_pci_place(void *h, const char *pci, weft__pci_place_t *place_p)
{
    hwloc_topology_t topo = h;
    unsigned domain, bus, dev, func;
    if (topo == NULL || sscanf(pci, "%x:%x:%x.%x", &domain, &bus, &dev, &func) != 4)
        return -1;
    hwloc_obj_t obj = hwloc_get_pcidev_by_busid(topo, domain, bus, dev, func);
    if (obj == NULL)
        return -1;
    weft__pci_place_t place = {.numa = -1, .bridge = ""};
    for (hwloc_obj_t p = obj->parent; p != NULL && p->type == HWLOC_OBJ_BRIDGE; p = p->parent) {
        if (p->attr->bridge.upstream_type != HWLOC_OBJ_BRIDGE_PCI)
            continue; /* the host bridge */
        const struct hwloc_pcidev_attr_s *a = &p->attr->bridge.upstream.pci;
        snprintf(place.bridge, sizeof(place.bridge), "%04x:%02x:%02x.%x", a->domain, a->bus, a->dev,
                 a->func);
    }
    hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(topo, obj);
    if (anc != NULL && anc->nodeset != NULL && hwloc_bitmap_weight(anc->nodeset) == 1) {
        int os = hwloc_bitmap_first(anc->nodeset);
        hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(topo, (unsigned)os);
        if (node != NULL)
            place.numa = (int)node->logical_index;
    }
    *place_p = place;
    return 0;
}

#else /* no hwloc */

void *weft__hwloc_open(void)
{
    return NULL;
}

void weft__hwloc_close(void *h)
{
    (void)h;
}

int weft__hwloc_cpus(void *h, int *nsockets_p, int *nnuma_p, int *ncores_p)
{
    return -1;
}

int weft__hwloc_pci_place(void *h, const char *pci, weft__pci_place_t *place_p)
{
    return -1;
}

#endif
