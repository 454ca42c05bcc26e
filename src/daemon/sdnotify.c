/*
 * daemon/sdnotify.c: the systemd notification protocol through libsystemd's sd_notify().
 * It owns nothing: sd_notify() reads $NOTIFY_SOCKET on every call and sends one datagram.
 * The variable is left in the environment on purpose (reloads notify too); instances never
 * see it, because fleet/instance.c builds their environment from a short allow list.
 */
#include "daemon/sdnotify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "core/log.h"

/* Sends msg; a failure is logged and never fatal: systemd then sees a
 * timeout and says so itself. */
static void
sdnotify_send(const char *msg)
{
    int rc = sd_notify(0, msg);

    if (rc < 0)
        log_warn("daemon", "sd_notify failed msg=\"%.*s\" err=\"%s\"", (int)strcspn(msg, "\n"),
                 msg, strerror(-rc));
}

void
sdnotify_ready(const char *path)
{
    char msg[512];

    snprintf(msg, sizeof(msg), "READY=1\nSTATUS=serving %.400s", path);
    sdnotify_send(msg);
}

void
sdnotify_reloading(void)
{
    struct timespec ts;
    char msg[96];

    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
    sdnotify_send(msg);
}

void
sdnotify_reloaded(const char *path, int ok)
{
    char msg[512];

    snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s %.400s", ok ? "serving" :
             "reload refused, serving the previous configuration of", path);
    sdnotify_send(msg);
}

void
sdnotify_stopping(void)
{
    sdnotify_send("STOPPING=1\nSTATUS=draining");
}
