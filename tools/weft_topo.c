/*
 * weft-topo: what weft knows of the machine -- or of the system a topology
 * file describes -- and how it classes the paths between devices.
 *
 *   weft-topo               the detected node (or WEFT_TOPO_FILE's system)
 *   weft-topo --file F      the system described by file F
 *   weft-topo --json        the same in the topology file format (a dump)
 *   weft-topo --dot         the topology as a Graphviz graph, on stdout
 *   weft-topo --png FILE    drawn with Graphviz's dot into FILE
 *   weft-topo --ranks-per-node K   ranks per node for the cluster view and
 *                                  the tuner (default: GPUs, else rails, else 1)
 *
 * The text report is a list of sections (node, GPUs, NICs, path matrix,
 * link figures, network); each is a function of the system, so a later
 * section (the cluster view, the tuner's choices) is one more entry in
 * the table in main.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <weft.h>

#include "algo/tuner.h"
#include "topology/topo.h"
#include "util/compiler.h"

typedef void (*section_fn)(const weft_system_t *sys);

static void print_node(const weft_system_t *sys)
{
    const weft_topo_t *t = &sys->node;
    printf("host:     %s%s%s%s\n", t->host, t->model[0] ? " (" : "", t->model,
           t->model[0] ? ")" : "");
    printf("source:   %s\n", t->source);
    printf("CPUs:     %d socket(s), %d NUMA node(s), %d cores\n", t->nsockets, t->nnuma, t->ncores);
    printf("PCIe:     Gen%d\n", t->pcie_gen);
    if (t->nvlink_gen > 0 || t->nvswitch)
        printf("NVLink:   generation %d%s\n", t->nvlink_gen,
               t->nvswitch ? ", through NVSwitch" : "");
}

static void print_gpus(const weft_system_t *sys)
{
    const weft_topo_t *t = &sys->node;
    printf("\nGPUs: %d\n", t->ngpus);
    for (int g = 0; g < t->ngpus; g++) {
        int nics[WEFT_TOPO_MAX_NICS];
        int n = weft__topo_gpu_nics(t, g, nics, WEFT_TOPO_MAX_NICS);
        int near = weft__topo_nearest_nic(t, g);
        printf("  GPU%-3d %-28s pci %-13s numa %2d switch %2d  ", g, t->gpu[g].name,
               t->gpu[g].pci[0] ? t->gpu[g].pci : "-", t->gpu[g].numa, t->gpu[g].pcie_switch);
        if (near < 0) {
            printf("no NIC\n");
            continue;
        }
        printf("rail NIC%d (%s)", near, weft__path_class_name(t->gpu_nic[g][near]));
        if (n > 1) {
            printf(", as near:");
            for (int i = 0; i < n && i < 6; i++)
                printf(" NIC%d", nics[i]);
            printf(n > 6 ? " ... (%d)" : "", n);
        }
        printf("\n");
    }
}

static void print_nics(const weft_system_t *sys)
{
    const weft_topo_t *t = &sys->node;
    printf("\nNICs: %d\n", t->nnics);
    for (int n = 0; n < t->nnics; n++) {
        const weft_topo_nic_t *nic = &t->nic[n];
        printf("  NIC%-3d %-14s netdev %-12s pci %-13s numa %2d switch %2d %7.1f Gbit/s%s\n", n,
               nic->name, nic->netdev[0] ? nic->netdev : "-", nic->pci[0] ? nic->pci : "-",
               nic->numa, nic->pcie_switch, nic->speed_gbps, nic->rdma ? "  RDMA" : "");
    }
}

/* One cell of the matrix: device a and b, GPUs first, then NICs. */
static void matrix_cell(const weft_topo_t *t, int a, int b, char *cell, size_t size)
{
    int ga = a < t->ngpus, gb = b < t->ngpus;
    int ia = ga ? a : a - t->ngpus, ib = gb ? b : b - t->ngpus;
    weft_path_class_t c;
    if (ga && gb)
        c = (weft_path_class_t)t->gpu_gpu[ia][ib];
    else if (ga || gb)
        c = (weft_path_class_t)(ga ? t->gpu_nic[ia][ib] : t->gpu_nic[ib][ia]);
    else
        c = weft__topo_nic_nic_class(t, ia, ib);
    if (c == WEFT_PATH_NVLINK)
        snprintf(cell, size, "NV%d", t->gpu[ia].nvlinks[ib]);
    else
        snprintf(cell, size, "%s", weft__path_class_name(c));
}

