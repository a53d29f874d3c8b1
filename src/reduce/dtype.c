/*
 * dtype.c - sizes and names of datatypes and ops.
 *
 * Names are what logs, weft-info and benchmarks print, so they are the
 * short lowercase spellings people type ("float16", "sum").  The valid
 * functions take int, not the enum, because they exist to check values
 * that came from outside (a user, a peer's message) before they are
 * trusted as an enum.
 */
#include "reduce/reduce.h"
#include "util/compiler.h"

static const struct {
    const char *name;
    size_t size;
} dtype_info[WEFT_NUM_DATATYPES] = {
    [WEFT_INT8] = {"int8", 1},       [WEFT_UINT8] = {"uint8", 1},
    [WEFT_INT32] = {"int32", 4},     [WEFT_UINT32] = {"uint32", 4},
    [WEFT_INT64] = {"int64", 8},     [WEFT_UINT64] = {"uint64", 8},
    [WEFT_FLOAT16] = {"float16", 2}, [WEFT_BFLOAT16] = {"bfloat16", 2},
    [WEFT_FLOAT32] = {"float32", 4}, [WEFT_FLOAT64] = {"float64", 8},
};

static const char *const op_names[WEFT_NUM_OPS] = {
    [WEFT_SUM] = "sum", [WEFT_PROD] = "prod", [WEFT_MIN] = "min",
    [WEFT_MAX] = "max", [WEFT_AVG] = "avg",
};

int weft__dtype_valid(int dt)
{
    return dt >= 0 && dt < WEFT_NUM_DATATYPES;
}

int weft__op_valid(int op)
{
    return op >= 0 && op < WEFT_NUM_OPS;
}

/* 0 for an invalid datatype, so that a size computed from garbage is
 * obviously wrong rather than plausible. */
size_t weft__dtype_size(weft_datatype_t dt)
{
    return weft__dtype_valid((int)dt) ? dtype_info[dt].size : 0;
}

const char *weft__dtype_name(weft_datatype_t dt)
{
    return weft__dtype_valid((int)dt) ? dtype_info[dt].name : "invalid";
}

const char *weft__op_name(weft_op_t op)
{
    return weft__op_valid((int)op) ? op_names[op] : "invalid";
}
