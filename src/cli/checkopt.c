/*
 * cli/checkopt.c: reads the flags of `tierd check`, in any order around the file name.
 */
#include "cli/checkopt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int
usage(const char *why, const char *arg)
{
    fprintf(stderr, "tierd check: %s%s%s\n"
                    "usage: tierd check [FILE] [--output cli|json|sarif|junitxml] "
                    "[--soft-fail] [--quiet]\n",
            why, arg ? " " : "", arg ? arg : "");
    return -EINVAL;
}

int
checkopt_parse(int argc, char **argv, struct checkopt *o)
{
    *o = (struct checkopt){ .file = "tierd.yaml", .output = "cli" };
    bool have_file = false;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--output") == 0 || strcmp(a, "-o") == 0) {
            if (i + 1 >= argc)
                return usage("missing format after", a);
            o->output = argv[++i];
        } else if (strncmp(a, "--output=", 9) == 0) {
            o->output = a + 9;
        } else if (strcmp(a, "--soft-fail") == 0 || strcmp(a, "-s") == 0) {
            o->soft_fail = true;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->quiet = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage("unknown option", a);
        } else if (have_file) {
            return usage("more than one stack file:", a);
        } else {
            o->file = a;
            have_file = true;
        }
    }
    return 0;
}
