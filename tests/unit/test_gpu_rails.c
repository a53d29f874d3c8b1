/*
 * test_gpu_rails.c - a rank that drives a GPU takes the NIC nearest that
 * GPU as its rail, and the node's ranks are ordered by rail.
 *
 * On a DGX H100 (topology/systems/dgx-h100.json, read as one node) every
 * GPU has its own nearest NIC.  weft_comm_init_all gives 8 ranks the GPUs
 * in reverse (rank r drives GPU 7 - r); then each rank's communicator must
 * say that GPU, name that GPU's nearest NIC as its rail, and hold the
 * local rank its (rail, rank) order gives.  Without devices the ranks
 * have no GPU and no rail; a negative device index is refused by name;
 * split and shrink children keep the parent's GPU (split is checked).
 *
 * The device indices stand for the topology's GPUs, which needs a machine
 * where CUDA sees none (CI): with a usable GPU the test skips.
 */
#include "core/comm.h"
#include "cuda/probe.h"
#include "test_topo_util.h"

#include <pthread.h>
#include <unistd.h>

#define NGPU 8

/* dgx-h100.json with its 4 nodes made 1 (a one-node communicator must
 * not contradict the file), written to a temporary file. */
static int one_node_file(char *path, size_t len)
{
    char src[PATH_MAX - 64], in[PATH_MAX];
    source_dir(src, sizeof(src));
    snprintf(in, sizeof(in), "%s/topology/systems/dgx-h100.json", src);
    FILE *f = fopen(in, "r");
    if (f == NULL)
        return -1;
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    char *nodes = strstr(text, "\"nodes\": 4");
    if (nodes == NULL)
        return -1;
    nodes[strlen("\"nodes\": ")] = '1';
    snprintf(path, len, "/tmp/weft-gpu-rails-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    int ok = write(fd, text, n) == (ssize_t)n;
    close(fd);
    return ok ? 0 : -1;
}

typedef struct {
    weft_comm_t comm, child;
    weft_status_t st;
} split_job_t;

static void *split_one(void *arg)
{
    split_job_t *j = arg;
    j->st = weft_comm_split(j->comm, 0, 0, &j->child);
    return NULL;
}

/* Every rank's GPU, rail and local rank; then split keeps the GPU. */
static void check_comms(weft_comm_t *comms, const int *devices, const weft_system_t *sys)
{
    char rail[NGPU][64];
    for (int r = 0; r < NGPU; r++) {
        int nic = weft__topo_nearest_nic(&sys->node, devices[r]);
        snprintf(rail[r], sizeof(rail[r]), "%s", nic >= 0 ? sys->node.nic[nic].name : "");
        CHECK(nic >= 0, "GPU %d has no nearest NIC in the file", devices[r]);
    }
    for (int r = 0; r < NGPU; r++) {
        const struct weft_comm *c = (const struct weft_comm *)comms[r];
        int before = 0;
        for (int q = 0; q < NGPU; q++) {
            int o = strcmp(rail[q], rail[r]);
            before += o < 0 || (o == 0 && q < r);
        }
        CHECK(c->device == devices[r], "rank %d: device %d, expected %d", r, c->device,
              devices[r]);
        CHECK(strcmp(c->rail, rail[r]) == 0, "rank %d (GPU %d): rail '%s', expected '%s'", r,
              devices[r], c->rail, rail[r]);
        CHECK(c->local_rank == before, "rank %d (rail %s): local rank %d, expected %d", r,
              c->rail, c->local_rank, before);
    }
    split_job_t jobs[NGPU];
    pthread_t th[NGPU];
    for (int r = 0; r < NGPU; r++) {
        jobs[r] = (split_job_t){comms[r], NULL, WEFT_OK};
        pthread_create(&th[r], NULL, split_one, &jobs[r]);
    }
    for (int r = 0; r < NGPU; r++) {
        pthread_join(th[r], NULL);
        CHECK(jobs[r].st == WEFT_OK, "rank %d: split: %s", r, weft_last_error());
        if (jobs[r].child == NULL)
            continue;
        const struct weft_comm *c = (const struct weft_comm *)jobs[r].child;
        CHECK(c->device == devices[r] && strcmp(c->rail, rail[r]) == 0,
              "rank %d: split child has GPU %d rail '%s', the parent GPU %d rail '%s'", r,
              c->device, c->rail, devices[r], rail[r]);
        weft_comm_destroy(jobs[r].child);
    }
}

int main(void)
{
    /* Before any weft call: the configuration is read once. */
    char path[64];
    if (one_node_file(path, sizeof(path)) != 0) {
        fprintf(stderr, "FAIL: cannot write the one-node DGX H100 file\n");
        return 1;
    }
    setenv("WEFT_TOPO_FILE", path, 1);
    unsetenv("WEFT_SOCKET_IFNAME");
    if (weft__cuda_probe() > 0) {
        printf("SKIP: CUDA sees a GPU here; the device indices of this test stand for the "
               "topology file's GPUs\n");
        unlink(path);
        return 77;
    }
    static weft_system_t sys;
    CHECK(weft__topo_load(path, &sys) == WEFT_OK, "load %s: %s", path, weft_last_error());
    int devices[NGPU];
    for (int r = 0; r < NGPU; r++)
        devices[r] = NGPU - 1 - r;
    weft_comm_t comms[NGPU];
    weft_status_t st = weft_comm_init_all(NGPU, devices, comms);
    CHECK(st == WEFT_OK, "init_all with devices: %s", weft_last_error());
    if (st == WEFT_OK) {
        check_comms(comms, devices, &sys);
        for (int r = 0; r < NGPU; r++)
            weft_comm_destroy(comms[r]);
    }
    /* No devices: no GPU, no rail. */
    st = weft_comm_init_all(2, NULL, comms);
    CHECK(st == WEFT_OK, "init_all without devices: %s", weft_last_error());
    for (int r = 0; st == WEFT_OK && r < 2; r++) {
        const struct weft_comm *c = (const struct weft_comm *)comms[r];
        CHECK(c->device == -1 && c->rail[0] == '\0', "rank %d without a GPU: device %d rail '%s'",
              r, c->device, c->rail);
        weft_comm_destroy(comms[r]);
    }
    int bad[2] = {0, -3};
    st = weft_comm_init_all(2, bad, comms);
    CHECK(st == WEFT_ERR_INVALID_ARGUMENT && strstr(weft_last_error(), "devices[1]") != NULL,
          "devices[1] = -3: status %d, '%s'", st, weft_last_error());
    unlink(path);
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
