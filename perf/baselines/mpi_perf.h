/*
 * What the two files of mpi-perf share (mpi_perf.c: the harness's
 * callbacks through MPI and the program; mpi_perf_types.c: the MPI names of
 * the harness's types and ops).
 */
#ifndef WEFT_PERF_MPI_PERF_H
#define WEFT_PERF_MPI_PERF_H

#include <mpi.h>

#include "bench.h"

/* The MPI datatype of a harness type; MPI_DATATYPE_NULL where MPI has none
 * (float16, bfloat16). */
MPI_Datatype mpi_bench_dtype(bench_type_t type);

/* The MPI op of a harness op; MPI_SUM for BENCH_SUM and for the ops MPI
 * lacks (average), which mpi-perf's supports() refuses before any run. */
MPI_Op mpi_bench_op(bench_op_t op);

#endif
