/*
 * test_topo_bad.c - malformed, truncated and inconsistent topology files:
 * each must fail with WEFT_ERR_INVALID_ARGUMENT and a message that names
 * the file, the line and the field, and leave the output untouched.
 *
 * The cases cover what issue 3 lists -- unknown keys, wrong types, a link
 * to a missing device, negative or zero bandwidth, a NIC on no PCI path,
 * counts over the maxima, truncated JSON and text that is not JSON -- and
 * the consistency rules of docs/TOPOLOGY.md.  Then every prefix of a real
 * system file, and random byte damage to it, must give OK or a clean
 * error, never a crash (run this under AddressSanitizer too; the fuzzer in
 * tests/fuzz goes further).
 */
#include "test_topo_util.h"

#include <limits.h>
#include <stdlib.h>

#define V "{\"weft_topology\": 1,\n"
#define GPU2 "\"gpus\": [{\"pci\": \"0000:18:00.0\"},\n {\"pci\": \"0000:19:00.0\"}]"

typedef struct {
    const char *what;
    const char *text;
    const char *want[3]; /* substrings of the message besides the file name */
} bad_t;

static const bad_t cases[] = {
    {"unknown key", V "\"gpuz\": []}", {"bad.json:2:", "gpuz", "unknown key"}},
    {"unknown GPU key",
     V "\"gpus\": [{},\n {\"numa_node\": 0}]}",
     {"bad.json:3:", "gpus[1].numa_node", "unknown key"}},
    {"string for an integer",
     V "\"cpu\": {\"sockets\": 1,\n \"cores\": \"two\"}}",
     {"bad.json:3:", "cpu.cores", "expected an integer"}},
    {"fraction for an integer", V "\"cpu\": {\"cores\": 2.5}}", {":2:", "cpu.cores", "integer"}},
    {"object for an array", V "\"nics\": {}}", {":2:", "nics", "expected an array"}},
    {"GPU entry not an object", V "\"gpus\": [3]}", {":2:", "gpus[0]", "expected an object"}},
    {"NVLink to a missing GPU",
     V "\"gpus\": [{\"nvlinks\": {\"1\": 2}},\n {\"nvlinks\":\n {\"2\": 4}}]}",
     {"bad.json:4:", "gpus[1].nvlinks.2", "does not exist"}},
    {"NVLink to itself",
     V "\"gpus\": [{\"nvlinks\": {\"0\": 2}}]}",
     {":2:", "gpus[0].nvlinks.0", "itself"}},
    {"NVLink key not an index",
     V "\"gpus\": [{\"nvlinks\": {\"one\": 2}}]}",
     {":2:", "nvlinks.one", "not a GPU index"}},
    {"NVLink counts disagree",
     V "\"gpus\": [{\"nvlinks\": {\"1\": 2}},\n {\"nvlinks\": {\"0\": 4}}]}",
     {":3:", "gpus[1].nvlinks.0", "says 2"}},
    {"path to a missing NIC",
     V GPU2 ",\n\"nics\": [{\"speed_gbps\": 1}],\n\"paths\": [\n"
            "{\"between\": [\"gpu0\",\n \"nic4\"]}]}",
     {"bad.json:7:", "paths[0].between[1]", "nic4 does not exist"}},
    {"path to a missing GPU",
     V GPU2 ",\n\"paths\": [{\"between\": [\"gpu9\", \"gpu0\"]}]}",
     {":4:", "paths[0].between[0]", "gpu9 does not exist"}},
    {"path device misspelt",
     V GPU2 ",\n\"paths\": [{\"between\": [\"GPU0\", \"gpu1\"]}]}",
     {":4:", "between[0]", "expected a device"}},
    {"NV class to a NIC",
     V GPU2 ",\n\"nics\": [{\"speed_gbps\": 1}],\n\"paths\": [{\"between\": "
            "[\"gpu0\", \"nic0\"], \"class\": \"NV\"}]}",
     {":5:", "paths[0].class", "PIX, PHB or SYS"}},
    {"pair given twice",
     V GPU2 ",\n\"paths\": [{\"between\": [\"gpu0\", \"gpu1\"]},\n"
            "{\"between\": [\"gpu1\", \"gpu0\"]}]}",
     {":5:", "paths[1]", "twice"}},
    {"negative bandwidth",
     V "\"links\": {\"PIX\":\n {\"bw_gbps\": -5}}}",
     {"bad.json:3:", "links.PIX.bw_gbps", "must be > 0"}},
    {"zero NIC speed",
     V "\"nics\": [{\"name\": \"eth0\",\n \"speed_gbps\": 0}]}",
     {":3:", "nics[0].speed_gbps", "must be > 0"}},
    {"negative rail bandwidth",
     V "\"nics\": [{\"speed_gbps\": 1}], \"network\": {\"nodes\": 2, "
       "\"rails\": 1,\n\"rail_gbps\": -1, \"rail_lat_us\": 1}}",
     {":3:", "network.rail_gbps", "> 0"}},
    {"negative burst",
     V "\"nics\": [{\"speed_gbps\": 1}], \"network\": {\"nodes\": 2, \"rails\": 1, "
       "\"rail_gbps\": 1,\n\"rail_lat_us\": 1, \"rail_burst_bytes\": -4096}}",
     {":3:", "network.rail_burst_bytes", ">= 0"}},
    {"negative latency",
     V "\"host_shm\": {\"bw_gbps\": 1, \"lat_us\": -0.5}}",
     {":2:", "host_shm.lat_us", ">= 0"}},
    {"NIC with a bad PCI address",
     V "\"nics\": [{\"speed_gbps\": 1,\n \"pci\": \"0000:zz:00.0\"}]}",
     {":3:", "nics[0].pci", "not a PCI address"}},
    {"RDMA NIC on no PCI path",
     V "\"nics\": [{\"speed_gbps\": 100,\n \"rdma\": true}]}",
     {":3:", "nics[0].rdma", "PCI path"}},
    {"switch without PCI",
     V "\"nics\": [{\"speed_gbps\": 1, \"pcie_switch\": 0}]}",
     {":2:", "nics[0].pcie_switch", "no PCI path"}},
    {"too many GPUs", NULL, {":2:", "gpus", "at most 72"}},
    {"too many NICs", NULL, {":2:", "nics", "at most 128"}},
    {"truncated", V "\"cpu\": {\"sockets\": 2,\n \"cores\"", {"bad.json:3:", "truncated", ""}},
    {"empty", "", {"bad.json:1:", "truncated", ""}},
    {"not JSON", "hello, topology\n", {"bad.json:1:", "not valid JSON", "hello"}},
    {"syntax error",
     V "\"cpu\": {\"sockets\": 2\n \"cores\": 4}}",
     {"bad.json:3:", "not valid JSON", "\"cores\""}},
    {"trailing garbage", V "\"host\": \"a\"}\n}", {"bad.json:3:", "not valid JSON", "}"}},
    {"NUL byte", "{\"weft_topology\": 1,\n\"host\": \"a\0b\"}", {"bad.json:2:", "NUL", ""}},
    {"top level array", "[1, 2]", {"bad.json:1:", "(top level)", "expected an object"}},
    {"no version", "{\"host\": \"a\"}", {":1:", "(top level)", "missing \"weft_topology\""}},
    {"newer version", "{\n\"weft_topology\": 2}", {":2:", "weft_topology", "newer"}},
    {"duplicate key", V "\"host\": \"a\",\n\"host\": \"b\"}", {":3:", "host", "twice"}},
    {"NUMA node out of range",
     V "\"cpu\": {\"numa_nodes\": 2},\n\"gpus\": [{\"numa\": 2}]}",
     {":3:", "gpus[0].numa", "out of range"}},
    {"index out of order", V "\"gpus\": [{\"index\": 1}]}", {":2:", "gpus[0].index", "order"}},
    {"same PCI address",
     V "\"gpus\": [{\"pci\": \"18:00.0\"},\n {\"pci\": \"0000:18:00.0\"}]}",
     {":3:", "gpus[1].pci", "GPU 0"}},
    {"nvswitch without links",
     V "\"nvlink\": {\"gen\": 4,\n \"nvswitch\": true}}",
     {":2:", "nvlink", "missing \"links\""}},
    {"links without nvswitch",
     V "\"nvlink\": {\"links\": 18}}",
     {":2:", "nvlink.links", "nvswitch"}},
    {"more rails than NICs",
     V "\"nics\": [{\"speed_gbps\": 1}],\n\"network\": {\"nodes\": 2,\n"
       "\"rails\": 2, \"rail_gbps\": 1, \"rail_lat_us\": 1}}",
     {":4:", "network.rails", "the node has 1"}},
    {"network without rails", V "\"network\": {\"nodes\": 2}}", {":2:", "network", "missing"}},
    {"PCIe generation", V "\"pcie\": {\"gen\": 9}}", {":2:", "pcie.gen", "out of range"}},
    {"huge number", V "\"links\": {\"SYS\": {\"bw_gbps\": 1e999}}}", {":2:", "bw_gbps", "large"}},
    {"bool for a string", V "\"host\": true}", {":2:", "host", "expected a string"}},
    {"name too long",
     V "\"nics\": [{\"speed_gbps\": 1, \"name\": "
       "\"0123456789012345678901234567890123456789\"}]}",
     {":2:", "nics[0].name", "longer than 31"}},
    {"notes not text", V "\"notes\": [\"a\", 1]}", {":2:", "notes[1]", "expected a string"}},
    {"unknown class link",
     V "\"links\": {\"NET\": {\"bw_gbps\": 1}}}",
     {":2:", "links.NET", "unknown"}},
};

