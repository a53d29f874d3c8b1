/*
 * fuzz_topo.c - a libFuzzer target for the topology file parser.
 *
 * Any input must give WEFT_OK or WEFT_ERR_INVALID_ARGUMENT and nothing
 * else: no crash, no leak, no undefined behaviour (built with ASan and
 * UBSan by run.sh).  An input that loads is held to more: the rails and
 * nearest NICs must be computable, and its dump must load back to the
 * same system -- a file weft accepts is one weft can write.
 */
#include "../unit/test_topo_util.h"

#include <stdint.h>
#include <stdlib.h>

static void check_loaded(const weft_system_t *sys)
{
    static weft_system_t back;
    const weft_topo_t *t = &sys->node;
    int nics[WEFT_TOPO_MAX_NICS];
    for (int g = 0; g < t->ngpus; g++) {
        int near = weft__topo_nearest_nic(t, g);
        int n = weft__topo_gpu_nics(t, g, nics, WEFT_TOPO_MAX_NICS);
        if ((near < 0) != (t->nnics == 0) || (t->nnics > 0 && n < 1))
            abort();
    }
    char *text = weft__topo_dump_string(sys);
    if (text == NULL)
        abort();
    if (weft__topo_parse(text, strlen(text), "dump", &back) != WEFT_OK) {
        fprintf(stderr, "the dump of an accepted input does not load: %s\n%s\n", weft_last_error(),
                text);
        abort();
    }
    free(text);
    if (system_diff("fuzz round trip", sys, &back) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static weft_system_t sys;
    weft_status_t st = weft__topo_parse((const char *)data, size, "fuzz", &sys);
    if (st == WEFT_OK)
        check_loaded(&sys);
    else if (st != WEFT_ERR_INVALID_ARGUMENT)
        abort();
    (void)failures; /* of the shared test helpers; unused here */
    return 0;
}
