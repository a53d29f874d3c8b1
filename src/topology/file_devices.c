/*
 * file_devices.c - the "gpus" and "nics" arrays of a topology file.
 *
 * Devices are listed in index order ("index", when given, must match the
 * position: it is there for the reader).  A device's placement is its
 * "numa" node and "pcie_switch" id; a "pcie_switch" needs a "pci" address,
 * since a device on no PCI path cannot sit behind a switch, and so does an
 * RDMA NIC (GPUDirect RDMA is a PCI peer-to-peer transfer).  NVLinks are
 * counted per pair, from "nvlink": {"nvswitch": true, "links": n} for all
 * pairs and from each GPU's "nvlinks" map {"<peer index>": count}; a pair
 * given by both of its GPUs must agree, one given by one is mirrored.
 */
#include "topology/detect.h"
#include "topology/file.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

weft_status_t weft__file_pci(const weft__json_doc_t *doc, const cJSON *obj, char pci[16])
{
    char raw[64] = "";
    weft_status_t st = weft__json_str(doc, obj, "pci", raw, sizeof(raw));
    pci[0] = '\0';
    if (st != WEFT_OK || raw[0] == '\0')
        return st;
    if (weft__pci_normalize(raw, pci) != 0)
        return weft__json_error(doc, cJSON_GetObjectItemCaseSensitive(obj, "pci"),
                                "\"%s\" is not a PCI address (domain:bus:device.function, "
                                "e.g. 0000:18:00.0)",
                                raw);
    return WEFT_OK;
}

/* The members every device has: index, pci, numa, pcie_switch. */
static weft_status_t read_place(const weft__json_doc_t *doc, const cJSON *item, int pos,
                                const weft_topo_t *t, char pci[16], int *numa_p, int *switch_p)
{
    int index = pos;
    weft_status_t st = weft__json_int(doc, item, "index", 0, 1 << 20, &index);
    if (st == WEFT_OK && index != pos)
        st = weft__json_error(doc, cJSON_GetObjectItemCaseSensitive(item, "index"),
                              "index %d at position %d: devices are listed in index order", index,
                              pos);
    if (st == WEFT_OK)
        st = weft__file_pci(doc, item, pci);
    if (st == WEFT_OK)
        st = weft__json_int(doc, item, "numa", -1, t->nnuma - 1, numa_p);
    if (st == WEFT_OK)
        st = weft__json_int(doc, item, "pcie_switch", 0, WEFT_TOPO_MAX_SWITCH, switch_p);
    if (st == WEFT_OK && *switch_p >= 0 && pci[0] == '\0')
        st = weft__json_error(doc, cJSON_GetObjectItemCaseSensitive(item, "pcie_switch"),
                              "a device on no PCI path (no \"pci\") cannot be behind a PCIe "
                              "switch");
    return st;
}

/* "nvlinks": {"1": 4, "3": 2} of GPU g; given[i][j] marks pairs stated. */
static weft_status_t read_nvlinks(const weft__json_doc_t *doc, const cJSON *map, int g,
                                  weft_topo_t *t, uint8_t (*given)[WEFT_TOPO_MAX_GPUS])
{
    weft_status_t st = weft__json_is_object(doc, map);
    for (const cJSON *c = map->child; st == WEFT_OK && c != NULL; c = c->next) {
        const char *key = c->string != NULL ? c->string : "";
        char *end;
        long peer = strtol(key, &end, 10);
        int links = 0;
        if (key[0] < '0' || key[0] > '9' || *end != '\0' || end - key > 4)
            return weft__json_error(doc, c, "\"%.20s\" is not a GPU index", key);
        if (peer >= t->ngpus)
            return weft__json_error(doc, c, "a link to GPU %ld, which does not exist (%d GPUs)",
                                    peer, t->ngpus);
        if (peer == g)
            return weft__json_error(doc, c, "a GPU has no NVLinks to itself");
        if (given[g][peer])
            return weft__json_error(doc, c, "GPU %ld given twice", peer);
        st = weft__json_int_item(doc, c, 0, WEFT_TOPO_MAX_NVLINKS, &links);
        if (st == WEFT_OK && given[peer][g] && t->gpu[peer].nvlinks[g] != links)
            st = weft__json_error(doc, c, "%d links to GPU %ld, but GPU %ld says %d", links, peer,
                                  peer, t->gpu[peer].nvlinks[g]);
        if (st != WEFT_OK)
            return st;
        given[g][peer] = 1;
        t->gpu[g].nvlinks[peer] = links;
        if (!given[peer][g])
            t->gpu[peer].nvlinks[g] = links;
    }
    return st;
}

static weft_status_t read_gpu(const weft__json_doc_t *doc, const cJSON *item, int g, weft_topo_t *t)
{
    static const char *const keys[] = {"index",       "name",    "pci", "numa",
                                       "pcie_switch", "nvlinks", NULL};
    weft_topo_gpu_t *gpu = &t->gpu[g];
    weft_status_t st = weft__json_is_object(doc, item);
    if (st == WEFT_OK)
        st = weft__json_keys(doc, item, keys);
    if (st == WEFT_OK)
        st = weft__json_str(doc, item, "name", gpu->name, sizeof(gpu->name));
    if (st == WEFT_OK)
        st = read_place(doc, item, g, t, gpu->pci, &gpu->numa, &gpu->pcie_switch);
    for (int h = 0; st == WEFT_OK && gpu->pci[0] != '\0' && h < g; h++) {
        if (strcmp(t->gpu[h].pci, gpu->pci) == 0)
            st = weft__json_error(doc, cJSON_GetObjectItemCaseSensitive(item, "pci"),
                                  "GPU %d is at the same PCI address", h);
    }
    return st;
}

