/* cli.h - what the CLI's command files share: errors, options, output helpers (not part of the core). */
#ifndef DYN_CLI_H
#define DYN_CLI_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "act.h"
#include "data.h"
#include "figure.h"
#include "status.h"
#include "work.h"

#ifndef DYN_DEFAULT_FONT
#define DYN_DEFAULT_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#endif
#define VERSION "0.1.0"
#define DNAN ((double)NAN)
#define DINF ((double)INFINITY)

/* One option of a command: "--name value", "--name=value", or "--name" alone for a flag. A NULL value is unset. */
typedef struct opt {
    const char *name, *value, *help;
    int is_flag; /* takes no value */
    int seen;
} opt;

typedef struct cmd {
    const char *usage, *summary;
    opt *opts;
} cmd;

/* Output sets: how a command writes files, whole or not at all (README: "files are written whole or not at all").
 *
 *     outset os = {0};
 *     outs_dir(&os, "run", KNOWN_NAMES);            optional: a whole output folder, replaced as one (see below)
 *     FILE *f = outs_file(&os, "grid.csv");         a staged file: write it with stdio
 *     outs_npy(&os, "grid.npy", v, ny, nx);         staged NPY (float32) / outs_npy_f64 (float64)
 *     outs_png(&os, "fig.png", rgba, w, h);         staged PNG of an RGBA image (e.g. from figure_draw)
 *     outs_commit(&os);                             all files into place, then print the JSON summary
 *
 * Rules for a new command: check every option before the work; stage every file of the command in ONE set;
 * call outs_commit once, after the last file is staged and every figure is drawn; print to stdout after it.
 * On any die() before the commit (or SIGINT/SIGTERM/SIGHUP) every staged file is removed and no target has
 * changed. Two runs writing one path never share a temp file, and the target is one run's whole file.
 *   - Each file is staged as an exclusive temp file beside its target (mkstemp: O_EXCL, random name,
 *     ".<name>.tmp-XXXXXX"), then renamed over it. Only a regular file (or nothing) is replaced: a symlink, a
 *     device, a folder is refused with a one-line error when staged and again at commit. A replaced file keeps
 *     its permission bits; a new one gets 0666 & ~umask.
 *   - outs_dir stages a new folder ".<dir>.tmp-XXXXXX" beside dir; files whose path is "<dir>/<name>" go into it.
 *     At commit it is renamed to dir, or swapped with an existing dir in one step (renameat2 RENAME_EXCHANGE)
 *     and the old folder removed: an old run's files never mix with new ones. An existing dir may hold only
 *     regular files named in known (a NULL-terminated list); anything else is refused, so a user's own folder
 *     is never replaced.
 *   - outs_commit flushes and fsyncs every file first (a full disk fails here, before any target changes),
 *     then renames; it dies naming the files already replaced in the (unlikely) case a rename fails.
 * out_open/out_close below are a one-file set (out_open stages, out_close commits). */
#define OUTS_MAX 32
typedef struct outs_entry {
    FILE *f;
    char path[4096], tmp[4096];
    int mode, in_dir;
} outs_entry;
typedef struct outset {
    outs_entry e[OUTS_MAX];
    int n;
    char dir[4096], tmpdir[4096]; /* outs_dir: the target folder and its staged copy ("" when none) */
} outset;
void outs_dir(outset *o, const char *dir, const char *const *known);
FILE *outs_file(outset *o, const char *path);
void outs_npy(outset *o, const char *path, const float *v, long ny, long nx);        /* float32, shape (ny, nx) */
void outs_npy_f64(outset *o, const char *path, const double *v, long rows, long cols); /* rows < 0: 1-D */
void outs_npy_f64_3d(outset *o, const char *path, const double *v, long a, long b, long c); /* shape (a, b, c) */
void outs_png(outset *o, const char *path, const uint8_t *rgba, int w, int h);
void outs_commit(outset *o);
/* Checks early (right after the options) that path can be written as an output: dies with "<opt>: ..." if it is
 * a symlink, device or folder, or its folder is missing or not writable. Staging checks again. */
void outs_check(const char *path, const char *option);

typedef struct outfile {
    FILE *f;
    const char *path;
    outset *set; /* allocated by out_open, freed by out_close */
} outfile;

typedef struct png_opts {
    const char *path;
    int width, height;
} png_opts;


/* errors: each prints "dynlens: <message>" as one line on stderr and exits with status 2 */
void die(const char *fmt, ...);
void *xmalloc(size_t n, const char *what);       /* malloc or die naming what it was for */
void check(dyn_status s, const char *what);      /* die with the core's message unless s is DYN_OK */

/* options: parse_opts handles --help (prints print_help and exits 0) and rejects unknown options */
void print_help(const cmd *c);
void parse_opts(const cmd *c, int argc, char **argv);
const char *get(const cmd *c, const char *name); /* the value, or NULL when unset */
double num(const char *name, const char *s);     /* a finite number or die */
double get_num(const cmd *c, const char *name);
long get_int(const cmd *c, const char *name, long lo, long hi);
void get_range(const cmd *c, const char *name, double *lo, double *hi);       /* "MIN:MAX", MIN < MAX */
void get_size(const cmd *c, const char *name, int *nx, int *ny, int maxside); /* "WxH" */
dyn_act get_act(const cmd *c);                   /* --act, with the list of names in the error */
/* The names of a core table as "a, b or c" in buf (cap bytes): key act, opt, loss, toy, dirnorm, cmap, field, model
 * or sampler. Help texts (usage summaries and option helps) may say {key} for the same list. */
