/* cli_flash.c - placeholder until the flash subsystem lands (issue 4). */
#include <stdio.h>
#include "cli.h"

int cmd_flash(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "kiln flash: not available in this build yet\n");
    return 2;
}

int cmd_boards(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "kiln boards: not available in this build yet\n");
    return 2;
}
