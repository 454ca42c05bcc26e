/*
 * daemon/sdnotify.h: tells systemd (a Type=notify unit) where the daemon is in its life:
 * ready once the listeners accept, reloading around SIGHUP, stopping at SIGTERM. Without
 * $NOTIFY_SOCKET (a terminal, a test) every call does nothing.
 */
#ifndef DAEMON_SDNOTIFY_H
#define DAEMON_SDNOTIFY_H

/* READY=1 with a STATUS= line naming the stack file; call after the listeners are bound. */
void sdnotify_ready(const char *path);
/* RELOADING=1 (with MONOTONIC_USEC, which systemd 253's Type=notify-reload wants). */
void sdnotify_reloading(void);
/* READY=1 again after a reload; ok says whether the new file was applied (STATUS= says). */
void sdnotify_reloaded(const char *path, int ok);
/* STOPPING=1: systemd shows "deactivating" while the edge drains. */
void sdnotify_stopping(void);

#endif
