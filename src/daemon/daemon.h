/*
 * daemon/daemon.h: the verbs that need every subsystem: `run` (the daemon) and `check`.
 */
#ifndef DAEMON_DAEMON_H
#define DAEMON_DAEMON_H

/* Runs in the foreground until SIGTERM/SIGINT. Returns the process exit code. */
int daemon_run(const char *path);
/* `tierd check [FILE] [--output cli|json|sarif|junitxml] [--soft-fail] [--quiet]`, given
 * the arguments after the verb. Validates the stack file (every error as file:line:col:
 * message), then runs the policy rules. Returns 2 for a usage error or an invalid file,
 * 1 when a policy check failed (0 with --soft-fail), else 0. */
int daemon_check(int argc, char **argv);
/* `tierd export terraform|kubernetes [FILE] [-o DIR]`: validates FILE as check does, then
 * writes it for the target (export/export.h). */
int daemon_export(int argc, char **argv);
/* `tierd keys [--json]`: every stack-file key with its type, default and flags. */
int daemon_keys(int argc, char **argv);

#endif
