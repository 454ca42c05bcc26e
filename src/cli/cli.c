/*
 * cli/cli.c: help and version text.
 */
#include "cli/cli.h"

#ifndef TIERD_VERSION
#define TIERD_VERSION "0.1.0"
#endif

void
cli_usage(FILE *out)
{
    fputs("usage: tierd VERB [ARGS]\n"
          "\n"
          "  run [FILE]     run the stack in the foreground (default FILE: tierd.yaml)\n"
          "                 SIGHUP reloads FILE, SIGUSR1 reopens access logs,\n"
          "                 SIGTERM drains requests in flight and exits\n"
          "  check [FILE]   validate FILE; print every error as file:line:col: message;\n"
          "                 exit 2 when invalid\n"
          "  version        print the version\n"
          "  help           this text\n"
          "\n"
          "The stack file is documented in docs/stack-file.md.\n",
          out);
}

int
cli_version(void)
{
    printf("tierd %s\n", TIERD_VERSION);
    return 0;
}