static void print_matrix(const weft_system_t *sys)
{
    const weft_topo_t *t = &sys->node;
    int n = t->ngpus + t->nnics;
    if (n == 0)
        return;
    printf("\nPaths:\n%8s", "");
    for (int b = 0; b < n; b++)
        printf(b < t->ngpus ? " GPU%-3d" : " NIC%-3d", b < t->ngpus ? b : b - t->ngpus);
    printf("  NUMA\n");
    for (int a = 0; a < n; a++) {
        int numa = a < t->ngpus ? t->gpu[a].numa : t->nic[a - t->ngpus].numa;
        printf(a < t->ngpus ? "  GPU%-3d" : "  NIC%-3d", a < t->ngpus ? a : a - t->ngpus);
        for (int b = 0; b < n; b++) {
            char cell[16];
            matrix_cell(t, a, b, cell, sizeof(cell));
            printf(" %-6s", cell);
        }
        if (numa >= 0)
            printf("  %d\n", numa);
        else
            printf("  -\n");
    }
    printf("\n  SELF = the device itself          NV#  = # NVLinks (direct or through NVSwitch)\n"
           "  PIX  = behind one PCIe switch     PHB  = through a CPU's PCIe host bridge\n"
           "  SYS  = across CPU sockets         NET  = across the network (between nodes)\n");
}

static void print_links(const weft_system_t *sys)
{
    const weft_topo_t *t = &sys->node;
    printf("\nLinks (bandwidth per direction, latency):\n");
    for (int c = WEFT_PATH_NVLINK; c <= WEFT_PATH_SYS; c++) {
        if (c == WEFT_PATH_NVLINK && t->nvlink_gen == 0 && !t->nvswitch)
            continue;
        printf("  %-4s %8.2f GB/s%s %5.2f us\n", weft__path_class_name((weft_path_class_t)c),
               t->class_link[c].bw_gbps, c == WEFT_PATH_NVLINK ? " per link," : ",         ",
               t->class_link[c].lat_us);
    }
    printf("  host %8.2f GB/s,          %5.2f us  (shared memory between ranks)\n",
           t->host_shm.bw_gbps, t->host_shm.lat_us);
}

static void print_network(const weft_system_t *sys)
{
    const weft_network_t *n = &sys->network;
    if (n->nnodes <= 1 && n->rails <= 0)
        return;
    printf("\nNetwork: %d node(s) x %d rail(s) of %.0f Gbit/s, %.2f us, oversubscription %.2g:1\n",
           n->nnodes, n->rails, n->rail_gbps, n->rail_lat_us, n->oversubscription);
    for (int r = 0; r < n->rails && r < sys->node.nnics; r++)
        printf("  rail %-3d NIC%d (%s) of every node\n", r, r, sys->node.nic[r].name);
}

/* --- Graphviz ------------------------------------------------------------ */

/* A name as a DOT label may hold it: quotes and backslashes become '. */
static const char *label(const char *s, char *buf, size_t size)
{
    size_t n = 0;
    for (; *s != '\0' && n + 1 < size; s++)
        buf[n++] = *s == '"' || *s == '\\' ? '\'' : *s;
    buf[n] = '\0';
    return buf;
}

/* Parents first, so that dot draws CPUs on top and devices below. */
static void dot_place(FILE *f, const char *node, int numa, int sw)
{
    if (sw >= 0)
        fprintf(f, "  sw%d -- %s;\n", sw, node);
    else if (numa >= 0)
        fprintf(f, "  numa%d -- %s;\n", numa, node);
}

