/*
 * procs_case.h - the host side of one case of test_device_procs: where a
 * rank's input and output sit in its two device buffers ("areas"), what
 * each area holds before the call and what it must hold after, and the
 * byte-for-byte comparison, and the call.  No CUDA call here.
 *
 * A case is multirank's mr_case_t (collective, datatype, op, count, in
 * place or not, root, sequence number, salt), and the values are
 * multirank's exact tables (mr_data.h): every rank can compute every
 * other rank's input, and every reduction of them is exact in any order,
 * so the expected result is computed here with plain loops and does not
 * depend on weft, its algorithm or its reducers.
 *
 * An area's image is its span of bytes: guard bytes, a shift of 0 to 3
 * elements (so that device pointers are not always 256-byte aligned), the
 * elements, guard bytes.  Out of place, area 0 is sendbuf and area 1
 * recvbuf; in place, area 0 is the one buffer and area 1 is absent.
 */
#ifndef WEFT_TESTS_GPU_PROCS_CASE_H
#define WEFT_TESTS_GPU_PROCS_CASE_H

#include "multirank/mr_coll.h"

#include <stddef.h>

#define PC_GUARD 256
#define PC_SHIFT_MAX (3 * 8)

typedef struct {
    int present[2];  /* area i is allocated, filled and checked */
    size_t elems[2]; /* elements in area i */
    size_t shift;    /* bytes between the leading guard and the elements */
    size_t span[2];  /* bytes of area i's image (0 when absent) */
    int send_area;   /* which area sendbuf points into; -1: pass NULL */
    int recv_area;   /* the same for recvbuf */
    size_t send_off; /* elements from the start of its area */
    size_t recv_off;
    size_t in_off;   /* this rank's input, in area 0 */
    size_t in_count; /* 0: none (broadcast off the root) */
    int out_area;    /* where the result goes; -1: nowhere (reduce off the root) */
    size_t out_off;
    size_t out_count;
} pc_plan_t;

/* Bytes an area needs for every case of n ranks up to max_count. */
size_t pc_area_bytes(int n, size_t max_count);

/* Lays out case c on rank me of n. */
void pc_plan(const mr_case_t *c, int me, int n, pc_plan_t *p);

/* Writes the images of the present areas: before[i] is what area i holds
 * when the call is made, after[i] what it must hold once it is done. */
void pc_images(const pc_plan_t *p, const mr_case_t *c, int me, int n, unsigned char *before[2],
               unsigned char *after[2]);

/* Calls case c's collective on comm with these buffers and stream. */
weft_status_t pc_issue(const mr_case_t *c, void *send, void *recv, weft_comm_t comm,
                       weft_stream_t stream);

/* Compares area i as read back (got) with after[i]: 1 if equal, else 0
 * and what differs first in msg. */
int pc_compare(const pc_plan_t *p, const mr_case_t *c, int i, const unsigned char *got,
               const unsigned char *after, char *msg, size_t len);

#endif
