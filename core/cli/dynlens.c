/* dynlens.c - the native command-line tool's entry point: dispatches "dynlens <family> <command> [options]". */
#include <string.h>

#include "cli.h"

static const char TOP_HELP[] =
    "dynlens " VERSION " - deep networks as dynamical systems\n\n"
    "usage: dynlens <family> <command> [options]   (each command has --help)\n\n";

static const char TOP_TAIL[] = "\nErrors print one line on stderr and exit with status 2.\n";

int main(int argc, char **argv)
{
    if (argc < 2) die("missing command; usage: dynlens meanfield <command> [options] (try: dynlens --help)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(TOP_HELP, stdout);
        fputs(CLI_MEANFIELD_HELP, stdout);
        fputs(TOP_TAIL, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("dynlens %s\n", VERSION);
        return 0;
    }
    if (strcmp(argv[1], "meanfield") == 0) return cli_meanfield(argc - 2, argv + 2);
    die("unknown command '%s'; try: dynlens --help", argv[1]);
    return 2;
}
