/*
 * fleet/template.h: one launch template version, resolved: the command, environment and
 * limits an instance is started with. A template is immutable once built; its hash over
 * the canonical JSON form decides whether a changed stack file made a new version.
 * Knows nothing of processes (instance.c) or of the version store (fleet_db.c).
 */
#ifndef FLEET_TEMPLATE_H
#define FLEET_TEMPLATE_H
#include <stdbool.h>
#include <stdint.h>

#define TEMPLATE_HASH_LEN 16

struct template {
    char *name;
    unsigned argc;
    char **argv;                /* placeholders ${PORT}, ${INSTANCE_ID} not yet expanded */
    unsigned nenv;
    char **env;                 /* "KEY=value", sorted by key, placeholders as in argv;
                                   values may hold "${env:NAME}", expanded at spawn */
    char *env_file;             /* read at every spawn (systemd syntax), or NULL */
    unsigned ninherit;
    char **inherit;             /* inherit_env: names passed through from tierd's environment */
    char *working_dir;          /* NULL: tierd's current directory */
    char *user;                 /* NULL: no privilege drop */
    int stop_signal;            /* SIGTERM unless given */
    uint64_t stop_timeout_ms;   /* 10 s unless given */
    unsigned cpu_milli;         /* instance_type.cpu * 1000; 0 = no limit (1 CPU share) */
    uint64_t memory_bytes;      /* instance_type.memory; 0 = no limit */
    bool limits_required;       /* instance_type.required: no launch without the limits */
    char hash[TEMPLATE_HASH_LEN + 1];   /* hex FNV-1a 64 of template_to_json() */
};

/* Releases what t owns (not t itself). */
void template_fini(struct template *t);
/* Deep copy into *out (which the caller then owns and finishes). */
void template_copy(struct template *out, const struct template *t);
/* Returns a new canonical JSON text of the fields that define a version (not the name). */
char *template_to_json(const struct template *t);
/* Fills *out from template_to_json() text; 0 or -EINVAL. `name` is copied. */
int template_from_json(const char *name, const char *json, struct template *out);
/* Sets t->hash from the canonical JSON. */
void template_hash_update(struct template *t);

/* Returns a new string with ${PORT} and ${INSTANCE_ID} replaced. */
char *template_expand(const char *s, unsigned port, const char *instance_id);
/* Returns the first placeholder in s that is neither ${PORT} nor ${INSTANCE_ID} (nor, with
 * allow_env, a "${env:" reference), copied into buf (as "${NAME}"), or NULL when every
 * placeholder is known. */
const char *template_bad_placeholder(const char *s, bool allow_env, char *buf, unsigned len);

/* "SIGTERM" or "TERM" (case-insensitive) -> signal number, or -EINVAL. */
int template_signal_parse(const char *s);
/* "SIGTERM" for SIGTERM; "SIG?" for an unknown number. */
const char *template_signal_name(int signo);
/* The signal names accepted, NULL-terminated (for "did you mean"). */
extern const char *const template_signal_names[];

#endif
