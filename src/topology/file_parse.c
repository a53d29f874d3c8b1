/*
 * file_parse.c - loading a topology file: the JSON document, its version,
 * the CPU and link sections and the network of a cluster file; the devices
 * are read by file_devices.c and the explicit paths by file_paths.c.
 *
 * Nothing of a bad file reaches the caller: the system is built in a
 * scratch copy and handed over only when every check passed.  Every error
 * is WEFT_ERR_INVALID_ARGUMENT with "<file>:<line>: <field>: <what>".
 */
#include "topology/detect.h"
#include "topology/file.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cJSON records every parse's error position in a global: ranks running
 * as threads may load their topology at once, so parses take turns. */
static pthread_mutex_t cjson_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const top_keys[] = {"weft_topology", "name", "host",   "sources", "notes",
                                       "cpu",           "pcie", "nvlink", "links",   "host_shm",
                                       "gpus",          "nics", "paths",  "network", NULL};

/* An optional member that must be an object; *obj_p NULL when absent. */
static weft_status_t section(const weft__json_doc_t *doc, const cJSON *root, const char *key,
                             const char *const *keys, const cJSON **obj_p)
{
    *obj_p = cJSON_GetObjectItemCaseSensitive(root, key);
    if (*obj_p == NULL)
        return WEFT_OK;
    weft_status_t st = weft__json_is_object(doc, *obj_p);
    return st != WEFT_OK ? st : weft__json_keys(doc, *obj_p, keys);
}

static weft_status_t read_link(const weft__json_doc_t *doc, const cJSON *obj, weft_link_t *link)
{
    static const char *const keys[] = {"bw_gbps", "lat_us", NULL};
    weft_status_t st = weft__json_is_object(doc, obj);
    if (st == WEFT_OK)
        st = weft__json_keys(doc, obj, keys);
    if (st == WEFT_OK)
        st = weft__json_num(doc, obj, "bw_gbps", 0.0, 1, &link->bw_gbps);
    if (st == WEFT_OK)
        st = weft__json_num(doc, obj, "lat_us", 0.0, 0, &link->lat_us);
    return st;
}

static weft_status_t read_cpu(const weft__json_doc_t *doc, const cJSON *root, weft_topo_t *t)
{
    static const char *const keys[] = {"sockets", "numa_nodes", "cores", NULL};
    const cJSON *cpu;
    weft_status_t st = section(doc, root, "cpu", keys, &cpu);
    if (st != WEFT_OK || cpu == NULL)
        return st;
    st = weft__json_int(doc, cpu, "sockets", 1, 4096, &t->nsockets);
    if (st == WEFT_OK)
        st = weft__json_int(doc, cpu, "numa_nodes", 1, 4096, &t->nnuma);
    if (st == WEFT_OK)
        st = weft__json_int(doc, cpu, "cores", 1, 1 << 22, &t->ncores);
    return st;
}

/* "pcie", "nvlink", then "links" and "host_shm" over the defaults. */
static weft_status_t read_links(const weft__json_doc_t *doc, const cJSON *root, weft_topo_t *t,
                                int *nvswitch_links_p)
{
    static const char *const pcie_keys[] = {"gen", NULL};
    static const char *const nv_keys[] = {"gen", "nvswitch", "links", NULL};
    static const char *const class_keys[] = {"NV", "PIX", "PHB", "SYS", NULL};
    const cJSON *pcie = NULL, *nv = NULL, *links = NULL;
    weft_status_t st = section(doc, root, "pcie", pcie_keys, &pcie);
    if (st == WEFT_OK && pcie != NULL)
        st = weft__json_int(doc, pcie, "gen", 1, 6, &t->pcie_gen);
    if (st == WEFT_OK)
        st = section(doc, root, "nvlink", nv_keys, &nv);
    if (st == WEFT_OK && nv != NULL) {
        st = weft__json_int(doc, nv, "gen", 0, 5, &t->nvlink_gen);
        if (st == WEFT_OK)
            st = weft__json_bool(doc, nv, "nvswitch", &t->nvswitch);
        if (st == WEFT_OK && t->nvswitch)
            st = weft__json_need(doc, nv, "links");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(nv, "links");
        if (st == WEFT_OK && n != NULL && !t->nvswitch)
            st = weft__json_error(doc, n,
                                  "links per GPU through NVSwitches need \"nvswitch\": "
                                  "true (or give each GPU's \"nvlinks\")");
        if (st == WEFT_OK)
            st = weft__json_int(doc, nv, "links", 1, WEFT_TOPO_MAX_NVLINKS, nvswitch_links_p);
    }
    weft__topo_default_links(t);
    if (st == WEFT_OK)
        st = section(doc, root, "links", class_keys, &links);
    for (const cJSON *c = links != NULL ? links->child : NULL; st == WEFT_OK && c; c = c->next)
        st = read_link(doc, c, &t->class_link[weft__path_class_parse(c->string)]);
    const cJSON *shm = cJSON_GetObjectItemCaseSensitive(root, "host_shm");
    if (st == WEFT_OK && shm != NULL)
        st = read_link(doc, shm, &t->host_shm);
    return st;
}

