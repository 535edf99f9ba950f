/* data.c - toy data sets from the core's RNG, a two-pass CSV reader over a memory buffer, standardisation. */
#include "data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h" /* dyn_sin, dyn_cos: the same points natively and in WebAssembly */
#include "rng.h"

#define PI 3.14159265358979323846

static int bad(double x) { return isnan(x) || isinf(x); }

/* ------------------------------------------------------------------ toy sets */

static const char *const TOY_NAMES[DYN_TOY_COUNT] = {"spirals", "moons", "circles", "xor", "blobs"};

const char *dyn_toy_name(dyn_toy t) { return ((int)t >= 0 && t < DYN_TOY_COUNT) ? TOY_NAMES[t] : NULL; }

dyn_status dyn_toy_parse(const char *name, dyn_toy *out)
{
    if (!name || !out) return DYN_ERR_NULL;
    for (int i = 0; i < DYN_TOY_COUNT; i++)
        if (strcmp(name, TOY_NAMES[i]) == 0) return *out = (dyn_toy)i, DYN_OK;
    return DYN_ERR_UNKNOWN_NAME;
}

dyn_status dyn_data_toy(const dyn_toy_desc *d, double *x, size_t x_len, double *y, size_t y_len, int *n_class)
{
    if (!d || !x || !y) return DYN_ERR_NULL;
    if (bad(d->noise)) return DYN_ERR_NAN;
    if ((int)d->kind < 0 || d->kind >= DYN_TOY_COUNT || d->noise < 0.0 || d->noise > 10.0) return DYN_ERR_RANGE;
    int n = d->n ? d->n : 400, k = d->classes;
    if (n < 2 || n > DYN_DATA_MAX_N) return DYN_ERR_SIZE;
    if (d->kind == DYN_TOY_SPIRALS) {
        if (k == 0) k = 2;
        if (k < 2 || k > 8) return DYN_ERR_RANGE;
    } else if (d->kind == DYN_TOY_BLOBS) {
        if (k == 0) k = 3;
        if (k < 2 || k > 16) return DYN_ERR_RANGE;
    } else {
        if (k != 0 && k != 2) return DYN_ERR_RANGE;
        k = 2;
    }
    if (n < k) return DYN_ERR_SIZE;
    if (x_len < 2 * (size_t)n || y_len < (size_t)n) return DYN_ERR_BUFFER;
    dyn_rng r;
    dyn_rng_seed(&r, d->seed);
    int per = n / k; /* class c has per (+1 for c < n mod k) examples; i-th of its class is j */
    for (int e = 0; e < n; e++) {
        int c = e % k, j = e / k, nc = per + (c < n % k ? 1 : 0);
        double t = nc > 1 ? (double)j / (nc - 1) : 0.0, u = dyn_rng_uniform(&r), px, py;
        switch (d->kind) {
        case DYN_TOY_SPIRALS: { /* radius grows linearly with the angle; arms rotated by 2 pi / k */
            double rad = 0.05 + 0.95 * t, ang = 3.5 * PI * t + 2.0 * PI * c / k;
            px = rad * dyn_cos(ang);
            py = rad * dyn_sin(ang);
            break;
        }
        case DYN_TOY_MOONS: { /* make_moons: upper arc from (1,0) to (-1,0); lower arc shifted by (1, 0.5) */
            double a = PI * u;
            if (c == 0) px = dyn_cos(a), py = dyn_sin(a);
            else px = 1.0 - dyn_cos(a), py = 0.5 - dyn_sin(a);
            px -= 0.5;
            py -= 0.25;
            break;
        }
        case DYN_TOY_CIRCLES: {
            double a = 2.0 * PI * u, rad = c == 0 ? 1.0 : 0.5;
            px = rad * dyn_cos(a);
            py = rad * dyn_sin(a);
            break;
        }
        case DYN_TOY_XOR: { /* class 0: quadrants (+,+) and (-,-); class 1: (-,+) and (+,-), one chosen at random */
            double sg = (dyn_rng_u64(&r) >> 63) ? 1.0 : -1.0;
            px = sg + 0.25 * dyn_rng_normal(&r);
            py = (c == 0 ? sg : -sg) + 0.25 * dyn_rng_normal(&r);
            break;
        }
        default: { /* blobs */
            double a = 2.0 * PI * c / k;
            px = 1.5 * dyn_cos(a) + 0.3 * dyn_rng_normal(&r);
            py = 1.5 * dyn_sin(a) + 0.3 * dyn_rng_normal(&r);
            break;
        }
        }
        if (d->noise > 0.0) {
            px += d->noise * dyn_rng_normal(&r);
            py += d->noise * dyn_rng_normal(&r);
        }
        x[2 * e] = px;
        x[2 * e + 1] = py;
        y[e] = c;
    }
    if (n_class) *n_class = k;
    return DYN_OK;
}

/* ------------------------------------------------------------------ CSV */

/* one line of the buffer: [s, e) without the line ending */
typedef struct cursor {
    const char *buf;
    size_t len, pos;
    int line;
} cursor;

