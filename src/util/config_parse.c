/*
 * config_parse.c - turning the text of a WEFT_* variable into a value.
 *
 * A value comes from whoever set the environment, so nothing about it is
 * trusted: every parser takes any NUL-terminated text, returns 0 with the
 * value or -1 with a reason that fits in a log line, and never overflows
 * (an integer whose suffix multiplies it past 64 bits is refused, not
 * wrapped; a float that is NaN, infinite or out of range is refused, since
 * a deadline of NaN seconds would never pass).  config.c keeps the default
 * when a value is refused and says so with the reason.
 */
#include "util/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int weft__config_parse_int(const char *text, int64_t *out, char *why, size_t why_len)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0') {
        snprintf(why, why_len, "empty, expected an integer");
        return -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 0);
    if (end == p) {
        snprintf(why, why_len, "not an integer (digits, optionally 0x and a K, M or G suffix)");
        return -1;
    }
    if (errno == ERANGE) {
        snprintf(why, why_len, "out of the 64-bit range");
        return -1;
    }
    int shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 'K':
        shift = 10;
        end++;
        break;
    case 'M':
        shift = 20;
        end++;
        break;
    case 'G':
        shift = 30;
        end++;
        break;
    default:
        break;
    }
    if (*end != '\0') {
        snprintf(why, why_len, "unexpected \"%.16s\" after the number", end);
        return -1;
    }
    long long limit = INT64_MAX >> shift;
    if (v > limit || v < -limit) {
        snprintf(why, why_len, "%lld with its suffix is out of the 64-bit range", v);
        return -1;
    }
    *out = (int64_t)(v * (1LL << shift));
    return 0;
}

int weft__config_parse_double(const char *text, double *out, char *why, size_t why_len)
{
    char *end;
    errno = 0;
    double d = strtod(text, &end);
    if (end == text || *end != '\0') {
        snprintf(why, why_len, "not a number");
        return -1;
    }
    if (!isfinite(d) || errno == ERANGE) {
        snprintf(why, why_len, "not a finite number in range");
        return -1;
    }
    *out = d;
    return 0;
}

int weft__config_parse_bool(const char *text, int64_t *out, char *why, size_t why_len)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
            *out = strcasecmp(text, yes[i]) == 0;
            return 0;
        }
    }
    snprintf(why, why_len, "not a boolean (1/0, true/false, yes/no, on/off)");
    return -1;
}

int weft__config_parse_str(const char *text, size_t cap, char *why, size_t why_len)
{
    size_t len = strlen(text);
    if (len >= cap) {
        snprintf(why, why_len, "%zu characters, more than the %zu allowed", len, cap - 1);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
            snprintf(why, why_len, "a control character at position %zu", i);
            return -1;
        }
    }
    return 0;
}