static void dot_nvlinks(FILE *f, const weft_topo_t *t)
{
    if (t->nvswitch) {
        fprintf(f, "  nvswitch [shape=hexagon, label=\"NVSwitch\", style=filled, "
                   "fillcolor=palegreen];\n");
        for (int g = 0; g < t->ngpus; g++)
            fprintf(f, "  gpu%d -- nvswitch [color=green4, penwidth=2];\n", g);
        return;
    }
    for (int i = 0; i < t->ngpus; i++) {
        for (int j = i + 1; j < t->ngpus; j++) {
            if (t->gpu[i].nvlinks[j] > 0)
                fprintf(f, "  gpu%d -- gpu%d [color=green4, penwidth=2, label=\"NV%d\"];\n", i, j,
                        t->gpu[i].nvlinks[j]);
        }
    }
}

/* NUMA nodes under their sockets, and the PCIe switches under theirs. */
static void dot_cpus_switches(FILE *f, const weft_topo_t *t)
{
    int per = t->nnuma > t->nsockets && t->nsockets > 0 ? t->nnuma / t->nsockets : 1;
    for (int s = 0; s < t->nsockets; s++) {
        fprintf(f, "  subgraph cluster_socket%d {\n    label=\"socket %d\";\n", s, s);
        for (int m = 0; m < t->nnuma; m++) {
            if (WEFT_MIN(m / per, t->nsockets - 1) == s)
                fprintf(f, "    numa%d [shape=ellipse, label=\"NUMA %d\"];\n", m, m);
        }
        fprintf(f, "  }\n");
        if (s > 0 && s * per < t->nnuma) /* the SMP interconnect */
            fprintf(f, "  numa%d -- numa%d [style=dashed, constraint=false];\n", (s - 1) * per,
                    s * per);
    }
    int max_sw = -1;
    for (int g = 0; g < t->ngpus; g++)
        max_sw = WEFT_MAX(max_sw, t->gpu[g].pcie_switch);
    for (int n = 0; n < t->nnics; n++)
        max_sw = WEFT_MAX(max_sw, t->nic[n].pcie_switch);
    for (int s = 0; s <= max_sw; s++) {
        int numa = -1; /* the switch hangs off its first device's NUMA node */
        for (int g = 0; g < t->ngpus && numa < 0; g++)
            numa = t->gpu[g].pcie_switch == s ? t->gpu[g].numa : -1;
        for (int n = 0; n < t->nnics && numa < 0; n++)
            numa = t->nic[n].pcie_switch == s ? t->nic[n].numa : -1;
        fprintf(f, "  sw%d [shape=box, style=rounded, label=\"PCIe switch %d\"];\n", s, s);
        if (numa >= 0)
            fprintf(f, "  numa%d -- sw%d;\n", numa, s);
    }
}

/* NUMA nodes (under their socket), PCIe switches, GPUs, NICs, NVLinks and
 * the network of a cluster file. */
static void write_dot(FILE *f, const weft_system_t *sys)
{
    const weft_topo_t *t = &sys->node;
    char a[80], b[80];
    fprintf(f, "graph topology {\n  label=\"%s%s%s\";\n  node [fontname=\"Helvetica\"];\n",
            label(t->host, a, sizeof(a)), t->model[0] ? " - " : "", label(t->model, b, sizeof(b)));
    dot_cpus_switches(f, t);
    for (int g = 0; g < t->ngpus; g++) {
        char node[16];
        snprintf(node, sizeof(node), "gpu%d", g);
        fprintf(f, "  %s [shape=box, style=filled, fillcolor=lightblue, label=\"GPU%d\\n%s\"];\n",
                node, g, label(t->gpu[g].name, a, sizeof(a)));
        dot_place(f, node, t->gpu[g].numa, t->gpu[g].pcie_switch);
    }
    for (int n = 0; n < t->nnics; n++) {
        char node[16];
        snprintf(node, sizeof(node), "nic%d", n);
        fprintf(f,
                "  %s [shape=box, style=filled, fillcolor=%s, label=\"NIC%d %s\\n%.0f Gbit/s\"];\n",
                node, t->nic[n].rdma ? "orange" : "lightyellow", n,
                label(t->nic[n].name, a, sizeof(a)), t->nic[n].speed_gbps);
        dot_place(f, node, t->nic[n].numa, t->nic[n].pcie_switch);
    }
    dot_nvlinks(f, t);
    const weft_network_t *net = &sys->network;
    if (net->nnodes > 1 || net->rails > 0) {
        fprintf(f,
                "  network [shape=doubleoctagon, label=\"network\\n%d nodes x %d rails\\n"
                "%.0f Gbit/s per rail\"];\n",
                net->nnodes, net->rails, net->rail_gbps);
        for (int r = 0; r < net->rails && r < t->nnics; r++)
            fprintf(f, "  nic%d -- network [color=orange];\n", r);
    }
    fprintf(f, "}\n");
}

