/*
 * mr_data.h - test data for the multi-rank suite: what every rank puts in
 * its buffers, and what the collectives must produce, computed here with
 * plain loops (never with weft's reduction kernels).
 *
 * Values come from per-datatype tables of 4096 entries, indexed by a hash
 * of (rank, element index, salt); each table is built so that every
 * reduction of up to MR_MAX_EXACT_RANKS inputs is exact in the type, in any
 * order, so the expected result is bit-exact whatever algorithm ran:
 *  - RAW (broadcast, all-gather): any bit pattern, NaNs included;
 *  - SUM (also AVG): integers are any bits (sums wrap, which is exact);
 *    floats are small multiples of a power of two whose sums of 16 fit in
 *    the significand (float16: k/4, |k| <= 127; bfloat16: k/2, |k| <= 15);
 *  - PROD: integers are odd (the product never wraps to 0); floats are
 *    mostly 1, some -1, +-2, +-0.5 and a rare +-0: products of 16 are powers
 *    of two, exact everywhere (signs of zero included: IEEE signs multiply);
 *  - MINMAX: any finite value or infinity, no NaN and no -0 (min(-0, +0)
 *    depends on the order of operands).
 */
#ifndef MR_DATA_H
#define MR_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <weft.h>

#define MR_MAX_EXACT_RANKS 16

typedef enum { MR_VALS_RAW, MR_VALS_SUM, MR_VALS_PROD, MR_VALS_MINMAX, MR_NUM_VALS } mr_vals_t;

size_t mr_dtype_size(weft_datatype_t dt);
const char *mr_dtype_name(weft_datatype_t dt);
const char *mr_op_name(weft_op_t op);
int mr_dtype_parse(const char *name, weft_datatype_t *dt_p); /* 0 on success */
int mr_op_parse(const char *name, weft_op_t *op_p);
mr_vals_t mr_vals_for_op(weft_op_t op);

/* Builds the tables; call once before any other mr_data function. */
void mr_data_init(void);

/* buf[j] = the value rank p contributes at element first + j. */
void mr_fill(void *buf, size_t count, size_t first, weft_datatype_t dt, mr_vals_t vals, int p,
             uint32_t salt);

/* out[j] = op over ranks 0..nranks-1 of their value at element first + j
 * (AVG: the sum, then divided once by nranks as weft defines it). */
void mr_expect_reduce(void *out, size_t count, size_t first, weft_datatype_t dt, weft_op_t op,
                      int nranks, uint32_t salt);

/* Index of the first element where a and b differ (count if none), and
 * how many differ in *ndiff_p. */
size_t mr_first_diff(const void *a, const void *b, size_t count, size_t esize, size_t *ndiff_p);

/* "0x3c00 (1)": bits and value of one element. */
void mr_format_elem(char *buf, size_t len, const void *elem, weft_datatype_t dt);

/* A hash for salts and checksums. */
uint64_t mr_mix64(uint64_t x);

#endif
