/* data.h - data sets for the networks: seeded 2-D toy sets, CSV parsed from a memory buffer, standardisation. */
#ifndef DYN_DATA_H
#define DYN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Index
 *   dyn_data            a view of a data set: n examples of d features, labels or targets (caller memory)
 *   dyn_toy / dyn_toy_desc   two spirals, moons, circles, XOR, Gaussian blobs (seeded, with noise)
 *   dyn_data_toy        generate a toy set into caller buffers
 *   dyn_toy_name/parse  enum <-> "spirals", "moons", "circles", "xor", "blobs"
 *   dyn_csv_info        what a CSV holds (rows, feature columns, classes) and, on error, where and why
 *   dyn_data_csv_scan   pass 1: validate a CSV buffer and count rows and columns (for the buffer sizes)
 *   dyn_data_csv_parse  pass 2: fill features and labels/targets
 *   dyn_data_standardize  features to mean 0, standard deviation 1 per column (means and deviations out)
 *
 * Labels: classes are the integers 0..n_class-1 stored as doubles in y. Regression: n_class = 0, y the target.
 */

#define DYN_DATA_MAX_N 1000000
#define DYN_DATA_MAX_D 4096
#define DYN_DATA_MAX_CELLS (1L << 26) /* n d: the features take at most 512 MB, so byte counts stay below 2^31 */
#define DYN_DATA_MAX_CLASS 256
#define DYN_DATA_MAX_BYTES (256L << 20) /* CSV text (after any gzip inflation): 256 MiB, far below 2 GiB */

typedef struct dyn_data {
    int n, d;          /* examples, features */
    const double *x;   /* n x d, row-major */
    const double *y;   /* n: class 0..n_class-1 (as a double) or the regression target */
    int n_class;       /* >= 2: classification; 0: regression */
} dyn_data;

typedef enum dyn_toy {
    DYN_TOY_SPIRALS = 0, /* k interleaved spirals (k = classes, default 2), ~1.75 turns, radius 0..1 */
    DYN_TOY_MOONS,       /* two interleaving half circles (sklearn's make_moons geometry, centred) */
    DYN_TOY_CIRCLES,     /* two concentric circles, radii 1 and 0.5 */
    DYN_TOY_XOR,         /* four Gaussian clusters at (+-1, +-1), sd 0.25; class = sign(x) != sign(y) */
    DYN_TOY_BLOBS,       /* k Gaussian clusters (default 3), sd 0.3, centres evenly on a circle of radius 1.5 */
    DYN_TOY_COUNT
} dyn_toy;

typedef struct dyn_toy_desc {
    dyn_toy kind;      /* 0 = spirals */
    int n;             /* examples, 0 -> 400; 2..DYN_DATA_MAX_N; classes get n / k each (the first n mod k one more) */
    int classes;       /* spirals 0 -> 2 (2..8), blobs 0 -> 3 (2..16); the others have 2 and need 0 or 2 */
    double noise;      /* standard deviation of Gaussian noise added to both coordinates, 0 = none; in [0, 10] */
    uint64_t seed;
} dyn_toy_desc;

/* x: 2 n doubles (row-major, 2 features), y: n labels. Examples are interleaved by class (0, 1, .., k-1, 0, ..).
 * n_class (may be NULL) receives the number of classes. Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_NAN,
 * DYN_ERR_RANGE (kind, classes or noise), DYN_ERR_SIZE (n), DYN_ERR_BUFFER (x_len < 2 n or y_len < n). */
dyn_status dyn_data_toy(const dyn_toy_desc *d, double *x, size_t x_len, double *y, size_t y_len, int *n_class);
const char *dyn_toy_name(dyn_toy t);
dyn_status dyn_toy_parse(const char *name, dyn_toy *out);

/* CSV: one example per line, fields separated by commas (spaces around a field are ignored), every field a
 * number (strtod syntax: 1, -2.5, 1e-3; "nan"/"inf" are not allowed), the last field the label (classify) or
 * the target (regress). Lines that are empty or start with '#' are skipped. The first non-skipped line is a
 * header (and skipped) if none of its fields is a number; a line with some numbers and a non-number is an
 * error, also as the first line (so a first row "1.0,NA,0" is reported, never dropped as a header). A header
 * must have as many fields as the rows. Line endings \n or \r\n. A UTF-8 byte order mark at the start is skipped;
 * a NUL or any other control byte (below 0x20 except tab, and 0x7f) is an error naming its line, so binary
 * data is never read as numbers. Subnormal numbers (1e-310) are numbers. At most DYN_DATA_MAX_BYTES of text.
 * Classification: the
 * distinct label values, sorted, become the classes 0..k-1 (so labels 1, 2 or -1, 1 work); class_values
 * holds the original values. */
typedef struct dyn_csv_info {
    int rows, cols;          /* examples and feature columns (fields per line - 1) */
    int n_class;             /* classification: distinct labels (scan and parse); regression: 0 */
    double class_values[DYN_DATA_MAX_CLASS]; /* the label value of each class, ascending */
    int err_line;            /* on error: the 1-based line number (0 when not about one line) */
    char err[160];           /* on error: one line, e.g. "line 7: 3 fields, but line 2 has 4" */
} dyn_csv_info;

/* A classify value: one column of observations (no features, no label): every data line has exactly one field,
 * which goes to y; cols = 0 and x is not written (e.g. the posterior module's mixture data). */
#define DYN_CSV_ONE_COLUMN (-1)

/* classify: nonzero for labels, 0 for regression targets, DYN_CSV_ONE_COLUMN for a single column of values
 * ("line L: F fields; this file must have one column of values" otherwise). Returns DYN_OK, DYN_ERR_NULL, and DYN_ERR_RANGE with
 * info->err set for: an empty file ("no data rows"), a ragged row ("line L: F fields, but line K has G"), a
 * non-number ("line L, field F: 'abc' is not a number"; on the first line ", and field G is, so this is not a
 * header line" is added), an empty field ("line L, field F is empty"), a single column ("line L: need at least
 * 2 fields (features, then the label)"), one class only ("all N rows have the label V: classification needs at
 * least 2 classes"), too many classes ("line L: more than 256 distinct labels; ..."), a control byte ("line L,
 * byte B: a control character (0x00); is this a text CSV file?"), and DYN_ERR_SIZE with
 * info->err set for more than DYN_DATA_MAX_N rows, DYN_DATA_MAX_D features, DYN_DATA_MAX_CELLS values or
 * DYN_DATA_MAX_BYTES of text. */
dyn_status dyn_data_csv_scan(const char *buf, size_t len, int classify, dyn_csv_info *info);
/* x: rows x cols doubles (may be NULL when cols is 0), y: rows doubles, as counted by dyn_data_csv_scan (it scans
 * the buffer again itself).
 * Returns the scan's codes (and messages), and DYN_ERR_BUFFER if x_len or y_len is too small. */
dyn_status dyn_data_csv_parse(const char *buf, size_t len, int classify, dyn_csv_info *info, double *x,
                              size_t x_len, double *y, size_t y_len);

/* In place: each column of x (n x d) minus its mean, divided by its standard deviation (population, 1/n); a
 * constant column is only centred. mean, sd (may be NULL): d values each, so that x_std = (x - mean) / sd.
 * Returns DYN_OK, DYN_ERR_NULL, DYN_ERR_SIZE. */
dyn_status dyn_data_standardize(double *x, int n, int d, double *mean, double *sd);

#endif
