/*
 * fleet/envfile.h: a launch template's env_file, in systemd's EnvironmentFile= syntax:
 * one KEY=VALUE per line; blank lines and lines starting with '#' or ';' are ignored;
 * a value may be wrapped in double or single quotes (inside double quotes \" \\ \n and
 * \$ are escapes); whitespace around the key and an unquoted value is trimmed; a line that
 * ends in a backslash continues on the next. The file holds secrets, so it must not be
 * readable or writable by group or others. Values are never logged.
 */
#ifndef FLEET_ENVFILE_H
#define FLEET_ENVFILE_H
#include <stddef.h>

#define ENVFILE_MAX_BYTES (1u << 20)
#define ENVFILE_MAX_VARS 1024

struct envfile {
    unsigned n;
    char **vars;                /* "KEY=value", owned */
};

/* Parses text into *out. Returns 0, or -EBADMSG with *line (1-based) and *why set. */
int envfile_parse(const char *text, size_t len, struct envfile *out, unsigned *line,
                  const char **why);
/* Reads and parses the file at path after checking its mode. Returns 0, or a negative
 * errno with a message naming the path in err (never a value): -ENOENT, -EACCES (mode
 * open to group or others), -EBADMSG (syntax, with file:line), -EFBIG. */
int envfile_load(const char *path, struct envfile *out, char *err, size_t errlen);
void envfile_fini(struct envfile *e);

#endif
