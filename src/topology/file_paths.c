/*
 * file_paths.c - the "paths" array of a topology file: explicit classes
 * and links for GPU-GPU and GPU-NIC pairs, over what the placement rules
 * derived.  This is how a file states what the rules cannot see (a slow
 * PCIe switch uplink, P2P disabled by the platform), and how a dump keeps
 * what detection measured differently from the rules.
 *
 *   {"between": ["gpu0", "nic3"], "class": "PIX", "bw_gbps": 20, "lat_us": 1.2}
 *   {"between": ["gpu2", "gpu5"], "p2p": false}
 *
 * A pair may be given once; GPU-GPU entries apply both ways.  A class
 * without bw_gbps/lat_us takes that class's link (NV: times the pair's
 * NVLinks, at least one).
 */
#include "topology/file.h"
#include "util/compiler.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int nic; /* 0: a GPU, 1: a NIC */
    int index;
} dev_ref_t;

static weft_status_t read_device(const weft__json_doc_t *doc, const cJSON *item,
                                 const weft_topo_t *t, dev_ref_t *ref)
{
    const char *s = cJSON_IsString(item) ? item->valuestring : NULL;
    char *end = NULL;
    long idx = -1;
    if (s != NULL && (strncmp(s, "gpu", 3) == 0 || strncmp(s, "nic", 3) == 0) && s[3] >= '0' &&
        s[3] <= '9' && strlen(s) <= 8)
        idx = strtol(s + 3, &end, 10);
    if (idx < 0 || end == NULL || *end != '\0')
        return weft__json_error(doc, item, "expected a device \"gpu<N>\" or \"nic<N>\"");
    ref->nic = s[0] == 'n';
    ref->index = (int)idx;
    int count = ref->nic ? t->nnics : t->ngpus;
    if (idx >= count)
        return weft__json_error(doc, item, "%s does not exist (%d %s)", s, count,
                                ref->nic ? "NICs" : "GPUs");
    return WEFT_OK;
}

/* The two ends of an entry, as (gpu, other); *gg_p 1 when both are GPUs. */
static weft_status_t read_between(const weft__json_doc_t *doc, const cJSON *entry,
                                  const weft_topo_t *t, int *gpu_p, int *other_p, int *gg_p)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(entry, "between");
    dev_ref_t r[2];
    if (!cJSON_IsArray(b) || cJSON_GetArraySize(b) != 2)
        return weft__json_error(doc, b, "expected two devices, [\"gpu0\", \"nic1\"]");
    weft_status_t st = read_device(doc, b->child, t, &r[0]);
    if (st == WEFT_OK)
        st = read_device(doc, b->child->next, t, &r[1]);
    if (st != WEFT_OK)
        return st;
    if (r[0].nic && r[1].nic)
        return weft__json_error(doc, b, "paths are between a GPU and a GPU or a NIC");
    if (!r[0].nic && !r[1].nic && r[0].index == r[1].index)
        return weft__json_error(doc, b, "a path from a GPU to itself");
    int first_gpu = r[0].nic ? 1 : 0;
    *gpu_p = r[first_gpu].index;
    *other_p = r[1 - first_gpu].index;
    *gg_p = !r[0].nic && !r[1].nic;
    return WEFT_OK;
}

static weft_status_t read_class(const weft__json_doc_t *doc, const cJSON *entry, int gg,
                                int *class_p)
{
    char name[8] = "";
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(entry, "class");
    if (item == NULL)
        return WEFT_OK;
    weft_status_t st = weft__json_str(doc, entry, "class", name, sizeof(name));
    int c = st == WEFT_OK ? weft__path_class_parse(name) : -1;
    if (st == WEFT_OK &&
        (c < WEFT_PATH_NVLINK || c > WEFT_PATH_SYS || (!gg && c == WEFT_PATH_NVLINK)))
        st = weft__json_error(doc, item, "class must be %s",
                              gg ? "NV, PIX, PHB or SYS" : "PIX, PHB or SYS");
    else if (st != WEFT_OK)
        st = weft__json_error(doc, item, "class must be a string: NV, PIX, PHB or SYS");
    if (st == WEFT_OK)
        *class_p = c;
    return st;
}

