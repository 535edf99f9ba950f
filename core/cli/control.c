/* control.c - "dynlens control ...": training as optimal control, the family's dispatcher (commands in control_*.c). */
#include "cli.h"

const char CLI_CONTROL_HELP[] =
    "control commands (training as optimal control; Li, Tai and E 2017, Li, Chen, Tai and E 2018):\n"
    "  lr          the learning rate as a control: SGD on a noisy quadratic, the SME moment ODE, the optimal\n"
    "              feedback schedule against constant and 1/t schedules, Monte Carlo SGD (JSON, CSV, NPY, PNG)\n";

int cli_control(int argc, char **argv)
{
    static const cli_cmd cmds[] = {{"lr", cli_control_lr}};
    return run_family("control", cmds, (int)(sizeof cmds / sizeof cmds[0]), CLI_CONTROL_HELP, argc, argv);
}
