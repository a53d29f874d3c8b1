/*
 * The MPI names of the harness's element types and reduction ops, for
 * mpi-perf (mpi_perf.c). MPI has fixed-width integer types and float and
 * double, but no 16-bit floating type and no average op: where MPI has no
 * name, mpi_bench_dtype says MPI_DATATYPE_NULL, and mpi-perf declines those
 * rows.
 */
#include "mpi_perf.h"

/* The MPI names of the harness's types and ops; MPI_DATATYPE_NULL where MPI
 * has none. */
MPI_Datatype mpi_bench_dtype(bench_type_t type)
{
    switch (type) {
    case BENCH_INT8:
        return MPI_INT8_T;
    case BENCH_UINT8:
        return MPI_UINT8_T;
    case BENCH_INT32:
        return MPI_INT32_T;
    case BENCH_UINT32:
        return MPI_UINT32_T;
    case BENCH_INT64:
        return MPI_INT64_T;
    case BENCH_UINT64:
        return MPI_UINT64_T;
    case BENCH_FLOAT32:
        return MPI_FLOAT;
    case BENCH_FLOAT64:
        return MPI_DOUBLE;
    default:
        return MPI_DATATYPE_NULL;
    }
}

MPI_Op mpi_bench_op(bench_op_t op)
{
    switch (op) {
    case BENCH_PROD:
        return MPI_PROD;
    case BENCH_MIN:
        return MPI_MIN;
    case BENCH_MAX:
        return MPI_MAX;
    case BENCH_SUM:
    default:
        return MPI_SUM;
    }
}