static weft_status_t read_path(const weft__json_doc_t *doc, const cJSON *entry, weft_topo_t *t,
                               uint8_t *seen)
{
    static const char *const keys[] = {"between", "class", "bw_gbps", "lat_us", "p2p", NULL};
    int g = 0, o = 0, gg = 0, c = -1;
    weft_status_t st = weft__json_is_object(doc, entry);
    if (st == WEFT_OK)
        st = weft__json_keys(doc, entry, keys);
    if (st == WEFT_OK)
        st = weft__json_need(doc, entry, "between");
    if (st == WEFT_OK)
        st = read_between(doc, entry, t, &g, &o, &gg);
    if (st == WEFT_OK)
        st = read_class(doc, entry, gg, &c);
    if (st != WEFT_OK)
        return st;
    int a = gg ? WEFT_MIN(g, o) : g, b = gg ? WEFT_MAX(g, o) : o;
    size_t key = (size_t)a * (WEFT_TOPO_MAX_GPUS + WEFT_TOPO_MAX_NICS) +
                 (gg ? 0 : WEFT_TOPO_MAX_GPUS) + (size_t)b;
    if (seen[key]++)
        return weft__json_error(doc, entry, "this pair is given twice");
    const cJSON *p2p_item = cJSON_GetObjectItemCaseSensitive(entry, "p2p");
    if (p2p_item != NULL && !gg)
        return weft__json_error(doc, p2p_item, "p2p is for GPU pairs");
    weft_link_t link = gg ? t->gpu_gpu_link[g][o] : t->gpu_nic_link[g][o];
    int cls = gg ? t->gpu_gpu[g][o] : t->gpu_nic[g][o];
    int p2p = gg ? t->gpu_p2p[g][o] : 0;
    if (c >= 0) {
        cls = c;
        link = t->class_link[c];
        if (c == WEFT_PATH_NVLINK)
            link.bw_gbps *= WEFT_MAX(1, t->gpu[g].nvlinks[o]);
        p2p = c <= WEFT_PATH_PHB;
    }
    st = weft__json_num(doc, entry, "bw_gbps", 0.0, 1, &link.bw_gbps);
    if (st == WEFT_OK)
        st = weft__json_num(doc, entry, "lat_us", 0.0, 0, &link.lat_us);
    if (st == WEFT_OK)
        st = weft__json_bool(doc, entry, "p2p", &p2p);
    if (st != WEFT_OK)
        return st;
    if (gg) {
        t->gpu_gpu[g][o] = t->gpu_gpu[o][g] = (uint8_t)cls;
        t->gpu_gpu_link[g][o] = t->gpu_gpu_link[o][g] = link;
        t->gpu_p2p[g][o] = t->gpu_p2p[o][g] = (uint8_t)p2p;
    } else {
        t->gpu_nic[g][o] = (uint8_t)cls;
        t->gpu_nic_link[g][o] = link;
    }
    return WEFT_OK;
}

weft_status_t weft__file_paths(const weft__json_doc_t *doc, const cJSON *root, weft_topo_t *t)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "paths"), *entry;
    if (arr == NULL)
        return WEFT_OK;
    if (!cJSON_IsArray(arr))
        return weft__json_error(doc, arr, "expected an array of paths");
    size_t span = WEFT_TOPO_MAX_GPUS + WEFT_TOPO_MAX_NICS;
    uint8_t *seen = calloc(WEFT_TOPO_MAX_GPUS * span, 1);
    if (seen == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: out of memory", doc->name);
    weft_status_t st = WEFT_OK;
    cJSON_ArrayForEach(entry, arr)
    {
        st = read_path(doc, entry, t, seen);
        if (st != WEFT_OK)
            break;
    }
    free(seen);
    return st;
}
