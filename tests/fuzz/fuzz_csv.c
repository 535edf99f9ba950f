/* fuzz_csv.c - libFuzzer harness for the core's CSV reader (dyn_data_csv_scan/parse) in every classify mode. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"

/* The first byte picks the mode (one column, regression, classification); the rest is the file. Besides the
 * sanitizers, the invariants the CLI and the page rely on are checked: scan and parse agree, sizes are within
 * the limits, classes are 0..n_class-1, every value finite, an error always has a message. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const int modes[3] = {DYN_CSV_ONE_COLUMN, 0, 1};
    int mode = modes[data[0] % 3];
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    dyn_csv_info info;
    dyn_status st = dyn_data_csv_scan(buf, len, mode, &info);
    if (st != DYN_OK) {
        if ((st == DYN_ERR_RANGE || st == DYN_ERR_SIZE) && !info.err[0]) abort();
        return 0;
    }
    if (info.rows < 1 || info.rows > DYN_DATA_MAX_N || info.cols < 0 || info.cols > DYN_DATA_MAX_D) abort();
    if (mode == DYN_CSV_ONE_COLUMN ? info.cols != 0 : info.cols < 1) abort();
    if (mode == 1 && (info.n_class < 2 || info.n_class > DYN_DATA_MAX_CLASS)) abort();
    size_t nx = (size_t)info.rows * (size_t)info.cols;
    double *x = malloc(nx ? nx * sizeof *x : 1), *y = malloc((size_t)info.rows * sizeof *y);
    dyn_csv_info info2;
    if (dyn_data_csv_parse(buf, len, mode, &info2, nx ? x : NULL, nx, y, (size_t)info.rows) != DYN_OK) abort();
    if (info2.rows != info.rows || info2.cols != info.cols || info2.n_class != info.n_class) abort();
    for (size_t i = 0; i < nx; i++)
        if (!isfinite(x[i])) abort();
    for (int i = 0; i < info.rows; i++) {
        if (!isfinite(y[i])) abort();
        if (mode == 1 && (y[i] < 0 || y[i] >= info.n_class || y[i] != (double)(int)y[i])) abort();
    }
    /* one byte short of the parse buffers must be refused, never overrun */
    if (nx && dyn_data_csv_parse(buf, len, mode, &info2, x, nx - 1, y, (size_t)info.rows) != DYN_ERR_BUFFER) abort();
    free(x);
    free(y);
    return 0;
}
