/* out.c - the CLI's output sets: every file of a command staged in exclusive temporary files, then committed all or none. */
#define _GNU_SOURCE /* renameat2 (RENAME_EXCHANGE), mkdtemp, mkstemp */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why temporary files beside the target and rename(2): a rename within one folder replaces the target in one
 * step, so a reader (or a second dynlens writing the same path) sees the old file or the new one, never half
 * of one. Each run stages under its own mkstemp/mkdtemp name (O_EXCL, random), so two runs never share a temp.
 *
 * The process-wide list of staged paths lives here (the CLI is one process with one thread; core/ has no
 * globals) because the SIGINT/SIGTERM handler and the atexit hook must find them: die() exits, and an
 * interrupted run must not leave 300 MB of temp files behind. The handler only calls unlink, rmdir and raise,
 * which are async-signal-safe. */

#define STAGE_MAX 96
#define STAGE_PATH 4096
static char staged[STAGE_MAX][STAGE_PATH]; /* temp files and temp folders not yet committed, in creation order */
static volatile sig_atomic_t nstaged;
static int hooks_set;

/* files before their folder: reverse creation order */
static void remove_staged(void)
{
    for (int i = (int)nstaged - 1; i >= 0; i--)
        if (staged[i][0] && unlink(staged[i]) != 0) rmdir(staged[i]);
    nstaged = 0;
}

static void on_signal(int sig)
{
    remove_staged();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void set_hooks(void)
{
    if (hooks_set) return;
    hooks_set = 1;
    atexit(remove_staged);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* a signal ignored when we started stays ignored (a background job's SIGINT, nohup's SIGHUP) */
    const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN) sigaction(sigs[i], &sa, NULL);
    }
}

static void stage_add(const char *p)
{
    if (nstaged >= STAGE_MAX) die("too many output files at once (at most %d)", STAGE_MAX);
    snprintf(staged[nstaged], STAGE_PATH, "%s", p);
    nstaged = nstaged + 1;
}

/* forget a staged path after it was renamed into place (or removed) */
static void stage_forget(const char *p)
{
    for (int i = 0; i < (int)nstaged; i++)
        if (strcmp(staged[i], p) == 0) staged[i][0] = 0;
}

/* split "a/b/c" into its folder "a/b" ("." when none) and base name "c" */
static void split_path(const char *path, char *dir, char *base, const char *what)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--; /* "run/" names the folder run */
    if (n == 0 || n >= STAGE_PATH - 40) die("%s: the path '%s' is empty or too long", what, path);
    const char *s = path + n;
    while (s > path && s[-1] != '/') s--;
    size_t bl = (size_t)(path + n - s);
    if (bl == 0 || (bl == 1 && s[0] == '.') || (bl == 2 && s[0] == '.' && s[1] == '.'))
        die("%s: '%s' does not name a file or folder", what, path);
    memcpy(base, s, bl);
    base[bl] = 0;
    if (s == path) strcpy(dir, ".");
    else if (s - path == 1) strcpy(dir, "/");
    else memcpy(dir, path, (size_t)(s - path - 1)), dir[s - path - 1] = 0;
}

/* Only a regular file (or nothing) may be replaced: writing "over" a symlink would replace the link, not what it
 * points to, and writing over /dev/null as root would turn the device into a file. Returns the mode to keep
 * (permission bits), or -1 when the target does not exist. */
static int target_mode(const char *path, const char *what)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return -1;
        die("%s: cannot write %s: %s", what, path, strerror(errno));
    }
    if (S_ISLNK(st.st_mode))
        die("%s: %s is a symbolic link; dynlens replaces only regular files (give the link's target instead)", what,
            path);
    if (!S_ISREG(st.st_mode))
        die("%s: %s exists and is not a regular file (%s); dynlens replaces only regular files", what, path,
            S_ISDIR(st.st_mode) ? "a folder" : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a special file");
    return (int)(st.st_mode & 07777);
}

static mode_t umask_now(void)
{
    mode_t m = umask(0);
    umask(m);
    return m;
}

