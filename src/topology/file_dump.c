/*
 * file_dump.c - writing a system in the topology file format, so that
 * what detection found can be read, edited and loaded back (WEFT_TOPO_DUMP_
 * FILE, weft-topo --dump).
 *
 * The file states the devices and their placement; classes and links are
 * left to the rules that load will apply again, and only what differs
 * from them is written: class links that are not the defaults for the
 * PCIe and NVLink generations, pairs whose class, link or P2P flag is not
 * the derived one ("paths").  NVLinks are written as the NVSwitch
 * shortcut where that describes the node, with per-GPU maps for the pairs
 * that differ.  Loading the dump gives back the same model (a test
 * compares them field by field).
 */
#include "topology/file.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int failed;
} dump_t;

static cJSON *add(dump_t *d, cJSON *obj, const char *key, cJSON *item)
{
    if (item == NULL || obj == NULL || !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        d->failed = 1;
        return NULL;
    }
    return item;
}

static void add_num(dump_t *d, cJSON *obj, const char *key, double v)
{
    add(d, obj, key, cJSON_CreateNumber(v));
}

static void add_str(dump_t *d, cJSON *obj, const char *key, const char *v)
{
    add(d, obj, key, cJSON_CreateString(v));
}

static void add_link(dump_t *d, cJSON *obj, const char *key, weft_link_t link)
{
    cJSON *l = add(d, obj, key, cJSON_CreateObject());
    add_num(d, l, "bw_gbps", link.bw_gbps);
    add_num(d, l, "lat_us", link.lat_us);
}

static cJSON *append(dump_t *d, cJSON *arr)
{
    cJSON *item = cJSON_CreateObject();
    if (item == NULL || arr == NULL || !cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        d->failed = 1;
        return NULL;
    }
    return item;
}

/* The NVSwitch link count most pairs share, 0 if none. */
static int common_links(const weft_topo_t *t)
{
    int hist[WEFT_TOPO_MAX_NVLINKS + 1] = {0}, best = 0;
    for (int i = 0; i < t->ngpus; i++) {
        for (int j = 0; j < t->ngpus; j++) {
            int n = t->gpu[i].nvlinks[j];
            if (i != j && n > 0 && n <= WEFT_TOPO_MAX_NVLINKS && ++hist[n] > hist[best])
                best = n;
        }
    }
    return best;
}

static void dump_header(dump_t *d, cJSON *root, const weft_topo_t *t, int sw_links)
{
    weft_topo_t *defaults = malloc(sizeof(*defaults));
    add_num(d, root, "weft_topology", WEFT_TOPO_FILE_VERSION);
    if (t->model[0] != '\0')
        add_str(d, root, "name", t->model);
    add_str(d, root, "host", t->host);
    char notes[200];
    snprintf(notes, sizeof(notes), "written by weft from: %s", t->source);
    add_str(d, root, "notes", notes);
    cJSON *cpu = add(d, root, "cpu", cJSON_CreateObject());
    add_num(d, cpu, "sockets", t->nsockets);
    add_num(d, cpu, "numa_nodes", t->nnuma);
    add_num(d, cpu, "cores", t->ncores);
    add_num(d, add(d, root, "pcie", cJSON_CreateObject()), "gen", t->pcie_gen);
    if (t->nvlink_gen > 0 || t->nvswitch) {
        cJSON *nv = add(d, root, "nvlink", cJSON_CreateObject());
        add_num(d, nv, "gen", t->nvlink_gen);
        if (t->nvswitch) {
            add(d, nv, "nvswitch", cJSON_CreateTrue());
            add_num(d, nv, "links", sw_links);
        }
    }
    if (defaults == NULL) {
        d->failed = 1;
        return;
    }
    memcpy(defaults, t, sizeof(*defaults));
    weft__topo_default_links(defaults);
    cJSON *links = NULL;
    for (int c = WEFT_PATH_NVLINK; c <= WEFT_PATH_SYS; c++) {
        if (memcmp(&defaults->class_link[c], &t->class_link[c], sizeof(weft_link_t)) == 0)
            continue;
        if (links == NULL)
            links = add(d, root, "links", cJSON_CreateObject());
        add_link(d, links, weft__path_class_name((weft_path_class_t)c), t->class_link[c]);
    }
    free(defaults);
    add_link(d, root, "host_shm", t->host_shm);
}

static void dump_place(dump_t *d, cJSON *o, const char *pci, int numa, int sw)
{
    if (pci[0] != '\0')
        add_str(d, o, "pci", pci);
    if (numa >= 0)
        add_num(d, o, "numa", numa);
    if (sw >= 0)
        add_num(d, o, "pcie_switch", sw);
}

static void dump_devices(dump_t *d, cJSON *root, const weft_topo_t *t, int sw_links)
{
    cJSON *gpus = add(d, root, "gpus", cJSON_CreateArray());
    for (int g = 0; g < t->ngpus; g++) {
        cJSON *o = append(d, gpus);
        add_num(d, o, "index", g);
        add_str(d, o, "name", t->gpu[g].name);
        dump_place(d, o, t->gpu[g].pci, t->gpu[g].numa, t->gpu[g].pcie_switch);
        cJSON *map = NULL;
        for (int j = 0; j < t->ngpus; j++) {
            int base = j != g && t->nvswitch ? sw_links : 0;
            if (j == g || t->gpu[g].nvlinks[j] == base)
                continue;
            if (map == NULL)
                map = add(d, o, "nvlinks", cJSON_CreateObject());
            char key[16];
            snprintf(key, sizeof(key), "%d", j);
            add_num(d, map, key, t->gpu[g].nvlinks[j]);
        }
    }
    cJSON *nics = add(d, root, "nics", cJSON_CreateArray());
    for (int n = 0; n < t->nnics; n++) {
        const weft_topo_nic_t *nic = &t->nic[n];
        cJSON *o = append(d, nics);
        add_num(d, o, "index", n);
        add_str(d, o, "name", nic->name);
        if (strcmp(nic->netdev, nic->rdma ? "" : nic->name) != 0)
            add_str(d, o, "netdev", nic->netdev);
        dump_place(d, o, nic->pci, nic->numa, nic->pcie_switch);
        add_num(d, o, "speed_gbps", nic->speed_gbps);
        add(d, o, "rdma", cJSON_CreateBool(nic->rdma));
    }
}

