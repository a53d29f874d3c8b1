/*
 * test_topo_detect.c - detection on whatever machine runs the test: it
 * must finish, give sane values (at least one socket, NUMA node and core;
 * no more cores than CPUs; NICs with a name, a speed and a PCI address
 * that is valid or empty; loopback left out; every GPU pair classed), give
 * the same answer twice, and survive a dump and load unchanged -- through
 * a string, through a file, and through WEFT_TOPO_DUMP_FILE and
 * WEFT_TOPO_FILE as a communicator would use them.
 */
#include "test_topo_util.h"
#include "topology/detect.h"
#include "util/config.h"

#include <stdlib.h>
#include <unistd.h>

static void check_sane(const weft_topo_t *t)
{
    long cpus = sysconf(_SC_NPROCESSORS_CONF);
    CHECK(t->nsockets >= 1 && t->nnuma >= 1 && t->ncores >= 1, "counts %d %d %d", t->nsockets,
          t->nnuma, t->ncores);
    CHECK(cpus <= 0 || t->ncores <= cpus, "%d cores but %ld CPUs", t->ncores, cpus);
    CHECK(t->host[0] != '\0' && strcmp(t->source, "detected") == 0, "host \"%s\" source \"%s\"",
          t->host, t->source);
    CHECK(t->ngpus >= 0 && t->ngpus <= WEFT_TOPO_MAX_GPUS, "%d GPUs", t->ngpus);
    CHECK(t->nnics >= 0 && t->nnics <= WEFT_TOPO_MAX_NICS, "%d NICs", t->nnics);
    CHECK(t->pcie_gen >= 1 && t->pcie_gen <= 6, "PCIe Gen%d", t->pcie_gen);
    CHECK(t->host_shm.bw_gbps > 0.0 && t->host_shm.lat_us >= 0.0, "host_shm");
    for (int n = 0; n < t->nnics; n++) {
        const weft_topo_nic_t *nic = &t->nic[n];
        char norm[WEFT_PCI_ADDR_BYTES];
        CHECK(nic->name[0] != '\0' && strcmp(nic->name, "lo") != 0, "NIC%d \"%s\"", n, nic->name);
        CHECK(nic->speed_gbps > 0.0, "NIC%d %s: speed %g", n, nic->name, nic->speed_gbps);
        CHECK(nic->pci[0] == '\0' ||
                  (weft__pci_normalize(nic->pci, norm) == 0 && strcmp(norm, nic->pci) == 0),
              "NIC%d %s: PCI \"%s\"", n, nic->name, nic->pci);
        CHECK(nic->numa >= -1 && nic->numa < t->nnuma, "NIC%d numa %d", n, nic->numa);
        CHECK(!nic->rdma || nic->pci[0] != '\0', "NIC%d: RDMA on no PCI path", n);
        printf("  NIC%d %-12s pci %-13s numa %2d %6.1f Gbit/s%s\n", n, nic->name,
               nic->pci[0] ? nic->pci : "-", nic->numa, nic->speed_gbps, nic->rdma ? " RDMA" : "");
    }
    for (int i = 0; i < t->ngpus; i++) {
        CHECK(t->gpu_gpu[i][i] == WEFT_PATH_SELF, "GPU%d to itself", i);
        for (int j = 0; j < t->ngpus; j++)
            CHECK(t->gpu_gpu[i][j] < WEFT_PATH_NET, "GPU%d-GPU%d unclassed", i, j);
        CHECK(t->nnics == 0 || weft__topo_nearest_nic(t, i) >= 0, "GPU%d has no NIC", i);
    }
    if (access("/sys/class/net/lo", F_OK) == 0)
        for (int n = 0; n < t->nnics; n++)
            CHECK(strcmp(t->nic[n].name, "lo") != 0, "loopback listed");
}

/* WEFT_TOPO_DUMP_FILE writes the detected node; WEFT_TOPO_FILE reads it.
 * (Compared with what weft__topo_get returned, which detected again.) */
static void check_get(const weft_system_t *detected)
{
    static weft_system_t got, loaded;
    char path[] = "/tmp/weft-topo-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0)
        return;
    close(fd);
    setenv("WEFT_TOPO_DUMP_FILE", path, 1);
    unsetenv("WEFT_TOPO_FILE");
    weft__config_reload();
    CHECK(weft__topo_get(&got) == WEFT_OK, "weft__topo_get: %s", weft_last_error());
    CHECK(got.node.ncores == detected->node.ncores && got.network.nnodes == 1,
          "weft__topo_get differs from detection");
    CHECK(weft__topo_load(path, &loaded) == WEFT_OK, "the dump does not load: %s",
          weft_last_error());
    CHECK(system_diff("dump file", &got, &loaded) == 0, "the dump file differs");
    CHECK(strcmp(loaded.node.source, path) == 0, "source \"%s\"", loaded.node.source);
    unsetenv("WEFT_TOPO_DUMP_FILE");
    setenv("WEFT_TOPO_FILE", path, 1);
    weft__config_reload();
    CHECK(weft__topo_get(&got) == WEFT_OK && strcmp(got.node.source, path) == 0,
          "WEFT_TOPO_FILE not used: %s", weft_last_error());
    /* A bad file is an error, not a fallback to detection. */
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fputs("{\"weft_topology\": 1, \"gpus\": 7}\n", f);
        fclose(f);
    }
    CHECK(weft__topo_get(&got) == WEFT_ERR_INVALID_ARGUMENT, "a bad WEFT_TOPO_FILE accepted");
    unsetenv("WEFT_TOPO_FILE");
    weft__config_reload();
    unlink(path);
}

int main(void)
{
    static weft_system_t a, b;
    weft__system_init(&a);
    weft__system_init(&b);
    /* Interfaces may come and go while the test runs (an emulated cluster
     * being set up beside it): the same answer twice in a row is enough. */
    weft__topo_detect(&a.node);
    weft__topo_detect(&b.node);
    for (int i = 0; i < 3 && system_diff("twice", &a, &b) != 0; i++) {
        memcpy(&a, &b, sizeof(a));
        weft__topo_detect(&b.node);
    }
    printf("detected %s: %d socket(s), %d NUMA node(s), %d cores, %d GPU(s), %d NIC(s)\n",
           a.node.host, a.node.nsockets, a.node.nnuma, a.node.ncores, a.node.ngpus, a.node.nnics);
    check_sane(&a.node);
    CHECK(system_diff("twice", &a, &b) == 0, "two detections differ");
    CHECK(round_trip("detected", &a) == 0, "dump and load differ");
    check_get(&a);
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