const char *core_names(const char *key, char *buf, size_t cap);
png_opts get_png(const cmd *c);                  /* --png and --png-size */

/* option values as pure functions (args.c; fuzzed by tests/fuzz/fuzz_args.c): 1 on success, else 0 with one line in
 * err (cap bytes). num/get_int/get_range/get_size above die with "--name: <err>". */
int parse_num(const char *s, double *v, char *err, size_t cap);          /* finite; subnormals are numbers */
int parse_int(const char *s, long lo, long hi, long *v, char *err, size_t cap);
int parse_range(const char *s, double *lo, double *hi, char *err, size_t cap); /* "MIN:MAX", MIN < MAX */
int parse_size(const char *s, int maxside, int *nx, int *ny, char *err, size_t cap); /* "WxH", sides 1..maxside */

/* output: JSON numbers (NaN -> null, +-inf -> +-1e999) and strings, files written whole or not at all */
const char *shortest(double v, char *b);         /* shortest round-trip text; b holds 32 chars */
void jnum(FILE *f, double v);
void jarr(FILE *f, const double *v, int n);
void jstr(FILE *f, const char *s);               /* a quoted JSON string: quotes, backslashes, control bytes escaped */
void out_open(outfile *o, const char *path);     /* a one-file output set (see outset) */
void out_close(outfile *o);
void write_npy(const char *path, const float *v, int ny, int nx); /* one-file sets: float32, shape (ny, nx) */
void write_npy_f64(const char *path, const double *v, long rows, long cols); /* rows < 0: 1-D */
/* The whole file, gzip inflated (every member, CRC-32 and size checked: core/gz.h); caller frees. Dies with one
 * line if it cannot be read, is damaged, or is (or inflates to) more than DYN_DATA_MAX_BYTES (256 MiB). */
char *read_file(const char *path, size_t *len);
/* A data file read whole (read_file: gzip too) and parsed by the core's CSV reader (data.h) in mode classify
 * (nonzero: labels; 0: targets; DYN_CSV_ONE_COLUMN): *x (rows x cols doubles, NULL when cols is 0) and *y (rows)
 * are allocated for the caller to free; returns the scan's info. Dies with "[what: ]path: <the parser's message>". */
dyn_csv_info read_csv_file(const char *path, int classify, const char *what, double **x, double **y);
/* The shipped digits (assets/digits/digits.csv.gz) under $DYNLENS_ASSETS, else the assets folder CMake compiled
 * in (DYN_ASSETS): the one rule for finding assets. buf: cap bytes. */
const char *digits_path(char *buf, size_t cap);
void write_png(const char *path, const uint8_t *rgba, int w, int h);
uint8_t *load_font(size_t *len);                 /* $DYNLENS_FONT or DYN_DEFAULT_FONT; caller frees */
/* a heatmap (grid given: nx x ny, lines over it) or else a plot of the series, at d's size with d's font: in
 * memory (the caller frees it), or straight to a PNG file */
uint8_t *figure_draw(const dyn_fig_desc *d, const float *grid, int nx, int ny, const dyn_fig_line *lines, int nl,
                     const dyn_fig_series *s, int ns);
void figure_png(const char *path, const dyn_fig_desc *d, const float *grid, int nx, int ny, const dyn_fig_line *lines,
                int nl, const dyn_fig_series *s, int ns);
double now_ms(void);

/* Bounded work. Every command that can run long takes BUDGET_OPTS and, after parsing and before any work,
 * calls budget_check with the core's estimate (work.h: each module's *_work function): past --max-seconds
 * (seconds at DYN_WORK_RATE) or --max-gb it dies with one line that gives the estimate and the flag to raise. */
#define BUDGET_OPTS                                                                                          \
    {"max-seconds", "600", "refuse a job estimated to take longer than this (seconds at the core's rate)", 0, 0}, \
    {"max-gb", "4", "refuse a job estimated to need more memory than this (GB)", 0, 0}
void budget_check(const cmd *c, const char *what, dyn_work w);
/* Progress of a long loop on stderr: nothing for the first 3 s, then a line at most every 5 s with the part
 * done and the time left. */
typedef struct progress {
    const char *what;
    double total, t0, last;
} progress;
void progress_start(progress *p, const char *what, double total);
void progress_step(progress *p, double done);

/* A family's commands, and its dispatcher: "dynlens <family> <command> [options]", --help, one-line errors
 * that list the commands */
typedef struct cli_cmd {
    const char *name;
    int (*run)(int argc, char **argv);
} cli_cmd;
int run_family(const char *family, const cli_cmd *cmds, int ncmds, const char *help, int argc, char **argv);

/* Command families: "dynlens meanfield ..." */
int cli_meanfield(int argc, char **argv);
extern const char CLI_MEANFIELD_HELP[];
int cli_posterior(int, char **);
extern const char CLI_POSTERIOR_HELP[];
int cli_landscape(int, char **);
extern const char CLI_LANDSCAPE_HELP[];
/* "dynlens control ...": the family in control.c, one file per command (control_lr.c) */
int cli_control(int, char **);
extern const char CLI_CONTROL_HELP[];
int cli_control_lr(int argc, char **argv);
int cli_isometry(int, char **);
extern const char CLI_ISOMETRY_HELP[];
int cli_trainability(int, char **);
extern const char CLI_TRAINABILITY_HELP[];

#endif