static weft_status_t read_network(const weft__json_doc_t *doc, const cJSON *root,
                                  weft_system_t *sys)
{
    static const char *const keys[] = {
        "nodes", "rails", "rail_gbps", "rail_lat_us", "oversubscription", "rail_burst_bytes",
        NULL};
    static const char *const need[] = {"nodes", "rails", "rail_gbps", "rail_lat_us", NULL};
    const cJSON *net;
    weft_network_t *n = &sys->network;
    weft_status_t st = section(doc, root, "network", keys, &net);
    for (int i = 0; st == WEFT_OK && net != NULL && need[i] != NULL; i++)
        st = weft__json_need(doc, net, need[i]);
    if (st != WEFT_OK || net == NULL)
        return st;
    st = weft__json_int(doc, net, "nodes", 1, 1000000, &n->nnodes);
    if (st == WEFT_OK)
        st = weft__json_int(doc, net, "rails", 1, WEFT_TOPO_MAX_NICS, &n->rails);
    if (st == WEFT_OK)
        st = weft__json_num(doc, net, "rail_gbps", 0.0, 1, &n->rail_gbps);
    if (st == WEFT_OK)
        st = weft__json_num(doc, net, "rail_lat_us", 0.0, 0, &n->rail_lat_us);
    if (st == WEFT_OK)
        st = weft__json_num(doc, net, "oversubscription", 1.0, 0, &n->oversubscription);
    if (st == WEFT_OK)
        st = weft__json_num(doc, net, "rail_burst_bytes", 0.0, 0, &n->rail_burst_bytes);
    if (st == WEFT_OK && n->rails > sys->node.nnics)
        st = weft__json_error(doc, cJSON_GetObjectItemCaseSensitive(net, "rails"),
                              "%d rails need %d NICs per node, the node has %d", n->rails, n->rails,
                              sys->node.nnics);
    return st;
}

static weft_status_t read_version(const weft__json_doc_t *doc, const cJSON *root)
{
    int version = 0;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "weft_topology");
    if (v == NULL)
        return weft__json_error(doc, root,
                                "missing \"weft_topology\": %d (the format version; "
                                "docs/TOPOLOGY.md)",
                                WEFT_TOPO_FILE_VERSION);
    weft_status_t st = weft__json_int(doc, root, "weft_topology", 1, 1000000, &version);
    if (st == WEFT_OK && version > WEFT_TOPO_FILE_VERSION)
        st = weft__json_error(doc, v, "format version %d is newer than this weft reads (%d)",
                              version, WEFT_TOPO_FILE_VERSION);
    return st;
}

