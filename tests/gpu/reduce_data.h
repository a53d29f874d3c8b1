/*
 * reduce_data.h - inputs and the comparison for the GPU reduction test.
 */
#ifndef WEFT_TESTS_GPU_REDUCE_DATA_H
#define WEFT_TESTS_GPU_REDUCE_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

/* Fills n elements of dt for input number `input`: random values of the
 * whole range for integers; for floats values in [-2, 2] (so that a
 * product of eight stays finite) with every 61st element a special value
 * (NaN of either sign and several payloads, signalling NaN, infinities,
 * signed zeros, subnormals, the largest finite). */
void reduce_data_fill(weft_datatype_t dt, int input, void *buf, size_t n);

/* Compares got with want over n elements: bit for bit, except that for a
 * float SUM/PROD/AVG two NaNs are equal whatever their payloads
 * (cuda_reduce.h says why).  Returns the index of the first difference,
 * or n if none. */
size_t reduce_data_compare(weft_datatype_t dt, weft_op_t op, const void *got, const void *want,
                           size_t n);

/* The element's bits in hex, for a failure message. */
const char *reduce_data_show(weft_datatype_t dt, const void *buf, size_t i, char out[24]);

#endif
