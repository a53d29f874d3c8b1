/*
 * file_print.c - JSON text for people: a dumped topology file should read
 * like the hand-written ones in topology/systems/, one device per line.
 * cJSON's own formatter puts every member on a line of its own; this one
 * keeps an object or array on one line when it fits in WIDTH columns and
 * breaks it one member per line otherwise.  Scalars are printed by cJSON
 * (exact doubles, escaped strings).
 */
#include "topology/file_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH 100

typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} buf_t;

static void put(buf_t *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void puts_(buf_t *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_key(buf_t *b, const char *key)
{
    puts_(b, "\"");
    for (const char *p = key; *p != '\0'; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = *p;
            put(b, esc, 2);
        } else if ((unsigned char)*p < ' ') {
            snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*p);
            puts_(b, esc);
        } else {
            put(b, p, 1);
        }
    }
    puts_(b, "\": ");
}

static void put_scalar(buf_t *b, const cJSON *item)
{
    char *s = cJSON_PrintUnformatted(item);
    if (s == NULL) {
        b->failed = 1;
        return;
    }
    puts_(b, s);
    cJSON_free(s);
}

static void put_inline(buf_t *b, const cJSON *item)
{
    int obj = cJSON_IsObject(item);
    if (!obj && !cJSON_IsArray(item)) {
        put_scalar(b, item);
        return;
    }
    puts_(b, obj ? "{" : "[");
    for (const cJSON *c = item->child; c != NULL; c = c->next) {
        if (obj)
            put_key(b, c->string != NULL ? c->string : "");
        put_inline(b, c);
        if (c->next != NULL)
            puts_(b, ", ");
    }
    puts_(b, obj ? "}" : "]");
}

static size_t inline_width(const cJSON *item)
{
    buf_t tmp = {0};
    put_inline(&tmp, item);
    size_t n = tmp.failed ? (size_t)-1 : tmp.len;
    free(tmp.s);
    return n;
}

static void put_pretty(buf_t *b, const cJSON *item, int indent, size_t prefix)
{
    int obj = cJSON_IsObject(item);
    if ((!obj && !cJSON_IsArray(item)) || item->child == NULL ||
        (indent > 0 && prefix + inline_width(item) <= WIDTH)) {
        put_inline(b, item);
        return;
    }
    char pad[64];
    int n = indent + 2 < (int)sizeof(pad) ? indent + 2 : (int)sizeof(pad) - 1;
    memset(pad, ' ', (size_t)n);
    pad[n] = '\0';
    puts_(b, obj ? "{\n" : "[\n");
    for (const cJSON *c = item->child; c != NULL; c = c->next) {
        size_t start = b->len;
        puts_(b, pad);
        if (obj)
            put_key(b, c->string != NULL ? c->string : "");
        put_pretty(b, c, n, b->len - start);
        puts_(b, c->next != NULL ? ",\n" : "\n");
    }
    put(b, pad, (size_t)(indent < n ? indent : n));
    puts_(b, obj ? "}" : "]");
}

char *weft__json_pretty(const cJSON *root)
{
    buf_t b = {0};
    put_pretty(&b, root, 0, 0);
    puts_(&b, "\n");
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
