/*
 * fuzz_config.c - the value parsers of the configuration table
 * (config_parse.c) on any text.
 *
 * Invariants: an accepted integer without a suffix is what strtoll reads
 * (so the suffix and overflow logic add nothing to plain numbers); an
 * accepted float is finite; an accepted boolean is 0 or 1; an accepted
 * string fits and has no control characters.  UBSan watches the suffix
 * multiplication for overflow.
 */
#include "fuzz_util.h"
#include "util/config.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char why[128];
    int64_t i;
    size_t len = strlen(text); /* the input may hold a NUL: the text ends there */
    if (weft__config_parse_int(text, &i, why, sizeof(why)) == 0 && len > 0 &&
        isdigit((unsigned char)text[len - 1]))
        FUZZ_CHECK(i == strtoll(text, NULL, 0));
    double d;
    if (weft__config_parse_double(text, &d, why, sizeof(why)) == 0)
        FUZZ_CHECK(isfinite(d));
    int64_t b = -1;
    if (weft__config_parse_bool(text, &b, why, sizeof(why)) == 0)
        FUZZ_CHECK(b == 0 || b == 1);
    if (weft__config_parse_str(text, 256, why, sizeof(why)) == 0)
        FUZZ_CHECK(strlen(text) < 256);
    free(text);
    return 0;
}
