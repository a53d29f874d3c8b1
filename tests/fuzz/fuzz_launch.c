/*
 * fuzz_launch.c - the launcher variables (launch.c) and host:port text
 * (net_addr.c).
 *
 * The input is lines NAME=VALUE: the environment weft_comm_init_env would
 * see (the dictionary holds the names of OpenMPI, Slurm, torchrun and weft
 * variables).  weft__launch_info_from parses them without resolving names.
 * Invariants: an accepted launch has 0 <= rank < nranks <= the maximum and
 * names its source; an accepted host:port has a port in 1..65535 and a host
 * of 1..255 characters.
 */
#include "bootstrap/bootstrap.h"
#include "bootstrap/net.h"
#include "fuzz_util.h"

#include <string.h>

#define FUZZ_MAX_VARS 32

typedef struct {
    int n;
    char *name[FUZZ_MAX_VARS], *value[FUZZ_MAX_VARS];
} fuzz_env_t;

static const char *fuzz_get(void *ctx, const char *name)
{
    const fuzz_env_t *e = ctx;
    for (int i = e->n - 1; i >= 0; i--) /* the last setting wins, as in a shell */
        if (strcmp(e->name[i], name) == 0)
            return e->value[i];
    return NULL;
}

/* Splits text (modified in place) into NAME=VALUE lines. */
static void parse_lines(char *text, fuzz_env_t *e)
{
    e->n = 0;
    for (char *line = text; line != NULL && e->n < FUZZ_MAX_VARS;) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (eq != NULL) {
            *eq = '\0';
            e->name[e->n] = line;
            e->value[e->n++] = eq + 1;
        }
        line = next;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    char host[256];
    unsigned port = 0;
    if (weft__net_split_hostport(text, "fuzz", host, &port) == WEFT_OK)
        FUZZ_CHECK(port >= 1 && port <= 65535 && host[0] != '\0' && strlen(host) <= 255);

    fuzz_env_t env;
    parse_lines(text, &env);
    weft__launch_info_t info;
    if (weft__launch_info_from(fuzz_get, &env, 0, &info) == WEFT_OK) {
        FUZZ_CHECK(info.nranks >= 1 && info.rank >= 0 && info.rank < info.nranks);
        FUZZ_CHECK(info.source[0] != '\0');
    }
    free(text);
    return 0;
}
