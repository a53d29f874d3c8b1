/*
 * api_config.c - weft_comm_init_rank_config: joining a communicator with
 * settings of its own (a deadline, a check level) rather than only those
 * of the environment, so that one process can hold communicators with
 * different timeouts.
 *
 * weft_config_t is versioned: `size` is what the caller's weft.h said, and
 * only fields that fit in it are read, so a program built against an
 * older, smaller weft_config_t keeps working when the struct grows.  A
 * `version` newer than this library's is refused by name rather than
 * half understood.
 */
#include "core/comm.h"
#include "util/log.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* The bytes a caller must provide for version 1's fields. */
#define CONFIG_V1_BYTES (offsetof(weft_config_t, check) + sizeof(int))

static weft_status_t check_config(const weft_config_t *c)
{
    if (c->size < CONFIG_V1_BYTES || c->size > 4096)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "config->size is %zu; it must be sizeof(weft_config_t) (%zu here): "
                           "start from WEFT_CONFIG_INITIALIZER", c->size, sizeof(weft_config_t));
    if (c->version < 1 || c->version > WEFT_CONFIG_VERSION)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "config->version is %u; this weft knows versions 1 to %d: start "
                           "from WEFT_CONFIG_INITIALIZER", c->version, WEFT_CONFIG_VERSION);
    if (isnan(c->timeout_s) || isinf(c->timeout_s))
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "config->timeout_s is not a finite number of seconds (<= 0 means "
                           "WEFT_TIMEOUT)");
    if (c->check < WEFT_CHECK_DEFAULT || c->check > WEFT_CHECK_FULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT,
                           "config->check is %d; it must be a weft_check_t (WEFT_CHECK_DEFAULT, "
                           "_OFF, _HEADER or _FULL)", c->check);
    return WEFT_OK;
}

void weft__config_copy(const weft_config_t *in, weft_config_t *out)
{
    const weft_config_t defaults = WEFT_CONFIG_INITIALIZER;
    *out = defaults;
    if (in != NULL)
        memcpy(out, in, in->size < sizeof(*out) ? in->size : sizeof(*out));
    out->size = sizeof(*out);
    out->version = WEFT_CONFIG_VERSION;
}

WEFT_EXPORT weft_status_t weft_comm_init_rank_config(int nranks, const weft_unique_id_t *id,
                                                     int rank, const weft_config_t *config,
                                                     weft_comm_t *comm_p)
{
    weft__clear_error();
    if (comm_p == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "comm_p is NULL");
    if (id == NULL)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "id is NULL");
    if (nranks < 1)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "nranks is %d; it must be at least 1",
                           nranks);
    if (rank < 0 || rank >= nranks)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "rank %d is out of range [0, %d)", rank,
                           nranks);
    weft_status_t st = config != NULL ? check_config(config) : WEFT_OK;
    if (st != WEFT_OK)
        return st;
    weft__uid_t uid;
    st = weft__uid_decode(id, &uid);
    if (st != WEFT_OK)
        return st;
    return weft__comm_create_config(nranks, id, rank, config, comm_p);
}
