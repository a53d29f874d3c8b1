/*
 * file_json.h - reading a topology file's JSON with errors that name the
 * file, the line and the field.
 *
 * cJSON parses the text but keeps no positions, so after a successful
 * parse file_pos.c walks the text once more in step with the parsed tree
 * and records where each item starts (a member at its key, an array
 * element at its value) and who its parent is.  Any error about an item
 * can then say "dgx.json:14: gpus[3].nvlinks.9: ...".  The typed getters
 * of file_get.c check type, range and unknown keys and report through the
 * same path.
 */
#ifndef WEFT_TOPOLOGY_FILE_JSON_H
#define WEFT_TOPOLOGY_FILE_JSON_H

#include "util/compiler.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <weft.h>

typedef struct {
    const cJSON *item;
    int parent; /* entry of the enclosing object or array; -1 for the root */
    size_t pos; /* offset of the member's key, or of the element's value */
} weft__json_pos_t;

typedef struct {
    const char *name; /* the file, as errors name it */
    const char *text;
    size_t len;
    weft__json_pos_t *pos; /* in text order; NULL if the walk failed */
    int npos, cap;
} weft__json_doc_t;

/* Records the positions of root and everything in it; -1 (no positions,
 * errors then lack a line) if the text does not match the tree. */
int weft__json_positions(weft__json_doc_t *doc, const cJSON *root);
void weft__json_free(weft__json_doc_t *doc);
/* 1-based line of offset `pos` of the text. */
int weft__json_line_at(const weft__json_doc_t *doc, size_t pos);

/* Records and returns WEFT_ERR_INVALID_ARGUMENT with the message
 * "<file>:<line>: <field path>: <what>". */
weft_status_t weft__json_error(const weft__json_doc_t *doc, const cJSON *item, const char *fmt, ...)
    WEFT_PRINTF(3, 4);

/* Typed access.  A getter leaves *v_p alone when the key is absent (the
 * caller's default stands); a present value of the wrong type or out of
 * range is an error. */
weft_status_t weft__json_keys(const weft__json_doc_t *doc, const cJSON *obj,
                              const char *const *allowed);
weft_status_t weft__json_need(const weft__json_doc_t *doc, const cJSON *obj, const char *key);
weft_status_t weft__json_is_object(const weft__json_doc_t *doc, const cJSON *item);
weft_status_t weft__json_int(const weft__json_doc_t *doc, const cJSON *obj, const char *key,
                             long lo, long hi, int *v_p);
weft_status_t weft__json_int_item(const weft__json_doc_t *doc, const cJSON *item, long lo, long hi,
                                  int *v_p);
/* A finite number >= lo (> lo when lo_open). */
weft_status_t weft__json_num(const weft__json_doc_t *doc, const cJSON *obj, const char *key,
                             double lo, int lo_open, double *v_p);
weft_status_t weft__json_bool(const weft__json_doc_t *doc, const cJSON *obj, const char *key,
                              int *v_p);
weft_status_t weft__json_str(const weft__json_doc_t *doc, const cJSON *obj, const char *key,
                             char *buf, size_t size);
/* A string or an array of strings (free text: "sources", "notes"). */
weft_status_t weft__json_text(const weft__json_doc_t *doc, const cJSON *obj, const char *key);

/* The document as text for people (file_print.c); malloc'd, NULL if out
 * of memory. */
char *weft__json_pretty(const cJSON *root);

#endif
