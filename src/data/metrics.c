/*
 * data/metrics.c: the RDS metrics of each database (data.h: data_visit_metrics). The
 * supervisor thread samples a running server every DATA_SAMPLE_MS (two status variables
 * over the admin socket, its process's CPU from /proc, free space under its datadir) and
 * reads the catalog's backup figures; the watch thread's visit only copies the cache, so
 * a slow server never holds up a metrics collection. For an external server the same
 * sample, as its first declared user, is its health check (reachable, with the error).
 */
#include "data/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

#define DATA_SAMPLE_MS 5000

/* utime + stime of pid in clock ticks, or -1. */
static long long
metrics_cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command, which may hold spaces: start after the last ')'. */
    char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                     &st) != 2)
        return -1;
    return (long long)(ut + st);
}

/* ReadLatency and WriteLatency as RDS reports them: the mean time of the I/O operations of
 * the last sample period (picoseconds summed by the performance schema), from the totals
 * "reads\tread_ps\twrites\twrite_ps" and the previous sample's. */
static void
metrics_io(struct data_figures *f, const char *row, const double prev[4])
{
    double v[4];

    if (sscanf(row, "%lf\t%lf\t%lf\t%lf", &v[0], &v[1], &v[2], &v[3]) != 4 || v[0] < 0)
        return;
    f->io_reads = v[0];
    f->io_read_ps = v[1];
    f->io_writes = v[2];
    f->io_write_ps = v[3];
    if (isnan(prev[0]))
        return;                         /* the first sample: no period yet */
    double nr = v[0] - prev[0], nw = v[2] - prev[2];
    f->read_latency_s = nr > 0 ? (v[1] - prev[1]) / nr / 1e12 : 0;
    f->write_latency_s = nw > 0 ? (v[3] - prev[3]) / nw / 1e12 : 0;
}

/* Two status variables; for an external server this is its health check too. 0, or
 * -errno with why in err. */
static int
metrics_status(struct data_server *s, const struct data_db_conf *c, bool external,
               struct data_figures *f, char *err, size_t errlen)
{
    /* The I/O latencies come from the performance schema's file summaries when the server
     * runs with performance_schema=ON (a parameter); without it the row is NULLs. */
    static const char sql[] =
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', 'Innodb_deadlocks');\n"
        "SELECT 'io', IFNULL(SUM(COUNT_READ), -1), IFNULL(SUM(SUM_TIMER_READ), -1),"
        " IFNULL(SUM(COUNT_WRITE), -1), IFNULL(SUM(SUM_TIMER_WRITE), -1)"
        " FROM performance_schema.file_summary_by_event_name"
        " WHERE EVENT_NAME LIKE 'wait/io/file/innodb/%' AND @@performance_schema = 1;\n";
    char out[1024];
    double prev[4] = { f->io_reads, f->io_read_ps, f->io_writes, f->io_write_ps };

    f->connections = f->deadlocks = f->read_latency_s = f->write_latency_s = NAN;
    int rc = external ? mariadb_sql_external(&s->paths, c, sql, out, sizeof(out), err, errlen)
                      : mariadb_sql(&s->paths, sql, NULL, out, sizeof(out), err, errlen);
    if (rc < 0)
        return rc;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab++ = '\0';
        if (strcasecmp(line, "Threads_connected") == 0)
            f->connections = strtod(tab, NULL);
        else if (strcasecmp(line, "Innodb_deadlocks") == 0)
            f->deadlocks = strtod(tab, NULL);
        else if (strcmp(line, "io") == 0)
            metrics_io(f, tab, prev);
    }
    return 0;
}

