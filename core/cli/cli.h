/* cli.h - what the CLI's command files share: errors, options, output helpers (not part of the core). */
#ifndef DYN_CLI_H
#define DYN_CLI_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "act.h"
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

typedef struct outfile {
    FILE *f;
    char tmp[4096];
    const char *path;
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

/* output: JSON numbers (NaN -> null, +-inf -> +-1e999), files written whole or not at all */
const char *shortest(double v, char *b);         /* shortest round-trip text; b holds 32 chars */
void jnum(FILE *f, double v);
void jarr(FILE *f, const double *v, int n);
void out_open(outfile *o, const char *path);
void out_close(outfile *o);
void write_npy(const char *path, const float *v, int ny, int nx); /* float32, shape (ny, nx) */
void write_npy_f64(const char *path, const double *v, long rows, long cols); /* rows < 0: 1-D */
void write_npy_f64_3d(const char *path, const double *v, long a, long b, long c); /* shape (a, b, c) */
char *read_file(const char *path, size_t *len);  /* whole file, gzip inflated; caller frees */
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