/* 1 if `dot` is an executable in PATH. */
static int have_dot(void)
{
    const char *path = getenv("PATH");
    char dir[4096];
    while (path != NULL && *path != '\0') {
        size_t n = strcspn(path, ":");
        snprintf(dir, sizeof(dir), "%.*s/dot", (int)n, path);
        if (n > 0 && access(dir, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

/* Pipes the graph into `dot -Tpng -o png` (no shell: any file name). */
static int draw_png(const weft_system_t *sys, const char *png)
{
    int fds[2];
    if (!have_dot()) {
        fprintf(stderr, "weft-topo: --png needs Graphviz's dot, which is not installed "
                        "(apt-get install graphviz); --dot prints the graph instead\n");
        return 1;
    }
    if (pipe(fds) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        execlp("dot", "dot", "-Tpng", "-o", png, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    FILE *f = pid > 0 ? fdopen(fds[1], "w") : NULL;
    if (f == NULL) {
        close(fds[1]);
        return 1;
    }
    write_dot(f, sys);
    fclose(f);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "weft-topo: dot failed writing %s\n", png);
        return 1;
    }
    printf("wrote %s\n", png);
    return 0;
}

static int ranks_per_node;

/* The cluster view and the tuner's choices (algo/tuner_report.c). */
static void print_tuner(const weft_system_t *sys)
{
    int per = ranks_per_node;
    if (per <= 0)
        per = sys->node.ngpus > 0 ? sys->node.ngpus
              : sys->network.rails > 0 ? sys->network.rails
                                       : 1;
    weft__tuner_report(stdout, sys, per);
}

static int usage(void)
{
    fprintf(stderr, "usage: weft-topo [--file FILE] [--ranks-per-node K] [--json | --dot | --png "
                    "FILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *file = NULL, *png = NULL;
    int json = 0, dot = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
            file = argv[++i];
        else if (strcmp(argv[i], "--png") == 0 && i + 1 < argc)
            png = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--dot") == 0)
            dot = 1;
        else if (strcmp(argv[i], "--ranks-per-node") == 0 && i + 1 < argc)
            ranks_per_node = atoi(argv[++i]);
        else
            return usage();
    }
    weft_system_t *sys = malloc(sizeof(*sys));
    if (sys == NULL)
        return 1;
    weft_status_t st = file != NULL ? weft__topo_load(file, sys) : weft__topo_get(sys);
    if (st != WEFT_OK) {
        fprintf(stderr, "weft-topo: %s\n", weft_last_error());
        free(sys);
        return 1;
    }
    int rc = 0;
    if (json) {
        char *text = weft__topo_dump_string(sys);
        rc = text != NULL && fputs(text, stdout) >= 0 ? 0 : 1;
        free(text);
    } else if (dot) {
        write_dot(stdout, sys);
    } else if (png != NULL) {
        rc = draw_png(sys, png);
    } else {
        static const section_fn sections[] = {print_node,  print_gpus,    print_nics,
                                              print_matrix, print_links, print_network,
                                              print_tuner};
        for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
            sections[i](sys);
    }
    free(sys);
    return rc;
}
