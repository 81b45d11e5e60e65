/*
 * cli.h - the `kiln` subcommands.  main.c dispatches; each command lives in
 * the file named for it and returns the process exit code:
 * 0 success, 1 a check that did not pass (validate, verify), 2 any error.
 */
#ifndef KILN_CLI_H
#define KILN_CLI_H

int cmd_analyze(int argc, char **argv);        /* compiler/cmd_analyze.c */
int cmd_generate(int argc, char **argv);       /* compiler/cmd_generate.c */
int cmd_validate(int argc, char **argv);       /* compiler/cmd_validate.c */
int cmd_firmware(int argc, char **argv);       /* compiler/cmd_firmware.c */
int cmd_blob(int argc, char **argv);           /* compiler/cmd_blob.c */
int cmd_supported_ops(int argc, char **argv);  /* compiler/import/supported_ops.c */
int cmd_dump(int argc, char **argv);           /* compiler/cmd_analyze.c */
int cmd_flash(int argc, char **argv);          /* flash/cli_flash.c */
int cmd_boards(int argc, char **argv);         /* flash/cli_flash.c */

#endif
