/*
 * topo_get.c - the topology a communicator uses: the file named by
 * WEFT_TOPO_FILE, or else what detection finds (written to
 * WEFT_TOPO_DUMP_FILE when that is set).
 *
 * Detection reads sysfs, loads hwloc and NVML: tens of milliseconds that
 * every communicator of a process would repeat for the same answer, so
 * its result is kept for the life of the process.  A file is read every
 * time (it may be edited between runs of a test).
 */
#include "topology/topo.h"
#include "util/config.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t detect_lock = PTHREAD_MUTEX_INITIALIZER;
static weft_topo_t *detected; /* kept for the process; never freed */

static weft_status_t get_detected(weft_topo_t *t)
{
    pthread_mutex_lock(&detect_lock);
    if (detected == NULL) {
        weft_topo_t *d = malloc(sizeof(*d));
        if (d != NULL)
            weft__topo_detect(d);
        detected = d;
    }
    if (detected != NULL)
        memcpy(t, detected, sizeof(*t));
    pthread_mutex_unlock(&detect_lock);
    if (detected == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "out of memory detecting the topology");
    return WEFT_OK;
}

weft_status_t weft__topo_get(weft_system_t *sys_p)
{
    if (sys_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "weft__topo_get: no output");
    const char *file = weft__config_str(WEFT_CFG_TOPO_FILE);
    if (file != NULL && file[0] != '\0')
        return weft__topo_load(file, sys_p);
    weft_system_t *sys = malloc(sizeof(*sys));
    if (sys == NULL)
        return weft__error(WEFT_ERR_NO_MEMORY, "out of memory detecting the topology");
    weft__system_init(sys);
    weft_status_t st = get_detected(&sys->node);
    const char *dump = weft__config_str(WEFT_CFG_TOPO_DUMP_FILE);
    if (st == WEFT_OK && dump != NULL && dump[0] != '\0') {
        /* Detection never fails a communicator: a dump that cannot be
         * written is said, not returned. */
        if (weft__topo_dump(sys, dump) != WEFT_OK)
            WEFT_WARN("WEFT_TOPO_DUMP_FILE: %s", weft_last_error());
        else
            WEFT_INFO("topology: written to %s", dump);
    }
    if (st == WEFT_OK)
        memcpy(sys_p, sys, sizeof(*sys));
    free(sys);
    return st;
}