/* A file with n GPUs or NICs (the maxima plus one). */
static char *many(const char *key, int n)
{
    size_t size = 64 + (size_t)n * 32;
    char *s = malloc(size);
    size_t len = (size_t)snprintf(s, size, V "\"%s\": [", key);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, size - len, "%s{\"speed_gbps\": 1}", i ? ", " : "");
    snprintf(s + len, size - len, "]}");
    if (strcmp(key, "gpus") == 0) /* GPUs have no speed: strip it */
        for (char *p = strstr(s, "\"speed_gbps\": 1"); p != NULL;
             p = strstr(p, "\"speed_gbps\": 1"))
            memset(p, ' ', strlen("\"speed_gbps\": 1"));
    return s;
}

static void run_case(const bad_t *c, weft_system_t *sys)
{
    char *owned = NULL;
    const char *text = c->text;
    size_t len = text != NULL ? strlen(text) : 0;
    if (strcmp(c->what, "too many GPUs") == 0)
        text = owned = many("gpus", WEFT_TOPO_MAX_GPUS + 1);
    else if (strcmp(c->what, "too many NICs") == 0)
        text = owned = many("nics", WEFT_TOPO_MAX_NICS + 1);
    if (owned != NULL)
        len = strlen(owned);
    if (strcmp(c->what, "NUL byte") == 0)
        len = 33;
    memset(sys, 0x5a, sizeof(*sys));
    weft_status_t st = weft__topo_parse(text, len, "bad.json", sys);
    const char *msg = weft_last_error();
    CHECK(st == WEFT_ERR_INVALID_ARGUMENT, "%s: status %d, message \"%s\"", c->what, (int)st, msg);
    CHECK(strstr(msg, "bad.json") != NULL, "%s: \"%s\" does not name the file", c->what, msg);
    for (int i = 0; i < 3; i++)
        CHECK(c->want[i] == NULL || strstr(msg, c->want[i]) != NULL,
              "%s: \"%s\" does not say \"%s\"", c->what, msg, c->want[i]);
    CHECK(sys->node.ngpus == 0x5a5a5a5a, "%s: the output was written", c->what);
    free(owned);
}