static weft_status_t device_array(const weft__json_doc_t *doc, const cJSON *root, const char *key,
                                  int max, const cJSON **arr_p, int *n_p)
{
    *arr_p = cJSON_GetObjectItemCaseSensitive(root, key);
    *n_p = 0;
    if (*arr_p == NULL)
        return WEFT_OK;
    if (!cJSON_IsArray(*arr_p))
        return weft__json_error(doc, *arr_p, "expected an array");
    int n = cJSON_GetArraySize(*arr_p);
    if (n > max)
        return weft__json_error(doc, *arr_p, "%d entries, at most %d", n, max);
    *n_p = n;
    return WEFT_OK;
}

weft_status_t weft__file_gpus(const weft__json_doc_t *doc, const cJSON *root, weft_topo_t *t,
                              int nvswitch_links)
{
    const cJSON *arr, *item;
    weft_status_t st = device_array(doc, root, "gpus", WEFT_TOPO_MAX_GPUS, &arr, &t->ngpus);
    if (st != WEFT_OK || arr == NULL)
        return st;
    int g = 0;
    cJSON_ArrayForEach(item, arr)
    {
        memset(&t->gpu[g], 0, sizeof(t->gpu[g]));
        t->gpu[g].numa = t->gpu[g].pcie_switch = -1;
        snprintf(t->gpu[g].name, sizeof(t->gpu[g].name), "GPU %d", g);
        st = read_gpu(doc, item, g++, t);
        if (st != WEFT_OK)
            return st;
    }
    for (int i = 0; i < t->ngpus; i++) {
        for (int j = 0; j < t->ngpus; j++)
            t->gpu[i].nvlinks[j] = i != j ? nvswitch_links : 0;
    }
    uint8_t(*given)[WEFT_TOPO_MAX_GPUS] = calloc(WEFT_TOPO_MAX_GPUS, sizeof(*given));
    if (given == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: out of memory", doc->name);
    g = 0;
    cJSON_ArrayForEach(item, arr)
    {
        const cJSON *map = cJSON_GetObjectItemCaseSensitive(item, "nvlinks");
        if (map != NULL && st == WEFT_OK)
            st = read_nvlinks(doc, map, g, t, given);
        g++;
    }
    free(given);
    return st;
}

static weft_status_t read_nic(const weft__json_doc_t *doc, const cJSON *item, int n, weft_topo_t *t)
{
    static const char *const keys[] = {"index",       "name",       "netdev", "pci", "numa",
                                       "pcie_switch", "speed_gbps", "rdma",   NULL};
    weft_topo_nic_t *nic = &t->nic[n];
    weft_status_t st = weft__json_is_object(doc, item);
    if (st == WEFT_OK)
        st = weft__json_keys(doc, item, keys);
    if (st == WEFT_OK)
        st = weft__json_need(doc, item, "speed_gbps");
    if (st == WEFT_OK)
        st = weft__json_str(doc, item, "name", nic->name, sizeof(nic->name));
    if (st == WEFT_OK)
        st = weft__json_str(doc, item, "netdev", nic->netdev, sizeof(nic->netdev));
    if (st == WEFT_OK)
        st = read_place(doc, item, n, t, nic->pci, &nic->numa, &nic->pcie_switch);
    if (st == WEFT_OK)
        st = weft__json_num(doc, item, "speed_gbps", 0.0, 1, &nic->speed_gbps);
    if (st == WEFT_OK)
        st = weft__json_bool(doc, item, "rdma", &nic->rdma);
    /* A plain NIC's name is its interface; an RDMA device may have none. */
    if (st == WEFT_OK && cJSON_GetObjectItemCaseSensitive(item, "netdev") == NULL)
        snprintf(nic->netdev, sizeof(nic->netdev), "%s", nic->rdma ? "" : nic->name);
    if (st == WEFT_OK && nic->rdma && nic->pci[0] == '\0')
        st = weft__json_error(doc, cJSON_GetObjectItemCaseSensitive(item, "rdma"),
                              "an RDMA NIC must be on a PCI path: give its \"pci\" address");
    return st;
}

weft_status_t weft__file_nics(const weft__json_doc_t *doc, const cJSON *root, weft_topo_t *t)
{
    const cJSON *arr, *item;
    weft_status_t st = device_array(doc, root, "nics", WEFT_TOPO_MAX_NICS, &arr, &t->nnics);
    int n = 0;
    cJSON_ArrayForEach(item, arr)
    {
        if (st != WEFT_OK)
            break;
        memset(&t->nic[n], 0, sizeof(t->nic[n]));
        t->nic[n].numa = t->nic[n].pcie_switch = -1;
        snprintf(t->nic[n].name, sizeof(t->nic[n].name), "nic%d", n);
        st = read_nic(doc, item, n++, t);
    }
    return st;
}