static int same_link(weft_link_t a, weft_link_t b)
{
    return a.bw_gbps == b.bw_gbps && a.lat_us == b.lat_us;
}

static void dump_path(dump_t *d, cJSON *paths, const char *a, const char *b, int cls,
                      weft_link_t link, int p2p)
{
    cJSON *o = append(d, paths);
    const char *ends[2] = {a, b};
    add(d, o, "between", cJSON_CreateStringArray(ends, 2));
    add_str(d, o, "class", weft__path_class_name((weft_path_class_t)cls));
    add_num(d, o, "bw_gbps", link.bw_gbps);
    add_num(d, o, "lat_us", link.lat_us);
    if (p2p >= 0)
        add(d, o, "p2p", cJSON_CreateBool(p2p));
}

/* The pairs whose class, link or P2P flag is not what the rules give. */
static void dump_paths(dump_t *d, cJSON *root, const weft_topo_t *t)
{
    weft_topo_t *r = malloc(sizeof(*r));
    cJSON *paths = NULL;
    if (r == NULL) {
        d->failed = 1;
        return;
    }
    memcpy(r, t, sizeof(*r));
    weft__topo_derive_paths(r);
    for (int g = 0; g < t->ngpus; g++) {
        char a[16], b[16];
        snprintf(a, sizeof(a), "gpu%d", g);
        for (int j = g + 1; j < t->ngpus; j++) {
            if (t->gpu_gpu[g][j] == r->gpu_gpu[g][j] && t->gpu_p2p[g][j] == r->gpu_p2p[g][j] &&
                same_link(t->gpu_gpu_link[g][j], r->gpu_gpu_link[g][j]))
                continue;
            if (paths == NULL)
                paths = add(d, root, "paths", cJSON_CreateArray());
            snprintf(b, sizeof(b), "gpu%d", j);
            dump_path(d, paths, a, b, t->gpu_gpu[g][j], t->gpu_gpu_link[g][j], t->gpu_p2p[g][j]);
        }
        for (int n = 0; n < t->nnics; n++) {
            if (t->gpu_nic[g][n] == r->gpu_nic[g][n] &&
                same_link(t->gpu_nic_link[g][n], r->gpu_nic_link[g][n]))
                continue;
            if (paths == NULL)
                paths = add(d, root, "paths", cJSON_CreateArray());
            snprintf(b, sizeof(b), "nic%d", n);
            dump_path(d, paths, a, b, t->gpu_nic[g][n], t->gpu_nic_link[g][n], -1);
        }
    }
    free(r);
}

static void dump_network(dump_t *d, cJSON *root, const weft_network_t *n)
{
    if (n->nnodes <= 1 && n->rails <= 0)
        return;
    cJSON *o = add(d, root, "network", cJSON_CreateObject());
    add_num(d, o, "nodes", n->nnodes);
    add_num(d, o, "rails", n->rails);
    add_num(d, o, "rail_gbps", n->rail_gbps);
    add_num(d, o, "rail_lat_us", n->rail_lat_us);
    add_num(d, o, "oversubscription", n->oversubscription);
    if (n->rail_burst_bytes > 0)
        add_num(d, o, "rail_burst_bytes", n->rail_burst_bytes);
}

char *weft__topo_dump_string(const weft_system_t *sys)
{
    dump_t d = {0};
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return NULL;
    /* With NVSwitches, the common count is the base every GPU's map
     * departs from (1 when no pair has links: the flag must survive). */
    int sw_links = 0;
    if (sys->node.nvswitch) {
        sw_links = common_links(&sys->node);
        sw_links = sw_links > 0 ? sw_links : 1;
    }
    dump_header(&d, root, &sys->node, sw_links);
    dump_devices(&d, root, &sys->node, sw_links);
    dump_paths(&d, root, &sys->node);
    dump_network(&d, root, &sys->network);
    char *text = d.failed ? NULL : weft__json_pretty(root);
    cJSON_Delete(root);
    return text;
}

weft_status_t weft__topo_dump(const weft_system_t *sys, const char *path)
{
    if (sys == NULL || path == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "topology dump: no system or no path");
    char *text = weft__topo_dump_string(sys);
    if (text == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: out of memory writing the topology", path);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        int err = errno;
        free(text);
        return weft__error(WEFT_ERR_SYSTEM, "%s: cannot write the topology: %s", path,
                           strerror(err));
    }
    size_t len = strlen(text);
    int bad = fwrite(text, 1, len, f) != len;
    bad |= fclose(f) != 0;
    free(text);
    if (bad)
        return weft__error(WEFT_ERR_SYSTEM, "%s: writing the topology failed", path);
    return WEFT_OK;
}
