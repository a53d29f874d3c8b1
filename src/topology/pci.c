/*
 * pci.c - PCI addresses ("domain:bus:device.function") as detection reads
 * them from sysfs and NVML and as topology files give them.  One spelling
 * is kept, sysfs's ("0000:18:00.0", lower case), so that addresses from
 * different sources compare equal.
 */
#include "topology/detect.h"

#include <stdio.h>
#include <string.h>

/* Up to `max` hex digits ending at a separator; the value or -1. */
static long hex_field(const char **p, int max, char sep)
{
    long v = 0;
    int n = 0;
    const char *s = *p;
    for (; n < max; n++, s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            break;
        v = v * 16 + d;
    }
    if (n == 0 || *s != sep)
        return -1;
    *p = s + (sep != '\0');
    return v;
}

int weft__pci_normalize(const char *in, char out[WEFT_PCI_ADDR_BYTES])
{
    const char *p = in;
    long domain = 0;
    /* The domain is optional: "18:00.0" has two fields before the dot. */
    const char *colon2 = strchr(in, ':');
    if (colon2 != NULL && strchr(colon2 + 1, ':') != NULL) {
        domain = hex_field(&p, 8, ':');
        if (domain < 0 || domain > 0xfffff)
            return -1;
    }
    long bus = hex_field(&p, 2, ':');
    long dev = hex_field(&p, 2, '.');
    if (bus < 0 || dev < 0 || dev > 0x1f)
        return -1;
    if (p[0] < '0' || p[0] > '7' || p[1] != '\0')
        return -1;
    snprintf(out, WEFT_PCI_ADDR_BYTES, "%04x:%02x:%02x.%c", (unsigned)domain & 0xfffffu,
             (unsigned)bus & 0xffu, (unsigned)dev & 0x1fu, p[0]);
    return 0;
}

int weft__pci_from_path(const char *path, char out[WEFT_PCI_ADDR_BYTES])
{
    int found = -1;
    const char *p = path;
    while (p != NULL && *p != '\0') {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        char comp[32];
        if (n > 0 && n < sizeof(comp)) {
            memcpy(comp, p, n);
            comp[n] = '\0';
            /* "pci0000:00" (a root bus) is not a device; sysfs always
             * writes the domain, so insist on two colons. */
            const char *c = strchr(comp, ':');
            if (c != NULL && strchr(c + 1, ':') != NULL && weft__pci_normalize(comp, out) == 0)
                found = 0;
        }
        p = slash != NULL ? slash + 1 : NULL;
    }
    return found;
}
