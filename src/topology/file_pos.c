/*
 * file_pos.c - where each item of a parsed JSON document is in its text,
 * so that errors can name a line (cJSON keeps no positions).
 *
 * The walk follows the tree cJSON built and the text side by side: an
 * object's members and an array's elements appear in the text in the
 * order of the tree's children.  The text is known to be valid JSON by
 * then (cJSON accepted it), so the walk only has to skip what cJSON
 * skipped -- whitespace (every byte up to the space, as cJSON counts it),
 * strings with their escapes, and scalar tokens -- yet it checks every
 * step and gives up (no positions) rather than read past the text.
 */
#include "topology/file_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

typedef struct {
    weft__json_doc_t *doc;
    size_t p;
} walk_t;

static void skip_ws(walk_t *w)
{
    while (w->p < w->doc->len && (unsigned char)w->doc->text[w->p] <= ' ')
        w->p++;
}

static int at(walk_t *w, char c)
{
    return w->p < w->doc->len && w->doc->text[w->p] == c;
}

static int skip_string(walk_t *w)
{
    if (!at(w, '"'))
        return -1;
    for (w->p++; w->p < w->doc->len; w->p++) {
        char c = w->doc->text[w->p];
        if (c == '\\')
            w->p++;
        else if (c == '"') {
            w->p++;
            return 0;
        }
    }
    return -1;
}

static int skip_token(walk_t *w)
{
    size_t start = w->p;
    while (w->p < w->doc->len) {
        char c = w->doc->text[w->p];
        if ((unsigned char)c <= ' ' || c == ',' || c == ']' || c == '}')
            break;
        w->p++;
    }
    return w->p > start ? 0 : -1;
}

static int record(walk_t *w, const cJSON *item, int parent, size_t pos)
{
    weft__json_doc_t *d = w->doc;
    if (d->npos == d->cap) {
        int cap = d->cap > 0 ? d->cap * 2 : 64;
        weft__json_pos_t *p = realloc(d->pos, sizeof(*p) * (size_t)cap);
        if (p == NULL)
            return -1;
        d->pos = p;
        d->cap = cap;
    }
    d->pos[d->npos] = (weft__json_pos_t){item, parent, pos};
    return d->npos++;
}

static int walk_value(walk_t *w, const cJSON *item, int parent, size_t pos);

/* The children of an object (keyed) or array, between open and close. */
static int walk_children(walk_t *w, const cJSON *item, int me, char open, char close, int keyed)
{
    if (!at(w, open))
        return -1;
    w->p++;
    for (const cJSON *c = item->child; c != NULL; c = c->next) {
        skip_ws(w);
        if (c != item->child) {
            if (!at(w, ','))
                return -1;
            w->p++;
            skip_ws(w);
        }
        size_t pos = w->p;
        if (keyed) {
            if (skip_string(w) != 0)
                return -1;
            skip_ws(w);
            if (!at(w, ':'))
                return -1;
            w->p++;
            skip_ws(w);
        }
        if (walk_value(w, c, me, pos) != 0)
            return -1;
    }
    skip_ws(w);
    if (!at(w, close))
        return -1;
    w->p++;
    return 0;
}

static int walk_value(walk_t *w, const cJSON *item, int parent, size_t pos)
{
    int me = record(w, item, parent, pos);
    if (me < 0)
        return -1;
    if (cJSON_IsObject(item))
        return walk_children(w, item, me, '{', '}', 1);
    if (cJSON_IsArray(item))
        return walk_children(w, item, me, '[', ']', 0);
    if (cJSON_IsString(item))
        return skip_string(w);
    return skip_token(w);
}

int weft__json_positions(weft__json_doc_t *doc, const cJSON *root)
{
    walk_t w = {doc, 0};
    if (doc->len >= 3 && memcmp(doc->text, "\xEF\xBB\xBF", 3) == 0)
        w.p = 3; /* cJSON skips a UTF-8 byte order mark */
    skip_ws(&w);
    if (walk_value(&w, root, -1, w.p) != 0) {
        free(doc->pos);
        doc->pos = NULL;
        doc->npos = doc->cap = 0;
        return -1;
    }
    return 0;
}

void weft__json_free(weft__json_doc_t *doc)
{
    free(doc->pos);
    doc->pos = NULL;
    doc->npos = doc->cap = 0;
}

int weft__json_line_at(const weft__json_doc_t *doc, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos && i < doc->len; i++)
        line += doc->text[i] == '\n';
    return line;
}

static int find(const weft__json_doc_t *doc, const cJSON *item)
{
    for (int i = 0; item != NULL && i < doc->npos; i++) {
        if (doc->pos[i].item == item)
            return i;
    }
    return -1;
}

/* "gpus[3].nvlinks.9": the parents' keys and indices, root first. */
static void field_path(const weft__json_doc_t *doc, int e, char *buf, size_t size)
{
    if (e < 0 || doc->pos[e].parent < 0) {
        snprintf(buf, size, "%s", e < 0 ? "?" : "(top level)");
        return;
    }
    int chain[64], n = 0;
    for (int i = e; i >= 0 && doc->pos[i].parent >= 0 && n < 64; i = doc->pos[i].parent)
        chain[n++] = i;
    size_t used = 0;
    buf[0] = '\0';
    for (int k = n - 1; k >= 0 && used < size; k--) {
        const weft__json_pos_t *p = &doc->pos[chain[k]];
        const cJSON *parent = doc->pos[p->parent].item;
        int w;
        if (cJSON_IsArray(parent)) {
            int idx = 0;
            for (const cJSON *c = parent->child; c != NULL && c != p->item; c = c->next)
                idx++;
            w = snprintf(buf + used, size - used, "[%d]", idx);
        } else {
            const char *key = p->item->string != NULL ? p->item->string : "?";
            w = snprintf(buf + used, size - used, "%s%.40s", used > 0 ? "." : "", key);
        }
        used += w > 0 ? (size_t)w : 0;
    }
}

weft_status_t weft__json_error(const weft__json_doc_t *doc, const cJSON *item, const char *fmt, ...)
{
    char what[256], field[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    int e = find(doc, item);
    field_path(doc, e, field, sizeof(field));
    if (e < 0)
        return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s: %s", doc->name, what);
    return weft__error(WEFT_ERR_INVALID_ARGUMENT, "%s:%d: %s: %s", doc->name,
                       weft__json_line_at(doc, doc->pos[e].pos), field, what);
}