/* Every prefix of a real file and random damage: OK or a clean error. */
static void damage(const char *path, weft_system_t *sys)
{
    FILE *f = fopen(path, "rb");
    static char text[1 << 16], copy[1 << 16];
    size_t len = f != NULL ? fread(text, 1, sizeof(text), f) : 0;
    if (f != NULL)
        fclose(f);
    CHECK(len > 0, "cannot read %s", path);
    if (len == 0)
        return;
    for (size_t n = 0; n < len; n++) {
        weft_status_t st = weft__topo_parse(text, n, "prefix", sys);
        if (st != WEFT_ERR_INVALID_ARGUMENT && !(st == WEFT_OK && n + 2 >= len))
            FAIL("prefix of %zu bytes: status %d", n, (int)st);
    }
    unsigned seed = 12345;
    for (int round = 0; round < 3000; round++) {
        memcpy(copy, text, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            copy[(seed >> 8) % len] = (char)(" {}[],:\"0-9ae\\x"[(seed >> 20) % 16]);
        }
        weft_status_t st = weft__topo_parse(copy, len, "damaged", sys);
        CHECK(st == WEFT_OK || st == WEFT_ERR_INVALID_ARGUMENT, "damaged: status %d", (int)st);
    }
}

int main(void)
{
    static weft_system_t sys;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i], &sys);
    weft_status_t st = weft__topo_load("/nonexistent/topo.json", &sys);
    CHECK(st == WEFT_ERR_INVALID_ARGUMENT && strstr(weft_last_error(), "/nonexistent/topo.json"),
          "a missing file: %d %s", (int)st, weft_last_error());
    char src[PATH_MAX - 64], path[PATH_MAX];
    source_dir(src, sizeof(src));
    snprintf(path, sizeof(path), "%s/topology/systems/dgx-h100.json", src);
    damage(path, &sys);
    printf("%zu bad inputs rejected as they should be; prefixes and damage handled\n",
           sizeof(cases) / sizeof(cases[0]));
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
