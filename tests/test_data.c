/* test_data.c - toy data sets (shapes, classes, seeds) and the CSV reader's promised messages, line by line. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data.h"

static void test_toys(void)
{
    enum { N = 301 };
    double x[2 * N], y[N], x2[2 * N], y2[N];
    for (int t = 0; t < DYN_TOY_COUNT; t++) {
        dyn_toy_desc d = {(dyn_toy)t, N, 0, 0.1, 4};
        int k = 0, cnt[16] = {0};
        CHECK(dyn_data_toy(&d, x, 2 * N, y, N, &k) == DYN_OK, "%s", dyn_toy_name((dyn_toy)t));
        for (int i = 0; i < N; i++) cnt[(int)y[i]]++;
        /* N = 301 = k q + r: the first r classes get one more */
        for (int c = 0; c < k; c++) CHECK(cnt[c] == N / k + (c < N % k), "%s class %d has %d", dyn_toy_name((dyn_toy)t), c, cnt[c]);
        dyn_data_toy(&d, x2, 2 * N, y2, N, &k);
        CHECK(memcmp(x, x2, sizeof x) == 0, "%s: the same seed gives the same set", dyn_toy_name((dyn_toy)t));
        d.seed = 5;
        dyn_data_toy(&d, x2, 2 * N, y2, N, &k);
        CHECK(memcmp(x, x2, sizeof x) != 0, "%s: another seed another set", dyn_toy_name((dyn_toy)t));
        dyn_toy tt;
        CHECK(dyn_toy_parse(dyn_toy_name((dyn_toy)t), &tt) == DYN_OK && tt == (dyn_toy)t, "name round trip");
    }
    /* geometry without noise: circles have radii 1 and 0.5; spirals stay in the unit disc; xor's label is the
     * quadrant parity of its cluster (clusters have sd 0.25, so the sign of x y agrees for nearly all points) */
    dyn_toy_desc c = {DYN_TOY_CIRCLES, N, 0, 0.0, 1};
    int k;
    dyn_data_toy(&c, x, 2 * N, y, N, &k);
    double worst = 0.0;
    for (int i = 0; i < N; i++) worst = fmax(worst, fabs(hypot(x[2 * i], x[2 * i + 1]) - (y[i] == 0 ? 1.0 : 0.5)));
    CHECK(worst < 1e-15, "circles: radii 1 and 0.5 (%.3g)", worst);
    dyn_toy_desc s = {DYN_TOY_SPIRALS, N, 3, 0.0, 1};
    dyn_data_toy(&s, x, 2 * N, y, N, &k);
    CHECK(k == 3, "three spirals");
    worst = 0.0;
    for (int i = 0; i < N; i++) worst = fmax(worst, hypot(x[2 * i], x[2 * i + 1]));
    CHECK(worst <= 1.0 + 1e-15, "spirals in the unit disc");
    dyn_toy_desc xo = {DYN_TOY_XOR, 1000, 0, 0.0, 1};
    double bx[2000], by[1000];
    dyn_data_toy(&xo, bx, 2000, by, 1000, &k);
    int agree = 0;
    for (int i = 0; i < 1000; i++) agree += (bx[2 * i] * bx[2 * i + 1] < 0) == (by[i] == 1.0);
    CHECK(agree > 980, "xor: class 1 where x y < 0 (%d of 1000; 4 sd from the axes all but ~1 %%)", agree);
    /* errors */
    dyn_toy_desc e = {DYN_TOY_MOONS, N, 3, 0.0, 1};
    CHECK(dyn_data_toy(&e, x, 2 * N, y, N, &k) == DYN_ERR_RANGE, "moons have 2 classes");
    e.classes = 0;
    e.noise = -1;
    CHECK(dyn_data_toy(&e, x, 2 * N, y, N, &k) == DYN_ERR_RANGE, "negative noise");
    e.noise = NAN;
    CHECK(dyn_data_toy(&e, x, 2 * N, y, N, &k) == DYN_ERR_NAN, "NaN noise");
    e.noise = 0;
    CHECK(dyn_data_toy(&e, x, 2 * N - 1, y, N, &k) == DYN_ERR_BUFFER, "small x");
    e.n = 1;
    CHECK(dyn_data_toy(&e, x, 2 * N, y, N, &k) == DYN_ERR_SIZE, "one example");
}

/* parse a CSV string: 0 on success (x, y filled), else the status; info out */
static dyn_status csv(const char *s, int classify, dyn_csv_info *info, double *x, double *y)
{
    dyn_status st = dyn_data_csv_scan(s, strlen(s), classify, info);
    if (st) return st;
    return dyn_data_csv_parse(s, strlen(s), classify, info, x, 64, y, 16);
}

