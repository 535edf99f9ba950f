/* dynlens.c - the native command-line tool's entry point: dispatches "dynlens <family> <command> [options]". */
#include <string.h>

#include "cli.h"

static const char TOP_HELP[] =
    "dynlens " VERSION " - deep networks as dynamical systems\n\n"
    "usage: dynlens <family> <command> [options]   (each command has --help)\n\n";

static const char TOP_TAIL[] = "\nErrors print one line on stderr and exit with status 2.\n";

/* the command families: adding one is a line here and its prototypes in cli.h */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} FAMILIES[] = {
    {"meanfield", cli_meanfield, CLI_MEANFIELD_HELP},
    {"posterior", cli_posterior, CLI_POSTERIOR_HELP},
    {"landscape", cli_landscape, CLI_LANDSCAPE_HELP},
    {"control", cli_control, CLI_CONTROL_HELP},
    {"isometry", cli_isometry, CLI_ISOMETRY_HELP},
    {"trainability", cli_trainability, CLI_TRAINABILITY_HELP},
};
#define NFAM (sizeof FAMILIES / sizeof FAMILIES[0])

int main(int argc, char **argv)
{
    if (argc < 2) die("missing command; usage: dynlens <family> <command> [options] (try: dynlens --help)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(TOP_HELP, stdout);
        for (size_t i = 0; i < NFAM; i++) printf("%s%s", i ? "\n" : "", FAMILIES[i].help);
        fputs(TOP_TAIL, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("dynlens %s\n", VERSION);
        return 0;
    }
    for (size_t i = 0; i < NFAM; i++)
        if (strcmp(argv[1], FAMILIES[i].name) == 0) return FAMILIES[i].run(argc - 2, argv + 2);
    die("unknown command '%s'; try: dynlens --help", argv[1]);
    return 2;
}
