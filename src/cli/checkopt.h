/*
 * cli/checkopt.h: the arguments of `tierd check [FILE] [--output FMT] [--soft-fail]
 * [--quiet]`. Parsing only: what the options mean is daemon_check()'s business.
 */
#ifndef CLI_CHECKOPT_H
#define CLI_CHECKOPT_H
#include <stdbool.h>

struct checkopt {
    const char *file;           /* borrowed from argv; "tierd.yaml" by default */
    const char *output;         /* "cli" by default; the name is not validated here */
    bool soft_fail;             /* failed checks still exit 0 */
    bool quiet;                 /* leave passed checks out of the report */
};

/* Parses the arguments after the verb. Returns 0, or -EINVAL after printing a usage
 * message to stderr. Accepts "--output FMT", "--output=FMT" and "-o FMT". */
int checkopt_parse(int argc, char **argv, struct checkopt *o);

#endif