static int next_line(cursor *c, const char **s, const char **e)
{
    if (c->pos >= c->len) return 0;
    const char *p = c->buf + c->pos, *end = c->buf + c->len, *q = memchr(p, '\n', (size_t)(end - p));
    if (!q) q = end;
    c->pos = (size_t)(q - c->buf) + 1;
    c->line++;
    *s = p;
    *e = (q > p && q[-1] == '\r') ? q - 1 : q;
    return 1;
}

static int blank(const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    return s == e || *s == '#';
}

/* parse field [s, e) as a finite number; 1 on success */
static int field_num(const char *s, const char *e, double *v)
{
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if (s == e || e - s > 63) return 0;
    char b[64];
    memcpy(b, s, (size_t)(e - s));
    b[e - s] = 0;
    char *end;
    errno = 0;
    *v = strtod(b, &end);
    if (*end || end == b || bad(*v)) return 0;
    /* strtod accepts hex floats and "infinity"; CSVs mean decimal numbers */
    for (const char *p = b; *p; p++)
        if (*p == 'x' || *p == 'X' || *p == 'n' || *p == 'N' || *p == 'i' || *p == 'I') return 0;
    return 1;
}

static int count_fields(const char *s, const char *e)
{
    int n = 1;
    for (const char *p = s; p < e; p++) n += *p == ',';
    return n;
}

static void quote(char *out, size_t cap, const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    size_t n = (size_t)(e - s);
    if (n > 24) snprintf(out, cap, "%.24s...", s);
    else snprintf(out, cap, "%.*s", (int)n, s);
}

/* find v among the n sorted class values; -1 if absent */
static int find_class(const double *cv, int n, double v)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (cv[mid] == v) return mid;
        if (cv[mid] < v) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* both passes: y NULL on the scan (x is NULL there, and for one column) */
static dyn_status csv_pass(const char *buf, size_t len, int classify, dyn_csv_info *info, double *x, double *y)
{
    cursor c = {buf, len, 0, 0};
    /* a UTF-8 byte order mark (spreadsheets write one) is not part of the first field */
    if (len >= 3 && (unsigned char)buf[0] == 0xef && (unsigned char)buf[1] == 0xbb && (unsigned char)buf[2] == 0xbf)
        c.pos = 3;
    if (len > DYN_DATA_MAX_BYTES) {
        info->err_line = 0;
        snprintf(info->err, sizeof info->err, "%zu bytes of text, more than the %ld allowed", len,
                 (long)DYN_DATA_MAX_BYTES);
        return DYN_ERR_SIZE;
    }
    int one_column = classify == DYN_CSV_ONE_COLUMN;
    if (one_column) classify = 0;
    const char *s, *e;
    int first = 1, fields = 0, fields_line = 0, rows = 0, nclass = 0;
    double label0 = 0.0;
    int one_label = 1;
    if (!y) info->n_class = 0;
    while (next_line(&c, &s, &e)) {
        /* a NUL or another control byte means binary data, not text: strtod would stop at a NUL and read
         * "3\0junk" as 3. Tabs are spaces here; the line's \n (and the \r before it) are already cut off. */
        for (const char *p = s; p < e; p++)
            if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
                info->err_line = c.line;
                snprintf(info->err, sizeof info->err,
                         "line %d, byte %d: a control character (0x%02x); is this a text CSV file?", c.line,
                         (int)(p - s) + 1, (unsigned)(unsigned char)*p);
                return DYN_ERR_RANGE;
            }
        if (blank(s, e)) continue;
        int nf = count_fields(s, e);
        /* which fields are numbers? the first non-number and, for the header rule, the first number */
        const char *p = s;
        int fi = 0, numeric = 1, badf = -1, numf = -1;
        const char *bs = NULL, *be = NULL;
        double v = 0.0;
        while (1) {
            const char *q = memchr(p, ',', (size_t)(e - p));
            if (!q) q = e;
            if (!field_num(p, q, &v)) {
                numeric = 0;
                if (badf < 0) badf = fi, bs = p, be = q;
            } else {
                if (numf < 0) numf = fi;
                if (y && numeric) {
                    if (fi < nf - 1) x[(size_t)rows * (nf - 1) + fi] = v;
                    else y[rows] = classify ? (double)find_class(info->class_values, info->n_class, v) : v;
                }
            }
            fi++;
            if (q == e) break;
            p = q + 1;
        }
        int first_line = first;
        if (first) {
            first = 0;
            if (numf < 0) { /* a header line: no field is a number */
                fields = nf;
                fields_line = c.line;
                continue;
            }
        }
        if (one_column && nf != 1) {
            info->err_line = c.line;
            snprintf(info->err, sizeof info->err, "line %d: %d fields; this file must have one column of values", c.line,
                     nf);
            return DYN_ERR_RANGE;
        }
        if (!one_column && nf < 2) {
            info->err_line = c.line;
            snprintf(info->err, sizeof info->err, "line %d: need at least 2 fields (features, then the label)", c.line);
            return DYN_ERR_RANGE;
        }
        if (fields && nf != fields) {
            info->err_line = c.line;
            snprintf(info->err, sizeof info->err, "line %d: %d fields, but line %d has %d", c.line, nf, fields_line,
                     fields);
            return DYN_ERR_RANGE;
        }
        if (!fields) fields = nf, fields_line = c.line;
        if (!numeric) {
            char qs[40];
            quote(qs, sizeof qs, bs, be);
            info->err_line = c.line;
            if (!qs[0])
                snprintf(info->err, sizeof info->err, "line %d, field %d is empty", c.line, badf + 1);
            else if (first_line)
                snprintf(info->err, sizeof info->err,
                         "line %d, field %d: '%s' is not a number, and field %d is, so this is not a header line",
                         c.line, badf + 1, qs, numf + 1);
            else
                snprintf(info->err, sizeof info->err, "line %d, field %d: '%s' is not a number", c.line, badf + 1, qs);
            return DYN_ERR_RANGE;
        }
        if (nf - 1 > DYN_DATA_MAX_D) {
            info->err_line = c.line;
            snprintf(info->err, sizeof info->err, "line %d: %d features, more than the %d allowed", c.line, nf - 1,
                     DYN_DATA_MAX_D);
            return DYN_ERR_SIZE;
        }
        if (rows >= DYN_DATA_MAX_N || (long long)(rows + 1) * (nf - 1) > DYN_DATA_MAX_CELLS) {
            info->err_line = c.line;
            if (rows >= DYN_DATA_MAX_N)
                snprintf(info->err, sizeof info->err, "line %d: more than %d data rows", c.line, DYN_DATA_MAX_N);
            else
                snprintf(info->err, sizeof info->err, "line %d: more than %ld feature values (rows x features)",
                         c.line, (long)DYN_DATA_MAX_CELLS);
            return DYN_ERR_SIZE;
        }
        if (!y && classify) { /* collect the distinct labels, kept sorted (insertion: at most 256) */
            if (rows == 0) label0 = v;
            else if (v != label0) one_label = 0;
            if (find_class(info->class_values, nclass, v) < 0) {
                if (nclass == DYN_DATA_MAX_CLASS) {
                    info->err_line = c.line;
                    snprintf(info->err, sizeof info->err,
                             "line %d: more than %d distinct labels; is the last column a regression target?",
                             c.line, DYN_DATA_MAX_CLASS);
                    return DYN_ERR_RANGE;
                }
                int i = nclass++;
                while (i > 0 && info->class_values[i - 1] > v) {
                    info->class_values[i] = info->class_values[i - 1];
                    i--;
                }
                info->class_values[i] = v;
                info->n_class = nclass;
            }
        }
        rows++;
    }
    if (rows == 0) {
        info->err_line = 0;
        snprintf(info->err, sizeof info->err, "no data rows (the file is empty or has only a header and comments)");
        return DYN_ERR_RANGE;
    }
    if (!y && classify && one_label) {
        char b[32];
        snprintf(b, sizeof b, "%.15g", label0);
        info->err_line = 0;
        snprintf(info->err, sizeof info->err, "all %d rows have the label %s: classification needs at least 2 classes",
                 rows, b);
        return DYN_ERR_RANGE;
    }
    info->rows = rows;
    info->cols = fields - 1;
    return DYN_OK;
}

