/*
 * The values of the harness's common options: one option's text turned
 * into its field of bench_opts_t, or refused. Sizes take K, M and G
 * suffixes (powers of 1024), integers are checked against their range, and
 * types and ops are looked up by name (bench_names.c). The command line as
 * a whole -- getopt, help, error messages -- is bench_args.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench_internal.h"

/* "64M" -> 67108864; K, M and G are powers of 1024, a trailing B is allowed. */
static int bench_parse_size(const char *text, size_t *bytes_p)
{
    char *end;
    unsigned long long value;
    int shift = 0;

    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || text[0] == '-')
        return -1;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    default:
        break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0' || value > (SIZE_MAX >> shift))
        return -1;
    *bytes_p = (size_t)value << shift;
    return 0;
}

static int bench_parse_int(const char *text, int min, int max, int *value_p)
{
    char *end;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
        return -1;
    *value_p = (int)value;
    return 0;
}

/* One common option; returns 0, or -1 when its value is bad. */
int bench_parse_opt(int opt, const char *arg, bench_opts_t *opts)
{
    int value = 0, rc = 0;

    switch (opt) {
    case 'b':
        rc = bench_parse_size(arg, &opts->min_bytes);
        break;
    case 'e':
        rc = bench_parse_size(arg, &opts->max_bytes);
        break;
    case 'f':
        rc = bench_parse_int(arg, 2, 1 << 20, &value);
        opts->factor = (size_t)value;
        break;
    case 'n':
        rc = bench_parse_int(arg, 1, 1 << 30, &opts->iters);
        break;
    case 'w':
        rc = bench_parse_int(arg, 0, 1 << 30, &opts->warmup);
        break;
    case 'c':
        rc = bench_parse_int(arg, 0, 1, &opts->check);
        break;
    case 'd':
        opts->all_types = strcmp(arg, "all") == 0;
        rc = opts->all_types ? 0 : bench_parse_type(arg, &opts->type);
        break;
    case 'o':
        opts->all_ops = strcmp(arg, "all") == 0;
        value = opts->all_ops ? 0 : bench_lookup(arg, bench_ops, BENCH_NUM_OPS);
        rc = value < 0 ? -1 : 0;
        opts->op = (bench_op_t)value;
        break;
    case 'r':
        rc = bench_parse_int(arg, 0, 1 << 30, &opts->root);
        break;
    case 'I':
        rc = bench_parse_int(arg, 0, 1, &opts->in_place);
        break;
    case 'J':
        opts->json_path = arg;
        break;
    default:
        rc = -1;
        break;
    }
    return rc;
}
