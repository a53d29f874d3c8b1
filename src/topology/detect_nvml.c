/*
 * detect_nvml.c - GPUs and NVLinks through NVML, loaded with dlopen at run
 * time: weft has no build dependency on the driver, and a machine without
 * libnvidia-ml.so.1 or without a GPU simply has no GPUs (said at INFO).
 *
 * Per GPU: its name, PCI bus id, compute capability (which gives the
 * NVLink generation: 6.x NVLink 1, 7.x 2, 8.x 3, 9.x 4, 10.x 5), and each
 * active NVLink's far end.  A link whose far end is another GPU counts for
 * that pair; a link to anything else (an NVSwitch) counts for the GPU, and
 * two GPUs that both reach NVSwitches get the smaller of their switch link
 * counts (all eight H100s of an HGX board: 18 each, "NV18").  P2P read
 * capability is asked for every pair.  The few prototypes used are
 * declared in detect.h, with the layouts of nvml.h (CUDA 11 and later);
 * weft__nvml_read works on a table of them, so that test_topo_nvml can
 * run it on a fake NVML (there is no GPU in CI).
 */
#include "topology/detect.h"
#include "util/compiler.h"
#include "util/log.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVML_SUCCESS 0
#define NVML_MAX_LINKS 18 /* NVML_NVLINK_MAX_LINKS */
#define NVML_REMOTE_GPU 0 /* NVML_NVLINK_DEVICE_TYPE_GPU */
#define NVML_P2P_CAPS_INDEX_READ 0
#define NVML_P2P_STATUS_OK 0

typedef weft__nvml_ret_t nvml_ret_t;
typedef weft__nvml_dev_t nvml_dev_t;
typedef weft__nvml_pci_t nvml_pci_t;

typedef struct {
    void *lib;
    weft__nvml_api_t api;
} nvml_t;

static void *sym(const nvml_t *n, const char *name, const char *fallback)
{
    void *f = dlsym(n->lib, name);
    return f != NULL || fallback == NULL ? f : dlsym(n->lib, fallback);
}