static void expect_err(const char *s, int classify, const char *msg, int line)
{
    dyn_csv_info info;
    double x[64], y[16];
    dyn_status st = csv(s, classify, &info, x, y);
    CHECK(st != DYN_OK && strcmp(info.err, msg) == 0 && info.err_line == line,
          "CSV %s: status %d, message '%s' line %d; want '%s' line %d", msg, st, info.err, info.err_line, msg, line);
}

static void test_csv(void)
{
    dyn_csv_info info;
    double x[64], y[16];
    const char *ok = "# a comment\nx1, x2, label\r\n1, 2, 5\n\n3,4.5e-1,7\r\n-1,0,5\n";
    CHECK(csv(ok, 1, &info, x, y) == DYN_OK, "good CSV: %s", info.err);
    CHECK(info.rows == 3 && info.cols == 2 && info.n_class == 2, "3 rows, 2 features, 2 classes");
    CHECK(x[0] == 1 && x[1] == 2 && x[2] == 3 && x[3] == 0.45 && x[4] == -1 && x[5] == 0, "features in order");
    CHECK(y[0] == 0 && y[1] == 1 && y[2] == 0, "labels 5, 7 become classes 0, 1");
    CHECK(info.class_values[0] == 5 && info.class_values[1] == 7, "class values kept");
    CHECK(csv("1,0.5\n2,1.5\n", 0, &info, x, y) == DYN_OK && y[1] == 1.5 && info.n_class == 0, "regression target");
    CHECK(csv("1,2,0", 1, &info, x, y) != DYN_OK, "no newline at the end is fine, but one class is not");
    CHECK(csv("1,2,0\n3,4,1", 1, &info, x, y) == DYN_OK && info.rows == 2, "no newline at the end");

    expect_err("", 1, "no data rows (the file is empty or has only a header and comments)", 0);
    expect_err("# only\na,b,c\n\n", 1, "no data rows (the file is empty or has only a header and comments)", 0);
    expect_err("a,b,c\n1,2,0\n3,4\n", 1, "line 3: 2 fields, but line 1 has 3", 3);
    expect_err("1,2,0\n1,2,3,4\n", 1, "line 2: 4 fields, but line 1 has 3", 2);
    expect_err("a,b,c\n1,2,0\n3,x7,1\n", 1, "line 3, field 2: 'x7' is not a number", 3);
    expect_err("1,2,0\n3,,1\n", 1, "line 2, field 2 is empty", 2);
    expect_err("1,2,0\n3,nan,1\n", 1, "line 2, field 2: 'nan' is not a number", 2);
    expect_err("1,2,0\n3,inf,1\n", 1, "line 2, field 2: 'inf' is not a number", 2);
    expect_err("1,2,4\n3,5,4\n6,7,4\n", 1, "all 3 rows have the label 4: classification needs at least 2 classes", 0);
    expect_err("1\n2\n", 1, "line 1: need at least 2 fields (features, then the label)", 1);
    /* one column of observations (DYN_CSV_ONE_COLUMN): values into y, no features; other widths refused */
    expect_err("1\n2,3\n", DYN_CSV_ONE_COLUMN, "line 2: 2 fields; this file must have one column of values", 2);
    expect_err("x\n1\ny\n", DYN_CSV_ONE_COLUMN, "line 3, field 1: 'y' is not a number", 3);
    {
        const char *txt = "# obs\nvalue\n0.5\n-1.25\n\n3e2\n";
        dyn_csv_info ci;
        double v[3];
        CHECK(dyn_data_csv_parse(txt, strlen(txt), DYN_CSV_ONE_COLUMN, &ci, NULL, 0, v, 3) == DYN_OK &&
                  ci.rows == 3 && ci.cols == 0 && ci.n_class == 0,
              "one column: 3 rows, no features (%s)", ci.err);
        CHECK(v[0] == 0.5 && v[1] == -1.25 && v[2] == 300.0, "one column: the values in y");
        CHECK(dyn_data_csv_parse("1,2\n3,4\n", 8, 0, &ci, NULL, 0, v, 3) == DYN_ERR_NULL, "features need x");
    }
    /* the header rule: a header has no numeric field; a first row with some numbers is data, and an error if it
     * also has a non-number (it used to be dropped silently as a "header") */
    expect_err("1.0,NA,0\n2,3,1\n4,5,0\n", 1,
               "line 1, field 2: 'NA' is not a number, and field 1 is, so this is not a header line", 1);
    expect_err("# c\n\nx,1,label\n2,3,1\n4,5,0\n", 1,
               "line 3, field 1: 'x' is not a number, and field 2 is, so this is not a header line", 3);
    expect_err("1,2,0\n3,NA,1\n", 1, "line 2, field 2: 'NA' is not a number", 2);
    CHECK(csv("NA,b,label\n1,2,0\n3,4,1\n", 1, &info, x, y) == DYN_OK && info.rows == 2 && x[0] == 1,
          "a header of non-numbers (even 'NA') is skipped");
    expect_err("a,b\n1,2,0\n3,4,1\n", 1, "line 2: 3 fields, but line 1 has 2", 2);
    /* the same rows as regression are fine */
    CHECK(csv("1,2,4\n3,5,4\n", 0, &info, x, y) == DYN_OK, "one target value is fine for regression");
    CHECK(dyn_data_csv_parse(ok, strlen(ok), 1, &info, x, 5, y, 16) == DYN_ERR_BUFFER, "small x buffer");
}

