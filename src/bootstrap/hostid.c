/*
 * hostid.c - the identity of this node, which decides which ranks may use
 * shared memory with each other.
 *
 * The host name alone is not enough: containers and cloned virtual machines
 * often share one.  The kernel's boot id is random per boot, so host name +
 * boot id tells two machines apart even when their names agree, and stays
 * the same for every process of one machine (and its containers that share
 * the host's kernel and name).  WEFT_HOSTID overrides it, e.g. to make ranks
 * on one machine behave as if on several.
 */
#include "bootstrap/bootstrap.h"
#include "util/config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BOOT_ID_CHARS 16 /* hex digits of the boot id kept: 64 random bits */

/* The first hex digits of the kernel's boot id; "" if unreadable. */
static size_t read_boot_id(char hex[BOOT_ID_CHARS + 1])
{
    char boot[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (f != NULL) {
        if (fgets(boot, sizeof(boot), f) == NULL)
            boot[0] = '\0';
        fclose(f);
    }
    size_t n = 0;
    for (const char *p = boot; *p != '\0' && n < BOOT_ID_CHARS; p++) {
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
            hex[n++] = *p;
    }
    hex[n] = '\0';
    return n;
}

void weft__machine_id(char out[WEFT_HOSTID_BYTES])
{
    char hex[BOOT_ID_CHARS + 1];
    if (read_boot_id(hex) < 8 && gethostname(hex, sizeof(hex)) != 0)
        strcpy(hex, "?");
    snprintf(out, WEFT_HOSTID_BYTES, "%s", hex);
}

void weft__host_id(char out[WEFT_HOSTID_BYTES])
{
    if (weft__config_is_set(WEFT_CFG_HOSTID)) {
        snprintf(out, WEFT_HOSTID_BYTES, "%s", weft__config_str(WEFT_CFG_HOSTID));
        return;
    }
    char host[256];
    if (gethostname(host, sizeof(host)) != 0)
        strcpy(host, "unknown-host");
    host[sizeof(host) - 1] = '\0';

    char hex[BOOT_ID_CHARS + 1];
    size_t n = read_boot_id(hex);
    if (n < 8) { /* no usable boot id: the host name is all there is */
        snprintf(out, WEFT_HOSTID_BYTES, "%.*s", WEFT_HOSTID_BYTES - 1, host); /* cut to fit */
        return;
    }
    /* Keep the boot id whole; shorten the name if both do not fit. */
    int room = WEFT_HOSTID_BYTES - 1 - 1 - (int)n;
    snprintf(out, WEFT_HOSTID_BYTES, "%.*s-%s", room, host, hex);
}
