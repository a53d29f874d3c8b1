/*
 * file_get.c - typed, checked access to the members of a topology file's
 * objects.  Every check that fails names the field and its line through
 * weft__json_error; a member that is absent leaves the caller's default.
 */
#include "topology/file_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *type_name(const cJSON *item)
{
    if (cJSON_IsObject(item))
        return "an object";
    if (cJSON_IsArray(item))
        return "an array";
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsBool(item))
        return "a boolean";
    if (cJSON_IsNull(item))
        return "null";
    return "something else";
}

weft_status_t weft__json_is_object(const weft__json_doc_t *doc, const cJSON *item)
{
    if (cJSON_IsObject(item))
        return WEFT_OK;
    return weft__json_error(doc, item, "expected an object, got %s", type_name(item));
}

weft_status_t weft__json_keys(const weft__json_doc_t *doc, const cJSON *obj,
                              const char *const *allowed)
{
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        const char *key = c->string != NULL ? c->string : "";
        int known = 0;
        for (int i = 0; allowed[i] != NULL && !known; i++)
            known = strcmp(allowed[i], key) == 0;
        if (!known) {
            char list[200] = "";
            size_t used = 0;
            for (int i = 0; allowed[i] != NULL && used < sizeof(list); i++) {
                int w =
                    snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", allowed[i]);
                used += w > 0 ? (size_t)w : 0;
            }
            return weft__json_error(doc, c, "unknown key \"%.40s\" (known: %s)", key, list);
        }
        for (const cJSON *d = obj->child; d != c; d = d->next) {
            if (d->string != NULL && strcmp(d->string, key) == 0)
                return weft__json_error(doc, c, "\"%.40s\" given twice", key);
        }
    }
    return WEFT_OK;
}

weft_status_t weft__json_need(const weft__json_doc_t *doc, const cJSON *obj, const char *key)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
        return WEFT_OK;
    return weft__json_error(doc, obj, "missing \"%s\"", key);
}

weft_status_t weft__json_int(const weft__json_doc_t *doc, const cJSON *obj, const char *key,
                             long lo, long hi, int *v_p)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return item == NULL ? WEFT_OK : weft__json_int_item(doc, item, lo, hi, v_p);
}

weft_status_t weft__json_int_item(const weft__json_doc_t *doc, const cJSON *item, long lo, long hi,
                                  int *v_p)
{
    if (!cJSON_IsNumber(item))
        return weft__json_error(doc, item, "expected an integer, got %s", type_name(item));
    double v = item->valuedouble;
    if (!isfinite(v) || v != floor(v))
        return weft__json_error(doc, item, "expected an integer, got %g", v);
    if (v < (double)lo || v > (double)hi)
        return weft__json_error(doc, item, "%.0f is out of range (%ld to %ld)", v, lo, hi);
    *v_p = (int)v;
    return WEFT_OK;
}

weft_status_t weft__json_num(const weft__json_doc_t *doc, const cJSON *obj, const char *key,
                             double lo, int lo_open, double *v_p)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (item == NULL)
        return WEFT_OK;
    if (!cJSON_IsNumber(item))
        return weft__json_error(doc, item, "expected a number, got %s", type_name(item));
    double v = item->valuedouble;
    if (!isfinite(v))
        return weft__json_error(doc, item, "the number is too large");
    if (lo_open ? v <= lo : v < lo)
        return weft__json_error(doc, item, "must be %s %g (got %g)", lo_open ? ">" : ">=", lo, v);
    *v_p = v;
    return WEFT_OK;
}

weft_status_t weft__json_bool(const weft__json_doc_t *doc, const cJSON *obj, const char *key,
                              int *v_p)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (item == NULL)
        return WEFT_OK;
    if (!cJSON_IsBool(item))
        return weft__json_error(doc, item, "expected true or false, got %s", type_name(item));
    *v_p = cJSON_IsTrue(item) ? 1 : 0;
    return WEFT_OK;
}

weft_status_t weft__json_str(const weft__json_doc_t *doc, const cJSON *obj, const char *key,
                             char *buf, size_t size)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (item == NULL)
        return WEFT_OK;
    if (!cJSON_IsString(item) || item->valuestring == NULL)
        return weft__json_error(doc, item, "expected a string, got %s", type_name(item));
    size_t n = strlen(item->valuestring);
    if (n >= size)
        return weft__json_error(doc, item, "longer than %zu characters", size - 1);
    memcpy(buf, item->valuestring, n + 1);
    return WEFT_OK;
}

weft_status_t weft__json_text(const weft__json_doc_t *doc, const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (item == NULL || cJSON_IsString(item))
        return WEFT_OK;
    if (!cJSON_IsArray(item))
        return weft__json_error(doc, item, "expected a string or an array of strings, got %s",
                                type_name(item));
    for (const cJSON *c = item->child; c != NULL; c = c->next) {
        if (!cJSON_IsString(c))
            return weft__json_error(doc, c, "expected a string, got %s", type_name(c));
    }
    return WEFT_OK;
}