static int nvml_open(nvml_t *n)
{
    memset(n, 0, sizeof(*n));
    n->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (n->lib == NULL) {
        WEFT_INFO("topology: NVML not loadable (%s): no GPUs", dlerror());
        return -1;
    }
    n->api.init = (nvml_ret_t(*)(void))sym(n, "nvmlInit_v2", "nvmlInit");
    n->api.shutdown = (nvml_ret_t(*)(void))sym(n, "nvmlShutdown", NULL);
    n->api.error_string = (const char *(*)(nvml_ret_t))sym(n, "nvmlErrorString", NULL);
    n->api.count = (nvml_ret_t(*)(unsigned *))sym(n, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
    n->api.handle = (nvml_ret_t(*)(unsigned, nvml_dev_t *))sym(n, "nvmlDeviceGetHandleByIndex_v2",
                                                               "nvmlDeviceGetHandleByIndex");
    n->api.name = (nvml_ret_t(*)(nvml_dev_t, char *, unsigned))sym(n, "nvmlDeviceGetName", NULL);
    n->api.pci = (nvml_ret_t(*)(nvml_dev_t, nvml_pci_t *))sym(n, "nvmlDeviceGetPciInfo_v3",
                                                              "nvmlDeviceGetPciInfo_v2");
    n->api.cc =
        (nvml_ret_t(*)(nvml_dev_t, int *, int *))sym(n, "nvmlDeviceGetCudaComputeCapability", NULL);
    n->api.link_state =
        (nvml_ret_t(*)(nvml_dev_t, unsigned, int *))sym(n, "nvmlDeviceGetNvLinkState", NULL);
    n->api.link_pci = (nvml_ret_t(*)(nvml_dev_t, unsigned, nvml_pci_t *))sym(
        n, "nvmlDeviceGetNvLinkRemotePciInfo_v2", NULL);
    n->api.link_type = (nvml_ret_t(*)(nvml_dev_t, unsigned, int *))sym(
        n, "nvmlDeviceGetNvLinkRemoteDeviceType", NULL);
    n->api.p2p =
        (nvml_ret_t(*)(nvml_dev_t, nvml_dev_t, int, int *))sym(n, "nvmlDeviceGetP2PStatus", NULL);
    if (n->api.init == NULL || n->api.shutdown == NULL || n->api.count == NULL ||
        n->api.handle == NULL || n->api.name == NULL || n->api.pci == NULL) {
        WEFT_INFO("topology: NVML lacks the functions weft needs: no GPUs");
        dlclose(n->lib);
        return -1;
    }
    nvml_ret_t r = n->api.init();
    if (r != NVML_SUCCESS) {
        WEFT_INFO("topology: nvmlInit failed (%s): no GPUs",
                  n->api.error_string != NULL ? n->api.error_string(r) : "?");
        dlclose(n->lib);
        return -1;
    }
    return 0;
}

static void pci_string(const nvml_pci_t *p, char out[WEFT_PCI_ADDR_BYTES])
{
    if (weft__pci_normalize(p->bus_id, out) != 0)
        snprintf(out, WEFT_PCI_ADDR_BYTES, "%04x:%02x:%02x.0", p->domain & 0xffff, p->bus & 0xff,
                 p->device & 0x1f);
}

static int gpu_by_pci(const weft_topo_t *t, const char *pci)
{
    for (int g = 0; g < t->ngpus; g++) {
        if (strcmp(t->gpu[g].pci, pci) == 0)
            return g;
    }
    return -1;
}

/* Counts GPU i's active links to each GPU and to switches. */
static int count_links(const weft__nvml_api_t *n, weft_topo_t *t, nvml_dev_t dev, int i)
{
    int to_switch = 0;
    for (unsigned l = 0; n->link_state != NULL && n->link_pci != NULL && l < NVML_MAX_LINKS; l++) {
        int active = 0, type = -1;
        nvml_pci_t remote;
        char pci[WEFT_PCI_ADDR_BYTES];
        if (n->link_state(dev, l, &active) != NVML_SUCCESS || !active ||
            n->link_pci(dev, l, &remote) != NVML_SUCCESS)
            continue;
        pci_string(&remote, pci);
        int j = gpu_by_pci(t, pci);
        if (j >= 0 && j != i)
            t->gpu[i].nvlinks[j]++;
        else if (j < 0 && (n->link_type == NULL || n->link_type(dev, l, &type) != NVML_SUCCESS ||
                           type != NVML_REMOTE_GPU))
            to_switch++; /* a GPU we cannot see is not a switch */
    }
    return to_switch;
}

static void read_gpu(const weft__nvml_api_t *n, weft_topo_t *t, nvml_dev_t dev, int g)
{
    weft_topo_gpu_t *gpu = &t->gpu[g];
    nvml_pci_t pci;
    int major = 0, minor = 0;
    memset(gpu, 0, sizeof(*gpu));
    gpu->numa = gpu->pcie_switch = -1;
    if (n->name(dev, gpu->name, sizeof(gpu->name)) != NVML_SUCCESS)
        snprintf(gpu->name, sizeof(gpu->name), "GPU %d", g);
    gpu->name[sizeof(gpu->name) - 1] = '\0';
    memset(&pci, 0, sizeof(pci));
    if (n->pci(dev, &pci) == NVML_SUCCESS)
        pci_string(&pci, gpu->pci);
    if (n->cc != NULL && n->cc(dev, &major, &minor) == NVML_SUCCESS && major >= 6 &&
        major - 5 > t->nvlink_gen)
        t->nvlink_gen = major - 5 <= 5 ? major - 5 : 5;
}

int weft__nvml_read(const weft__nvml_api_t *api, weft_topo_t *t,
                    uint8_t (*p2p_p)[WEFT_TOPO_MAX_GPUS])
{
    const weft__nvml_api_t n = *api;
    nvml_dev_t dev[WEFT_TOPO_MAX_GPUS];
    unsigned count = 0;
    int sw[WEFT_TOPO_MAX_GPUS] = {0};
    t->ngpus = 0;
    if (n.count(&count) != NVML_SUCCESS || count == 0)
        WEFT_INFO("topology: NVML sees no GPU");
    if (count > WEFT_TOPO_MAX_GPUS) {
        WEFT_INFO("topology: %u GPUs, keeping the first %d", count, WEFT_TOPO_MAX_GPUS);
        count = WEFT_TOPO_MAX_GPUS;
    }
    for (unsigned i = 0; i < count; i++) {
        if (n.handle(i, &dev[t->ngpus]) != NVML_SUCCESS)
            continue;
        read_gpu(&n, t, dev[t->ngpus], t->ngpus);
        t->ngpus++;
    }
    for (int i = 0; i < t->ngpus; i++)
        sw[i] = count_links(&n, t, dev[i], i);
    int have_p2p = n.p2p != NULL && t->ngpus > 0;
    for (int i = 0; i < t->ngpus; i++) {
        for (int j = 0; j < t->ngpus; j++) {
            if (i != j && sw[i] > 0 && sw[j] > 0) {
                t->gpu[i].nvlinks[j] += WEFT_MIN(sw[i], sw[j]);
                t->nvswitch = 1;
            }
            int status = -1;
            p2p_p[i][j] = i == j ? 1 : 2; /* 2: NVML did not say */
            if (have_p2p && i != j &&
                n.p2p(dev[i], dev[j], NVML_P2P_CAPS_INDEX_READ, &status) == NVML_SUCCESS)
                p2p_p[i][j] = status == NVML_P2P_STATUS_OK;
        }
    }
    /* A pair agrees on what both ends see: the smaller count, the AND of
     * the P2P answers NVML gave. */
    int any_links = 0;
    for (int i = 0; i < t->ngpus; i++) {
        for (int j = 0; j < i; j++) {
            int m = WEFT_MIN(t->gpu[i].nvlinks[j], t->gpu[j].nvlinks[i]);
            t->gpu[i].nvlinks[j] = t->gpu[j].nvlinks[i] = m;
            uint8_t a = p2p_p[i][j], b = p2p_p[j][i];
            p2p_p[i][j] = p2p_p[j][i] = a == 2 ? b : b == 2 ? a : (uint8_t)(a && b);
            any_links |= m > 0;
        }
    }
    if (!any_links) /* PCIe-only GPUs (L40S, A10): no NVLink generation */
        t->nvlink_gen = t->nvswitch = 0;
    return have_p2p;
}

int weft__detect_gpus(weft_topo_t *t, uint8_t (*p2p_p)[WEFT_TOPO_MAX_GPUS])
{
    nvml_t n;
    t->ngpus = 0;
    if (nvml_open(&n) != 0)
        return 0;
    int have_p2p = weft__nvml_read(&n.api, t, p2p_p);
    n.api.shutdown();
    dlclose(n.lib);
    return have_p2p;
}
