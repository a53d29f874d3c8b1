/*
 * detect_sysfs.c - CPUs, NUMA nodes and PCI placement from Linux sysfs:
 * the fallback when weft is built without hwloc (or hwloc cannot load),
 * and the helpers the NIC detection reads files with.
 *
 *   NUMA nodes   /sys/devices/system/node/node<N>
 *   sockets      distinct cpu<N>/topology/physical_package_id
 *   cores        distinct (package, core_id) pairs
 *   PCI device   the real path of /sys/bus/pci/devices/<addr> lists its
 *                bridges (/sys/devices/pci0000:17/0000:17:01.0/.../<addr>);
 *                numa_node is the OS's node number, turned into an index
 */
#include "topology/detect.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NUMA_IDS 1024
#define MAX_CORES 16384

int weft__sysfs_read(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, size - 1, f);
    int err = ferror(f);
    fclose(f);
    if (err || n == 0)
        return -1;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    return 0;
}

static int read_int(const char *path, long *v_p)
{
    char buf[32], *end;
    if (weft__sysfs_read(path, buf, sizeof(buf)) != 0)
        return -1;
    long v = strtol(buf, &end, 10);
    if (end == buf)
        return -1;
    *v_p = v;
    return 0;
}

/* The OS numbers of the NUMA nodes, ascending; how many (0: none found). */
static int numa_ids(int *ids, int max)
{
    DIR *d = opendir("/sys/devices/system/node");
    if (d == NULL)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        char *end;
        if (strncmp(e->d_name, "node", 4) != 0 || e->d_name[4] == '\0')
            continue;
        long id = strtol(e->d_name + 4, &end, 10);
        if (*end != '\0' || id < 0 || id > INT_MAX)
            continue;
        int at = n++; /* insertion sort: a handful of nodes */
        while (at > 0 && ids[at - 1] > id) {
            ids[at] = ids[at - 1];
            at--;
        }
        ids[at] = (int)id;
    }
    closedir(d);
    return n;
}

/* Counts distinct packages and (package, core) pairs over the CPUs. */
static int count_cores(int *nsockets_p, int *ncores_p)
{
    DIR *d = opendir("/sys/devices/system/cpu");
    if (d == NULL)
        return -1;
    long *pkg = malloc(sizeof(long) * MAX_CORES), *core = malloc(sizeof(long) * MAX_CORES);
    int ncores = 0, nsockets = 0;
    struct dirent *e;
    while (pkg != NULL && core != NULL && (e = readdir(d)) != NULL && ncores < MAX_CORES) {
        char path[PATH_MAX];
        long p, c;
        if (strncmp(e->d_name, "cpu", 3) != 0 || e->d_name[3] < '0' || e->d_name[3] > '9')
            continue;
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/%s/topology/physical_package_id",
                 e->d_name);
        if (read_int(path, &p) != 0)
            continue; /* offline */
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/%s/topology/core_id", e->d_name);
        if (read_int(path, &c) != 0)
            c = 0;
        int seen_pkg = 0, seen_core = 0;
        for (int i = 0; i < ncores; i++) {
            seen_pkg |= pkg[i] == p;
            seen_core |= pkg[i] == p && core[i] == c;
        }
        nsockets += !seen_pkg;
        if (!seen_core) {
            pkg[ncores] = p;
            core[ncores++] = c;
        }
    }
    closedir(d);
    free(pkg);
    free(core);
    if (ncores == 0)
        return -1;
    *nsockets_p = nsockets;
    *ncores_p = ncores;
    return 0;
}

int weft__sysfs_cpus(int *nsockets_p, int *nnuma_p, int *ncores_p)
{
    int ids[MAX_NUMA_IDS], nsockets, ncores;
    int nnuma = numa_ids(ids, MAX_NUMA_IDS);
    if (count_cores(&nsockets, &ncores) != 0)
        return -1;
    *nsockets_p = nsockets;
    *ncores_p = ncores;
    *nnuma_p = nnuma > 0 ? nnuma : 1; /* no node directory: one node */
    return 0;
}

/* The index of NUMA node `os_id` among the nodes, or -1. */
static int numa_index(long os_id)
{
    int ids[MAX_NUMA_IDS];
    int n = numa_ids(ids, MAX_NUMA_IDS);
    for (int i = 0; i < n; i++) {
        if (ids[i] == os_id)
            return i;
    }
    return -1;
}

int weft__sysfs_pci_place(const char *pci, weft__pci_place_t *place_p)
{
    char link[PATH_MAX], real[PATH_MAX];
    snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s", pci);
    if (realpath(link, real) == NULL)
        return -1;
    /* /sys/devices/pci0000:17/0000:17:01.0/0000:18:00.0/.../<pci>: the
     * component after the root bus is the root port, unless it is the
     * device itself. */
    weft__pci_place_t place = {.numa = -1, .bridge = ""};
    const char *root = strstr(real, "/pci");
    const char *first = root != NULL ? strchr(root + 1, '/') : NULL;
    if (first != NULL) {
        char comp[64];
        const char *end = strchr(first + 1, '/');
        size_t n = end != NULL ? (size_t)(end - first - 1) : 0;
        if (n > 0 && n < sizeof(comp)) {
            memcpy(comp, first + 1, n);
            comp[n] = '\0';
            if (weft__pci_normalize(comp, place.bridge) != 0)
                place.bridge[0] = '\0';
        }
    }
    long node;
    snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/numa_node", pci);
    if (read_int(link, &node) == 0 && node >= 0)
        place.numa = numa_index(node);
    *place_p = place;
    return 0;
}

int weft__sysfs_pcie_gen(const char *pci)
{
    static const double gts[] = {2.5, 5.0, 8.0, 16.0, 32.0, 64.0};
    char path[PATH_MAX], buf[64];
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/max_link_speed", pci);
    if (weft__sysfs_read(path, buf, sizeof(buf)) != 0)
        return 0;
    double v = strtod(buf, NULL);
    for (int g = 0; g < 6; g++) {
        if (v > gts[g] * 0.9 && v < gts[g] * 1.1)
            return g + 1;
    }
    return 0;
}
