/*
 * The names of the harness's collectives, element types and reduction ops,
 * in both directions: from the enums to the words the table and the JSON
 * file print, and from the words of the command line back to the enums
 * (bench_lookup, bench_parse_type, with nccl-tests' type names as aliases).
 * The element sizes live here too, next to the type names they go with.
 */
#include <string.h>

#include "bench_internal.h"

static const struct {
    const char *name;
    size_t size;
} bench_types[BENCH_NUM_TYPES] = {
    [BENCH_INT8] = {"int8", 1},       [BENCH_UINT8] = {"uint8", 1},
    [BENCH_INT32] = {"int32", 4},     [BENCH_UINT32] = {"uint32", 4},
    [BENCH_INT64] = {"int64", 8},     [BENCH_UINT64] = {"uint64", 8},
    [BENCH_FLOAT16] = {"float16", 2}, [BENCH_BFLOAT16] = {"bfloat16", 2},
    [BENCH_FLOAT32] = {"float32", 4}, [BENCH_FLOAT64] = {"float64", 8},
};

const char *const bench_ops[BENCH_NUM_OPS] = {
    [BENCH_SUM] = "sum", [BENCH_PROD] = "prod", [BENCH_MIN] = "min", [BENCH_MAX] = "max",
    [BENCH_AVG] = "avg"};

const char *const bench_colls[BENCH_NUM_COLLS] = {
    [BENCH_ALLREDUCE] = "allreduce",
    [BENCH_ALLGATHER] = "allgather",
    [BENCH_REDUCESCATTER] = "reducescatter",
    [BENCH_BROADCAST] = "broadcast",
    [BENCH_REDUCE] = "reduce",
    [BENCH_SENDRECV] = "sendrecv",
};

const char *bench_coll_name(bench_coll_t coll)
{
    return bench_colls[coll];
}
const char *bench_type_name(bench_type_t type)
{
    return bench_types[type].name;
}
const char *bench_op_name(bench_op_t op)
{
    return bench_ops[op];
}
size_t bench_type_size(bench_type_t type)
{
    return bench_types[type].size;
}

int bench_lookup(const char *text, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(text, names[i]) == 0)
            return i;
    return -1;
}

int bench_parse_type(const char *text, bench_type_t *type_p)
{
    /* nccl-tests' names too, so that its command lines work unchanged. */
    static const struct {
        const char *alias;
        bench_type_t type;
    } aliases[] = {{"half", BENCH_FLOAT16},
                   {"float", BENCH_FLOAT32},
                   {"double", BENCH_FLOAT64},
                   {"int", BENCH_INT32}};

    for (int t = 0; t < BENCH_NUM_TYPES; t++) {
        if (strcmp(text, bench_types[t].name) == 0) {
            *type_p = (bench_type_t)t;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcmp(text, aliases[i].alias) == 0) {
            *type_p = aliases[i].type;
            return 0;
        }
    }
    return -1;
}