/* issue 11's findings in the reader: binary bytes read as numbers, a BOM refused, subnormals refused */
static void test_csv_bytes(void)
{
    dyn_csv_info info;
    double x[64], y[16];
    /* "3\0junk" was read as 3 by the landscape reader (strtod stops at the NUL); only the posterior CLI refused */
    static const char nul[] = "1,3\0junk,0\n2,4,1\n";
    for (int mode = -1; mode <= 1; mode++) {
        dyn_status st = dyn_data_csv_scan(nul, sizeof nul - 1, mode, &info);
        CHECK(st == DYN_ERR_RANGE && info.err_line == 1 && strstr(info.err, "control character (0x00)"),
              "NUL in a field, mode %d: %d '%s'", mode, st, info.err);
    }
    expect_err("1,2,0\n3,\x01,1\n", 1, "line 2, byte 3: a control character (0x01); is this a text CSV file?", 2);
    expect_err("1,2,0\n3,4\r,1\n", 1, "line 2, byte 4: a control character (0x0d); is this a text CSV file?", 2);
    expect_err("# \x7f\n1,2,0\n", 1, "line 1, byte 3: a control character (0x7f); is this a text CSV file?", 1);
    CHECK(csv("1\t,2,0\r\n3,4,1\r\n", 1, &info, x, y) == DYN_OK && info.rows == 2, "tabs and CRLF are text: %s", info.err);
    /* a UTF-8 BOM (Excel's "CSV UTF-8") was an error; it is skipped, before a header or a number */
    CHECK(csv("\xef\xbb\xbf" "x,y,label\n1,2,0\n3,4,1\n", 1, &info, x, y) == DYN_OK && info.rows == 2 && x[0] == 1,
          "BOM before a header: %s", info.err);
    CHECK(csv("\xef\xbb\xbf" "5,2,0\n3,4,1\n", 1, &info, x, y) == DYN_OK && info.rows == 2 && x[0] == 5,
          "BOM before a number: %s", info.err);
    expect_err("1,2,0\n1,\xef\xbb\xbf" "2,0\n", 1, "line 2, field 2: '\xef\xbb\xbf" "2' is not a number", 2);
    /* subnormal numbers (below 2.2e-308) are numbers: strtod flags them with ERANGE, which is not an error */
    CHECK(csv("1e-310,4.9e-324,0\n-2.5e-320,1,1\n", 1, &info, x, y) == DYN_OK && x[0] == 1e-310 && x[1] > 0 &&
              x[2] == -2.5e-320,
          "subnormals: %s", info.err);
    /* the text cap: checked before any scanning (a length claim is enough; the bytes are not read) */
    CHECK(dyn_data_csv_scan("1,2\n", (size_t)DYN_DATA_MAX_BYTES + 1, 0, &info) == DYN_ERR_SIZE &&
              strstr(info.err, "bytes of text"),
          "size cap: %s", info.err);
}

static void test_standardize(void)
{
    double x[6] = {1, 10, 2, 10, 3, 10}, m[2], s[2];
    CHECK(dyn_data_standardize(x, 3, 2, m, s) == DYN_OK, "standardize");
    CHECK(m[0] == 2 && m[1] == 10 && fabs(s[0] - sqrt(2.0 / 3.0)) < 1e-15 && s[1] == 1.0, "means, deviations");
    CHECK(fabs(x[0] + sqrt(1.5)) < 1e-15 && x[2] == 0 && x[1] == 0, "values; a constant column is only centred");
}

int main(void)
{
    test_toys();
    test_csv();
    test_csv_bytes();
    test_standardize();
    return check_summary("test_data");
}
