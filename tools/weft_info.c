/*
 * weft-info: what this build of weft is and how it is configured.
 *
 *   weft-info            version, node identity, reduction kernels, and
 *                        every WEFT_* variable with its value, default, help
 *   weft-info -c         the configuration table only
 */
#include <stdio.h>
#include <string.h>

#include <weft.h>

#include "bootstrap/bootstrap.h"
#include "reduce/reduce.h"

int main(int argc, char **argv)
{
    int config_only = argc > 1 && strcmp(argv[1], "-c") == 0;
    if (argc > 1 && !config_only) {
        fprintf(stderr, "usage: weft-info [-c]\n");
        return 2;
    }
    if (!config_only) {
        int version = 0;
        char host[WEFT_HOSTID_BYTES];
        weft_get_version(&version);
        weft__host_id(host);
        printf("weft %d.%d.%d\n", version / 10000, version / 100 % 100, version % 100);
        printf("node id:           %s\n", host);
        printf("reduction kernels: %s\n", weft__reduce_isa());
        printf("transports:        shm (intra-node), socket (TCP, inter-node)\n");
        printf("device buffers:    not in this build (host memory only)\n\n");
    }
    weft_config_print(stdout);
    return 0;
}
