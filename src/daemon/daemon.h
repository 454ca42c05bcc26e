/*
 * daemon/daemon.h: the verbs that need every subsystem: `run` (the daemon) and `check`.
 */
#ifndef DAEMON_DAEMON_H
#define DAEMON_DAEMON_H

/* Runs in the foreground until SIGTERM/SIGINT. Returns the process exit code. */
int daemon_run(const char *path);
/* Validates the stack file, prints every error as file:line:col: message. Returns 0 when
 * valid, 2 when invalid. */
int daemon_check(const char *path);

#endif