void
metrics_sample(struct data *dt, struct data_server *s, long long now)
{
    struct data_figures f = s->fig;
    bool external = s->state == DATA_EXTERNAL;
    char err[512] = "";

    if ((s->state != DATA_RUNNING && !external) || now < s->fig.next_ms)
        return;
    if (f.next_ms == 0)
        f.io_reads = NAN;               /* no previous I/O totals yet */
    f.next_ms = now + DATA_SAMPLE_MS;
    pid_t pid = s->pid;
    const struct data_db_conf *c = s->conf;
    bool backups = c->backup_on && !external;
    char name[80];
    snprintf(name, sizeof(name), "%s", c->name);
    pthread_mutex_unlock(&dt->mu);

    int up = metrics_status(s, c, external, &f, err, sizeof(err));
    long long ticks = pid > 0 ? metrics_cpu_ticks(pid) : -1;
    f.cpu_pct = NAN;
    if (ticks >= 0 && f.cpu_ticks > 0 && now > f.cpu_ms && ticks >= f.cpu_ticks)
        f.cpu_pct = 100.0 * (double)(ticks - f.cpu_ticks) / (double)sysconf(_SC_CLK_TCK) /
                    ((double)(now - f.cpu_ms) / 1000.0);
    f.cpu_ticks = ticks;
    f.cpu_ms = now;
    struct statvfs vfs;
    f.free_bytes = !external && statvfs(s->paths.datadir, &vfs) == 0 ?
                   (double)vfs.f_bavail * (double)vfs.f_frsize : NAN;
    f.backup_age_s = f.binlog_lag_s = f.verify_ok = f.restore_s = NAN;
    if (backups) {
        int64_t wall = (int64_t)clock_wall_ms();
        struct catalog_base b;
        if (catalog_latest_base(dt->cat, name, INT64_MAX, &b) == 0) {
            f.backup_age_s = (double)(wall - b.ended_ms) / 1000.0;
            free(b.figures);
        }
        int64_t point = catalog_restorable_get(dt->cat, name);
        if (point > 0)
            f.binlog_lag_s = (double)(wall - point) / 1000.0;
        bool ok;
        int64_t ms;
        if (catalog_verify_latest(dt->cat, name, &ok, &ms) == 0) {
            f.verify_ok = ok ? 1 : 0;
            f.restore_s = (double)ms / 1000.0;
        }
    }
    pthread_mutex_lock(&dt->mu);
    s->fig = f;
    if (external) {
        if (up < 0 && (s->reachable || !s->error[0]))
            log_warn("data", "external database %s: unreachable: %s", name, err);
        else if (up == 0 && !s->reachable && s->error[0])
            log_info("data", "external database %s: reachable again", name);
        s->reachable = up == 0;
        snprintf(s->error, sizeof(s->error), "%s", up < 0 ? err : "");
    }
}

void
data_visit_metrics(struct data *dt, data_metric_fn fn, void *ctx)
{
    pthread_mutex_lock(&dt->mu);
    for (unsigned i = 0; i < dt->n; i++) {
        const struct data_server *s = dt->servers[i];
        const struct data_figures *f = &s->fig;
        const struct { const char *name; double v; bool counter; } m[] = {
            { "tierd_db_connections", f->connections, false },
            { "tierd_db_cpu_utilization", f->cpu_pct, false },
            { "tierd_db_free_storage_bytes", f->free_bytes, false },
            { "tierd_db_deadlocks_total", f->deadlocks, true },
            { "tierd_db_read_latency_seconds", f->read_latency_s, false },
            { "tierd_db_write_latency_seconds", f->write_latency_s, false },
            { "tierd_db_backup_age_seconds", f->backup_age_s, false },
            { "tierd_db_binlog_archive_lag_seconds", f->binlog_lag_s, false },
            { "tierd_db_last_verify_ok", f->verify_ok, false },
            { "tierd_db_restore_duration_seconds", f->restore_s, false },
        };
        if ((s->state != DATA_RUNNING && s->state != DATA_EXTERNAL) || f->next_ms == 0)
            continue;                   /* not sampled yet: missing data, not zeros */
        for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++)
            if (!isnan(m[k].v))
                fn(ctx, m[k].name, s->conf->name, m[k].v, m[k].counter);
    }
    pthread_mutex_unlock(&dt->mu);
}
