/*
 * test_topo_util.h - helpers shared by the topology tests: failure
 * counting, where the source tree is, every file of topology/systems, and
 * a field-by-field comparison of
 * two topologies that names the first difference (a dump loaded back must
 * equal what was dumped).
 */
#ifndef WEFT_TEST_TOPO_UTIL_H
#define WEFT_TEST_TOPO_UTIL_H

#include "topology/topo.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_check.h"

/* The source tree: WEFT_TEST_SOURCE_DIR if the build defines it, else
 * this file's path (absolute in CMake builds) less "tests/unit/...". */
static inline void source_dir(char *buf, size_t size)
{
#ifdef WEFT_TEST_SOURCE_DIR
    snprintf(buf, size, "%s", WEFT_TEST_SOURCE_DIR);
#else
    snprintf(buf, size, "%s", __FILE__);
    char *cut = strstr(buf, "tests/unit/");
    if (cut != NULL)
        *cut = '\0';
    if (cut == NULL || buf[0] == '\0') /* a relative __FILE__: run from the root */
        snprintf(buf, size, ".");
#endif
    size_t n = strlen(buf);
    if (n > 1 && buf[n - 1] == '/')
        buf[n - 1] = '\0';
}

/* Calls fn on every .json file of topology/systems that loads (one that does not
 * is a failure); returns how many loaded, -1 if the directory cannot be
 * read.  sys is reused from file to file. */
static inline int for_each_system(weft_system_t *sys,
                                  void (*fn)(const char *name, const weft_system_t *sys))
{
    char src[PATH_MAX - 32], dir[PATH_MAX], path[PATH_MAX + 256];
    source_dir(src, sizeof(src));
    snprintf(dir, sizeof(dir), "%s/topology/systems", src);
    DIR *d = opendir(dir);
    if (d == NULL) {
        FAIL("cannot open %s", dir);
        return -1;
    }
    int loaded = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        size_t n = strlen(ent->d_name);
        if (n < 6 || strcmp(ent->d_name + n - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
        if (weft__topo_load(path, sys) != WEFT_OK) {
            FAIL("%s does not load: %s", ent->d_name, weft_last_error());
            continue;
        }
        loaded++;
        fn(ent->d_name, sys);
    }
    closedir(d);
    return loaded;
}

static inline int same_link(weft_link_t a, weft_link_t b)
{
    return a.bw_gbps == b.bw_gbps && a.lat_us == b.lat_us;
}

/* 0 if equal but for `source`; else prints the first difference. */
static inline int topo_diff(const char *what, const weft_topo_t *a, const weft_topo_t *b)
{
#define DIFF(cond, ...)                                                                            \
    do {                                                                                           \
        if (cond) {                                                                                \
            fprintf(stderr, "%s: ", what);                                                         \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)
    DIFF(strcmp(a->host, b->host) || strcmp(a->model, b->model), "host/model differ");
    DIFF(a->nsockets != b->nsockets || a->nnuma != b->nnuma || a->ncores != b->ncores,
         "CPU counts differ");
    DIFF(a->ngpus != b->ngpus || a->nnics != b->nnics,
         "device counts differ: %d/%d GPUs, %d/%d NICs", a->ngpus, b->ngpus, a->nnics, b->nnics);
    DIFF(a->pcie_gen != b->pcie_gen || a->nvlink_gen != b->nvlink_gen || a->nvswitch != b->nvswitch,
         "generations or nvswitch differ");
    for (int c = 0; c < WEFT_PATH_COUNT; c++)
        DIFF(!same_link(a->class_link[c], b->class_link[c]), "class link %d differs", c);
    DIFF(!same_link(a->host_shm, b->host_shm), "host_shm differs");
    for (int g = 0; g < a->ngpus; g++) {
        const weft_topo_gpu_t *x = &a->gpu[g], *y = &b->gpu[g];
        DIFF(strcmp(x->name, y->name) || strcmp(x->pci, y->pci) || x->numa != y->numa ||
                 x->pcie_switch != y->pcie_switch,
             "GPU %d differs", g);
        for (int j = 0; j < a->ngpus; j++) {
            DIFF(x->nvlinks[j] != y->nvlinks[j], "NVLinks %d-%d differ", g, j);
            DIFF(a->gpu_gpu[g][j] != b->gpu_gpu[g][j] || a->gpu_p2p[g][j] != b->gpu_p2p[g][j] ||
                     !same_link(a->gpu_gpu_link[g][j], b->gpu_gpu_link[g][j]),
                 "GPU path %d-%d differs", g, j);
        }
        for (int n = 0; n < a->nnics; n++)
            DIFF(a->gpu_nic[g][n] != b->gpu_nic[g][n] ||
                     !same_link(a->gpu_nic_link[g][n], b->gpu_nic_link[g][n]),
                 "GPU-NIC path %d-%d differs", g, n);
    }
    for (int n = 0; n < a->nnics; n++) {
        const weft_topo_nic_t *x = &a->nic[n], *y = &b->nic[n];
        DIFF(strcmp(x->name, y->name) || strcmp(x->netdev, y->netdev) || strcmp(x->pci, y->pci) ||
                 x->numa != y->numa || x->pcie_switch != y->pcie_switch ||
                 x->speed_gbps != y->speed_gbps || x->rdma != y->rdma,
             "NIC %d differs (%s/%s, netdev %s/%s)", n, x->name, y->name, x->netdev, y->netdev);
    }
    return 0;
#undef DIFF
}

static inline int system_diff(const char *what, const weft_system_t *a, const weft_system_t *b)
{
    const weft_network_t *x = &a->network, *y = &b->network;
    if (x->nnodes != y->nnodes || x->rails != y->rails || x->rail_gbps != y->rail_gbps ||
        x->rail_lat_us != y->rail_lat_us || x->oversubscription != y->oversubscription) {
        fprintf(stderr, "%s: networks differ\n", what);
        return 1;
    }
    return topo_diff(what, &a->node, &b->node);
}

/* Dumps sys to text, parses it back and compares; 0 when equal. */
static inline int round_trip(const char *what, const weft_system_t *sys)
{
    static weft_system_t back;
    char *text = weft__topo_dump_string(sys);
    if (text == NULL) {
        fprintf(stderr, "%s: dump failed\n", what);
        return 1;
    }
    weft_status_t st = weft__topo_parse(text, strlen(text), what, &back);
    int bad = st != WEFT_OK;
    if (bad)
        fprintf(stderr, "%s: the dump does not load: %s\n%s\n", what, weft_last_error(), text);
    else
        bad = system_diff(what, sys, &back);
    free(text);
    return bad;
}

#endif
