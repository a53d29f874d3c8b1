/*
 * isa.c - choosing the reduction kernels for the CPU we run on.
 *
 * The first reduction asks the CPU what it supports and picks the widest
 * table it can run: avx512, avx2, avx, generic.  WEFT_CPU_ISA overrides
 * the choice (auto, generic, avx, avx2, avx512); a request the CPU cannot
 * honour falls back to the best level below it and says so at INFO,
 * because running AVX-512 code on a CPU without it would die with SIGILL.
 *
 * The active table is one atomic pointer: reductions load it (acquire) on
 * every call, which costs nothing next to the loop; the first caller fills
 * it under pthread_once.  weft__reduce_force_isa() swaps it for tests and
 * benchmarks.
 */
#include "reduce/kernels.h"
#include "util/compiler.h"
#include "util/config.h"
#include "util/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#if defined(WEFT_REDUCE_HAVE_X86)
#include <cpuid.h>
#endif

typedef enum { ISA_GENERIC, ISA_AVX, ISA_AVX2, ISA_AVX512, ISA_COUNT } isa_level_t;

static const weft__reduce_kernels_t *const isa_tables[ISA_COUNT] = {
    [ISA_GENERIC] = &weft__reduce_kernels_generic,
#if defined(WEFT_REDUCE_HAVE_X86)
    [ISA_AVX] = &weft__reduce_kernels_avx,
    [ISA_AVX2] = &weft__reduce_kernels_avx2,
    [ISA_AVX512] = &weft__reduce_kernels_avx512,
#endif
};

static const char *const isa_names[ISA_COUNT] = {
    [ISA_GENERIC] = "generic", [ISA_AVX] = "avx", [ISA_AVX2] = "avx2", [ISA_AVX512] = "avx512"};

static const weft__reduce_kernels_t *_Atomic isa_active;
static pthread_once_t isa_once = PTHREAD_ONCE_INIT;

#if defined(WEFT_REDUCE_HAVE_X86)
/* __builtin_cpu_supports() has no "f16c" in every compiler we accept, so
 * ask CPUID directly (leaf 1, ECX bit 29).  F16C instructions use the AVX
 * register state, whose OS support the "avx" check below already covers. */
static int cpu_has_f16c(void)
{
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return 0;
    return (ecx & bit_F16C) != 0;
}
#endif

/* 1 if this CPU (and this build) can run the level's table. */
static int isa_supported(isa_level_t level)
{
    if (level == ISA_GENERIC)
        return 1;
#if defined(WEFT_REDUCE_HAVE_X86)
    __builtin_cpu_init();
    int avx = __builtin_cpu_supports("avx") && cpu_has_f16c();
    int avx2 = avx && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    switch (level) {
    case ISA_AVX:
        return avx;
    case ISA_AVX2:
        return avx2;
    case ISA_AVX512:
        return avx512;
    default:
        return 0;
    }
#else
    return 0;
#endif
}

/* The best supported level at or below `level`. */
static isa_level_t isa_best_up_to(isa_level_t level)
{
    while (level > ISA_GENERIC && !isa_supported(level))
        level--;
    return level;
}

/* Level named `name`, ISA_COUNT for "auto", -1 if unknown. */
static int isa_parse(const char *name)
{
    if (strcasecmp(name, "auto") == 0 || name[0] == '\0')
        return ISA_COUNT;
    for (int i = 0; i < ISA_COUNT; i++) {
        if (strcasecmp(name, isa_names[i]) == 0)
            return i;
    }
    return -1;
}

static void isa_choose_once(void)
{
    weft__log_init();
    const char *want = weft__config_str(WEFT_CFG_CPU_ISA);
    int parsed = isa_parse(want);
    if (parsed < 0) {
        WEFT_WARN("WEFT_CPU_ISA=%s is not one of auto, generic, avx, avx2, avx512; using auto",
                  want);
        parsed = ISA_COUNT;
    }
    isa_level_t level;
    if (parsed == ISA_COUNT) {
        level = isa_best_up_to(ISA_AVX512);
    } else {
        level = isa_best_up_to((isa_level_t)parsed);
        if ((int)level != parsed)
            WEFT_INFO("WEFT_CPU_ISA=%s: this CPU lacks it, reductions use %s", want,
                      isa_names[level]);
    }
    WEFT_TRACE("reduction kernels: %s", isa_names[level]);
    atomic_store_explicit(&isa_active, isa_tables[level], memory_order_release);
}

const weft__reduce_kernels_t *weft__reduce_kernels(void)
{
    const weft__reduce_kernels_t *k = atomic_load_explicit(&isa_active, memory_order_acquire);
    if (WEFT_UNLIKELY(k == NULL)) {
        pthread_once(&isa_once, isa_choose_once);
        k = atomic_load_explicit(&isa_active, memory_order_acquire);
    }
    return k;
}

const char *weft__reduce_isa(void)
{
    return weft__reduce_kernels()->name;
}

/* "auto" is accepted too: back to the best this CPU has (tests use it to
 * undo a forced level). */
int weft__reduce_force_isa(const char *isa)
{
    int parsed = isa == NULL ? -1 : isa_parse(isa);
    if (parsed < 0)
        return -1;
    isa_level_t level = parsed == ISA_COUNT ? isa_best_up_to(ISA_AVX512) : (isa_level_t)parsed;
    if (!isa_supported(level))
        return -1;
    /* Run the one-time choice first, so that it cannot overwrite us later. */
    pthread_once(&isa_once, isa_choose_once);
    atomic_store_explicit(&isa_active, isa_tables[level], memory_order_release);
    return 0;
}