dyn_status dyn_data_csv_scan(const char *buf, size_t len, int classify, dyn_csv_info *info)
{
    if (!info) return DYN_ERR_NULL;
    memset(info, 0, sizeof *info);
    if (!buf && len) return DYN_ERR_NULL;
    return csv_pass(buf ? buf : "", len, classify, info, NULL, NULL);
}

dyn_status dyn_data_csv_parse(const char *buf, size_t len, int classify, dyn_csv_info *info, double *x,
                              size_t x_len, double *y, size_t y_len)
{
    if (!info || !y) return DYN_ERR_NULL;
    dyn_status st = dyn_data_csv_scan(buf, len, classify, info);
    if (st) return st;
    if (!x && info->cols > 0) return DYN_ERR_NULL;
    if (x_len < (size_t)info->rows * (size_t)info->cols || y_len < (size_t)info->rows) return DYN_ERR_BUFFER;
    return csv_pass(buf, len, classify, info, x, y);
}

dyn_status dyn_data_standardize(double *x, int n, int d, double *mean, double *sd)
{
    if (!x) return DYN_ERR_NULL;
    if (n < 1 || d < 1 || n > DYN_DATA_MAX_N || d > DYN_DATA_MAX_D) return DYN_ERR_SIZE;
    for (int j = 0; j < d; j++) {
        double m = 0.0, v = 0.0;
        for (int i = 0; i < n; i++) m += x[(size_t)i * d + j];
        m /= n;
        for (int i = 0; i < n; i++) {
            double t = x[(size_t)i * d + j] - m;
            v += t * t;
        }
        double s = sqrt(v / n);
        for (int i = 0; i < n; i++) {
            double t = x[(size_t)i * d + j] - m;
            x[(size_t)i * d + j] = s > 0.0 ? t / s : t;
        }
        if (mean) mean[j] = m;
        if (sd) sd[j] = s > 0.0 ? s : 1.0;
    }
    return DYN_OK;
}