static weft_status_t read_system(const weft__json_doc_t *doc, const cJSON *root, weft_system_t *sys)
{
    weft_topo_t *t = &sys->node;
    int nvswitch_links = 0;
    weft_status_t st = weft__json_is_object(doc, root);
    if (st == WEFT_OK)
        st = read_version(doc, root);
    if (st == WEFT_OK)
        st = weft__json_keys(doc, root, top_keys);
    if (st == WEFT_OK)
        st = weft__json_str(doc, root, "name", t->model, sizeof(t->model));
    if (st == WEFT_OK)
        st = weft__json_str(doc, root, "host", t->host, sizeof(t->host));
    if (st == WEFT_OK)
        st = weft__json_text(doc, root, "sources");
    if (st == WEFT_OK)
        st = weft__json_text(doc, root, "notes");
    if (st == WEFT_OK)
        st = read_cpu(doc, root, t);
    if (st == WEFT_OK)
        st = read_links(doc, root, t, &nvswitch_links);
    if (st == WEFT_OK)
        st = weft__file_gpus(doc, root, t, t->nvswitch ? nvswitch_links : 0);
    if (st == WEFT_OK)
        st = weft__file_nics(doc, root, t);
    if (st == WEFT_OK) {
        weft__topo_derive_paths(t);
        st = weft__file_paths(doc, root, t);
    }
    if (st == WEFT_OK)
        st = read_network(doc, root, sys);
    return st;
}

/* The syntax error cJSON stopped at, with its line. */
static weft_status_t syntax_error(const char *name, const char *text, size_t len, size_t at)
{
    weft__json_doc_t doc = {.name = name, .text = text, .len = len};
    size_t rest = at;
    while (rest < len && (unsigned char)text[rest] <= ' ')
        rest++;
    int line = weft__json_line_at(&doc, at);
    if (rest >= len)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "%s:%d: (document): truncated JSON: the text ends inside a value", name,
                           line);
    char near[24];
    size_t n = 0;
    for (size_t i = at; i < len && n < sizeof(near) - 1 && text[i] != '\n'; i++)
        near[n++] = (unsigned char)text[i] < ' ' ? '?' : text[i];
    near[n] = '\0';
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s:%d: (document): not valid JSON near \"%s\"",
                       name, line, near);
}

weft_status_t weft__topo_parse(const char *text, size_t len, const char *name, weft_system_t *sys_p)
{
    if (name == NULL)
        name = "(topology text)";
    if (text == NULL || sys_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: no text or no output", name);
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        weft__json_doc_t d = {.name = name, .text = text, .len = len};
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "%s:%d: (document): not a JSON text (a NUL "
                           "byte)",
                           name, weft__json_line_at(&d, (size_t)(nul - text)));
    }
    char *buf = malloc(len + 1);
    weft_system_t *sys = malloc(sizeof(*sys));
    if (buf == NULL || sys == NULL) {
        free(buf);
        free(sys);
        return weft__error(WEFT_ERR_NO_MEMORY, "%s: out of memory reading the topology", name);
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    const char *end = NULL;
    pthread_mutex_lock(&cjson_lock);
    cJSON *root = cJSON_ParseWithOpts(buf, &end, 1);
    pthread_mutex_unlock(&cjson_lock);
    weft_status_t st;
    if (root == NULL) {
        st = syntax_error(name, buf, len, end != NULL && end >= buf ? (size_t)(end - buf) : 0);
    } else {
        weft__json_doc_t doc = {.name = name, .text = buf, .len = len};
        weft__json_positions(&doc, root);
        weft__system_init(sys);
        st = read_system(&doc, root, sys);
        weft__json_free(&doc);
        cJSON_Delete(root);
    }
    if (st == WEFT_OK) {
        snprintf(sys->node.source, sizeof(sys->node.source), "%s", name);
        memcpy(sys_p, sys, sizeof(*sys));
    }
    free(sys);
    free(buf);
    return st;
}

weft_status_t weft__topo_load(const char *path, weft_system_t *sys_p)
{
    if (path == NULL || sys_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "topology file: no path or no output");
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: cannot open the topology file: %s", path,
                           strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    while (text != NULL) {
        len += fread(text + len, 1, cap - len, f);
        if (len < cap || cap >= (64u << 20))
            break;
        char *bigger = realloc(text, cap * 2);
        if (bigger == NULL)
            free(text);
        text = bigger;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    weft_status_t st;
    if (text == NULL)
        st = weft__error(WEFT_ERR_NO_MEMORY, "%s: out of memory reading the topology file", path);
    else if (err)
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: cannot read the topology file", path);
    else if (len == cap)
        st = weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: larger than %zu MiB: not a topology file",
                         path, cap >> 20);
    else
        st = weft__topo_parse(text, len, path, sys_p);
    free(text);
    return st;
}