void outs_dir(outset *o, const char *dir, const char *const *known)
{
    set_hooks();
    if (o->dir[0]) die("internal: one output folder per output set");
    char parent[STAGE_PATH], base[STAGE_PATH];
    split_path(dir, parent, base, "--out");
    struct stat st;
    if (lstat(dir, &st) == 0) {
        if (S_ISLNK(st.st_mode)) die("--out: %s is a symbolic link; give a folder (or a new name)", dir);
        if (!S_ISDIR(st.st_mode)) die("--out: %s exists and is not a folder", dir);
        /* the old folder is replaced as a whole, so it may hold only what dynlens writes there: anything else
         * (the user's own files, another program's output) would be lost */
        DIR *d = opendir(dir);
        if (!d) die("--out: cannot read the folder %s: %s", dir, strerror(errno));
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            int ok = 0;
            for (const char *const *k = known; k && *k && !ok; k++) ok = strcmp(*k, e->d_name) == 0;
            if (!ok) {
                char name[256]; /* the entry lives in d: copied before closedir */
                snprintf(name, sizeof name, "%s", e->d_name);
                closedir(d);
                die("--out: %s holds '%s', which dynlens does not write there; the folder is replaced as a whole, so "
                    "choose a new folder or move that file",
                    dir, name);
            }
        }
        closedir(d);
    } else if (errno != ENOENT) {
        die("--out: cannot use %s: %s", dir, strerror(errno));
    }
    snprintf(o->dir, sizeof o->dir, "%s", dir);
    size_t l = strlen(o->dir);
    while (l > 1 && o->dir[l - 1] == '/') o->dir[--l] = 0;
    if (snprintf(o->tmpdir, sizeof o->tmpdir, "%s/.%s.tmp-XXXXXX", parent, base) >= (int)sizeof o->tmpdir)
        die("--out: the path %s is too long", dir);
    if (!mkdtemp(o->tmpdir)) die("--out: cannot create a folder beside %s: %s", dir, strerror(errno));
    stage_add(o->tmpdir);
    chmod(o->tmpdir, 0777 & ~umask_now());
}

FILE *outs_file(outset *o, const char *path)
{
    set_hooks();
    if (o->n >= OUTS_MAX) die("internal: more than %d files in one output set", OUTS_MAX);
    outs_entry *e = &o->e[o->n];
    char dir[STAGE_PATH], base[STAGE_PATH];
    size_t dl = strlen(o->dir);
    int fd;
    if (dl && strncmp(path, o->dir, dl) == 0 && path[dl] == '/' && !strchr(path + dl + 1, '/')) {
        /* inside the staged output folder: its final name, in a folder only this run can know */
        if (snprintf(e->tmp, sizeof e->tmp, "%s/%s", o->tmpdir, path + dl + 1) >= (int)sizeof e->tmp)
            die("output: the path %s is too long", path);
        fd = open(e->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        e->in_dir = 1;
        e->mode = -1;
    } else {
        split_path(path, dir, base, "output");
        e->mode = target_mode(path, "output");
        if (snprintf(e->tmp, sizeof e->tmp, "%s/.%s.tmp-XXXXXX", dir, base) >= (int)sizeof e->tmp)
            die("output: the path %s is too long", path);
        fd = mkstemp(e->tmp);
        e->in_dir = 0;
    }
    if (fd < 0) die("cannot write %s: %s", path, strerror(errno));
    stage_add(e->tmp);
    /* mkstemp makes 0600: a new file gets the usual 0666 & ~umask, a replaced one keeps its permissions */
    if (!e->in_dir) fchmod(fd, (mode_t)(e->mode >= 0 ? e->mode : (int)(0666 & ~umask_now())));
    e->f = fdopen(fd, "wb");
    if (!e->f) die("cannot write %s: %s", path, strerror(errno));
    if (snprintf(e->path, sizeof e->path, "%s", path) >= (int)sizeof e->path) die("output: the path %s is too long", path);
    o->n++;
    return e->f;
}

/* the folder's old content, now at old (after the exchange): only the files checked in outs_dir are removed */
static void remove_old_dir(const char *old)
{
    DIR *d = opendir(old);
    if (d) {
        struct dirent *e;
        char p[2 * STAGE_PATH];
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(p, sizeof p, "%s/%s", old, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISREG(st.st_mode)) unlink(p);
        }
        closedir(d);
    }
    if (rmdir(old) != 0)
        fprintf(stderr, "dynlens: note: the previous content of the output folder is kept in %s (%s)\n", old,
                strerror(errno));
}

