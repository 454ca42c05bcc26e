/*
 * cli/cli.h: command-line verbs that need no daemon internals.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H
#include <stdio.h>

void cli_usage(FILE *out);
int cli_version(void);

#endif
