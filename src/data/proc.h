/*
 * data/proc.h: the programs the data tier runs (mariadb-install-db, mariadbd, the mariadb
 * client): started with an argv (never a shell), a clean signal mask (tierd's threads
 * block every signal) and PR_SET_PDEATHSIG, so that none outlives the thread that started
 * it. Blocking: called on the data thread only.
 */
#ifndef DATA_PROC_H
#define DATA_PROC_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Runs argv to its end: `in` (may be NULL) is written to its stdin, at most outlen - 1
 * bytes of its stdout and stderr land in out (NUL-terminated). Returns the wait status
 * (>= 0), -ETIMEDOUT after killing it when it ran longer than timeout_ms, or -errno
 * when it could not start. */
int proc_run(char *const argv[], const char *in, char *out, size_t outlen,
             unsigned timeout_ms);
/* Starts argv with stdout and stderr appended to log_path; stdin is /dev/null; in a
 * process group of its own. Detached: in a session of its own and without the death
 * signal, so that it outlives tierd (a server the next tierd adopts). Returns the pid, or
 * -errno. The caller reaps it (waitpid) while it is tierd's child. */
pid_t proc_spawn(char *const argv[], const char *log_path, bool detached);
/* True when process pid runs (not a zombie) with `arg` as one of its arguments: how a
 * server tierd did not start is recognised, and a reused pid is not. */
bool proc_runs_with(pid_t pid, const char *arg);
/* Runs prod | cons: prod's stdin is in_fd (or /dev/null when -1), its stderr lands in
 * prod_err; cons's stdout and stderr land in cons_out (the last bytes of each, bounded,
 * NUL-terminated).
 * Returns 0 with both wait statuses set (a pipeline is good only when both are 0: a
 * consumer that succeeds on a truncated stream says nothing of the producer), -ETIMEDOUT
 * after killing both, or -errno when they could not start. */
int proc_pipe(char *const prod[], char *const cons[], int in_fd, char *prod_err, size_t pel,
              char *cons_out, size_t col, unsigned timeout_ms, int *prod_status,
              int *cons_status);
/* "exit 1", "signal 9" ("status unknown" for -1): for log lines. */
const char *proc_status_text(int status, char *buf, size_t len);

#endif