void outs_commit(outset *o)
{
    /* 1. every file complete on disk, or nothing changes */
    for (int i = 0; i < o->n; i++) {
        outs_entry *e = &o->e[i];
        int bad = fflush(e->f) != 0 || ferror(e->f) || fsync(fileno(e->f)) != 0;
        int err = errno;
        if (fclose(e->f) != 0 || bad) die("cannot write %s: %s", e->path, strerror(bad ? err : errno));
        e->f = NULL;
    }
    /* 2. the targets are checked again: one may have become a link or a device since it was staged */
    for (int i = 0; i < o->n; i++)
        if (!o->e[i].in_dir) target_mode(o->e[i].path, "output");
    /* 3. into place; a rename within one folder cannot fail half-way, but if one fails (a full disk cannot make
     * it fail; a folder turned read-only can) the message says which files were already replaced */
    char done[1024] = "";
    for (int i = 0; i < o->n; i++) {
        outs_entry *e = &o->e[i];
        if (e->in_dir) continue;
        if (rename(e->tmp, e->path) != 0)
            die("cannot write %s: %s%s%s", e->path, strerror(errno), done[0] ? "; already written: " : "", done);
        stage_forget(e->tmp);
        size_t l = strlen(done);
        snprintf(done + l, sizeof done - l, "%s%s", l ? ", " : "", e->path);
    }
    if (o->dir[0]) {
        if (renameat2(AT_FDCWD, o->tmpdir, AT_FDCWD, o->dir, RENAME_NOREPLACE) == 0) {
            /* there was no folder */
        } else if (errno == EEXIST || errno == ENOTEMPTY) {
            /* one atomic exchange: readers see the old folder or the new one, never a mix */
            if (renameat2(AT_FDCWD, o->tmpdir, AT_FDCWD, o->dir, RENAME_EXCHANGE) != 0)
                die("--out: cannot replace %s: %s%s%s", o->dir, strerror(errno), done[0] ? "; already written: " : "", done);
            for (int i = 0; i < o->n; i++) stage_forget(o->e[i].tmp);
            stage_forget(o->tmpdir);
            remove_old_dir(o->tmpdir);
        } else if (errno == EINVAL || errno == ENOSYS) {
            /* a file system without renameat2: fall back to rename, which replaces only an empty folder */
            if (rename(o->tmpdir, o->dir) != 0) die("--out: cannot replace %s: %s", o->dir, strerror(errno));
        } else {
            die("--out: cannot create %s: %s", o->dir, strerror(errno));
        }
        for (int i = 0; i < o->n; i++) stage_forget(o->e[i].tmp);
        stage_forget(o->tmpdir);
    }
    memset(o, 0, sizeof *o);
}

/* ------------------------------------------------------------------ the old single-file helpers, on an output set */

void out_open(outfile *o, const char *path)
{
    o->set = xmalloc(sizeof *o->set, "an output set");
    memset(o->set, 0, sizeof *o->set);
    o->f = outs_file(o->set, path);
    o->path = path;
}

void out_close(outfile *o)
{
    outs_commit(o->set);
    free(o->set);
    o->set = NULL;
}

void outs_check(const char *path, const char *option)
{
    char dir[STAGE_PATH], base[STAGE_PATH];
    split_path(path, dir, base, option);
    target_mode(path, option);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) die("%s: the folder %s does not exist", option, dir);
    if (access(dir, W_OK | X_OK) != 0) die("%s: cannot write in the folder %s: %s", option, dir, strerror(errno));
}
