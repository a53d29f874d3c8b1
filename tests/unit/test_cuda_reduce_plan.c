/*
 * test_cuda_reduce_plan.c - how a GPU reduction is cut into a scalar head,
 * 16-byte vectors and a scalar tail (src/cuda/reduce_plan.h), checked on
 * fake addresses without a GPU:
 *  - for every element size, every offset of dst from a 16-byte boundary
 *    and counts around the vector size: head + vectors + tail cover the
 *    count exactly, the vectors start on a boundary, head and tail are
 *    shorter than a vector;
 *  - buffers at different offsets from a boundary go all scalar;
 *  - pointers not aligned to their element are refused, naming dst or
 *    srcs[i];
 *  - the grid: at least one block, enough for the work, at most
 *    WEFT_CUDA_BLOCKS_PER_SM per multiprocessor.
 */
#include "cuda/reduce_plan.h"
#include "test_check.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define VEC WEFT_CUDA_VEC_BYTES

/* A fake address at a given offset from a 16-byte (in fact 4 KiB) boundary. */
static const void *addr(uintptr_t page, size_t offset)
{
    return (const void *)(page * 4096 + offset);
}

static void test_lined_up(void)
{
    static const size_t sizes[] = {1, 2, 4, 8};
    static const size_t counts[] = {0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 4099, 1u << 20};
    for (size_t z = 0; z < 4; z++) {
        size_t size = sizes[z], per_vec = VEC / size;
        for (size_t off = 0; off < VEC; off += size) {
            for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
                size_t count = counts[c];
                const void *srcs[3] = {addr(1, off), addr(2, off), addr(3, off)};
                weft__cuda_reduce_plan_t p;
                char why[160];
                if (weft__cuda_reduce_plan(addr(9, off), srcs, 3, count, size, 132, &p, why,
                                           sizeof(why)) != WEFT_OK) {
                    FAIL("size %zu offset %zu count %zu: %s", size, off, count, why);
                    continue;
                }
                size_t first_vec_byte = off + p.head * size;
                if (p.head + p.nvec * per_vec + p.tail != count || p.head >= per_vec ||
                    p.tail >= per_vec || (p.nvec > 0 && first_vec_byte % VEC != 0))
                    FAIL("size %zu offset %zu count %zu: head %zu, %zu vectors, tail %zu", size,
                         off, count, p.head, p.nvec, p.tail);
                /* Whenever a whole vector fits after the boundary, it is used. */
                size_t to_boundary = (VEC - off) % VEC / size;
                if (count >= to_boundary + per_vec && p.nvec == 0)
                    FAIL("size %zu offset %zu count %zu: no vectors", size, off, count);
                if (p.blocks < 1 || p.blocks > 132 * WEFT_CUDA_BLOCKS_PER_SM)
                    FAIL("count %zu: %u blocks", count, p.blocks);
            }
        }
    }
}

static void test_not_lined_up(void)
{
    const void *srcs[2] = {addr(1, 4), addr(2, 8)};
    weft__cuda_reduce_plan_t p;
    char why[160];
    if (weft__cuda_reduce_plan(addr(3, 4), srcs, 2, 1000, 4, 0, &p, why, sizeof(why)) != WEFT_OK ||
        p.head != 1000 || p.nvec != 0 || p.tail != 0)
        FAIL("offsets 4/4/8: head %zu, %zu vectors, tail %zu", p.head, p.nvec, p.tail);
    /* dst off, sources together: still scalar, dst is written by vectors too. */
    srcs[1] = addr(2, 4);
    if (weft__cuda_reduce_plan(addr(3, 0), srcs, 2, 1000, 4, 0, &p, why, sizeof(why)) != WEFT_OK ||
        p.nvec != 0 || p.head != 1000)
        FAIL("dst at 0, sources at 4: %zu vectors", p.nvec);
    /* The same offset mod 16 at different pages is lined up. */
    if (weft__cuda_reduce_plan(addr(7, 4), srcs, 2, 1000, 4, 0, &p, why, sizeof(why)) != WEFT_OK ||
        p.nvec == 0)
        FAIL("offsets 4/4/4: no vectors");
}

static void expect_misaligned(const void *dst, const void *const *srcs, int nsrcs, size_t size,
                              const char *name)
{
    weft__cuda_reduce_plan_t p;
    char why[160] = "";
    if (weft__cuda_reduce_plan(dst, srcs, nsrcs, 10, size, 0, &p, why, sizeof(why)) !=
            WEFT_ERR_INVALID_ARGUMENT ||
        strstr(why, name) == NULL)
        FAIL("misaligned %s of %zu-byte elements: '%s'", name, size, why);
    else
        printf("refused as expected: %s\n", why);
}

static void test_misaligned(void)
{
    const void *srcs[3] = {addr(1, 8), addr(2, 8), addr(3, 10)};
    expect_misaligned(addr(4, 8), srcs, 3, 4, "srcs[2]");
    expect_misaligned(addr(4, 3), srcs, 2, 2, "dst");
    srcs[0] = addr(1, 1);
    expect_misaligned(addr(4, 8), srcs, 3, 8, "srcs[0]");
    /* Bytes are always aligned. */
    weft__cuda_reduce_plan_t p;
    char why[160];
    if (weft__cuda_reduce_plan(addr(4, 5), srcs, 3, 10, 1, 0, &p, why, sizeof(why)) != WEFT_OK)
        FAIL("bytes refused: %s", why);
}

static void test_grid(void)
{
    if (weft__cuda_grid_blocks(0, 100) != 1 || weft__cuda_grid_blocks(1, 100) != 1)
        FAIL("grid of nothing or one item");
    if (weft__cuda_grid_blocks(WEFT_CUDA_REDUCE_THREADS + 1, 100) != 2)
        FAIL("grid of a block and one item");
    if (weft__cuda_grid_blocks((size_t)1 << 40, 100) != 100 * WEFT_CUDA_BLOCKS_PER_SM)
        FAIL("grid of 2^40 items on 100 SMs: %u", weft__cuda_grid_blocks((size_t)1 << 40, 100));
    if (weft__cuda_grid_blocks((size_t)1 << 40, 0) < 1)
        FAIL("grid with an unknown SM count");
    /* 256 MiB of float32, two inputs: vectors enough for the whole GPU. */
    const void *srcs[2] = {addr(1, 0), addr(2, 0)};
    weft__cuda_reduce_plan_t p;
    char why[160];
    if (weft__cuda_reduce_plan(addr(3, 0), srcs, 2, 64u << 20, 4, 132, &p, why, sizeof(why)) !=
            WEFT_OK ||
        p.nvec != (16u << 20) || p.head != 0 || p.tail != 0 ||
        p.blocks != 132 * WEFT_CUDA_BLOCKS_PER_SM)
        FAIL("256 MiB float32: %zu vectors, %u blocks", p.nvec, p.blocks);
}

int main(void)
{
    test_lined_up();
    test_not_lined_up();
    test_misaligned();
    test_grid();
    if (failures) {
        fprintf(stderr, "test_cuda_reduce_plan: %d failures\n", failures);
        return 1;
    }
    printf("test_cuda_reduce_plan: ok\n");
    return 0;
}
