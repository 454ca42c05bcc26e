/*
 * watch/metricmap.c: alarm metric name -> Prometheus series (see metricmap.h). Sources
 * report the series; this table is the only place that knows both names.
 */
#include "watch/metricmap.h"

#include <stddef.h>
#include <string.h>

#define ASG "auto_scaling_group"
#define TG "target_group"
#define LST "listener"
#define DB "database"

static const struct metricmap metricmap_table[] = {
    { "cpu_utilization", "tierd_asg_cpu_utilization", METRICMAP_GAUGE, NULL, NULL, NULL, 1,
      "CPUUtilization", { ASG } },
    { "group_in_service_instances", "tierd_asg_in_service_instances", METRICMAP_GAUGE, NULL,
      NULL, NULL, 1, "GroupInServiceInstances", { ASG } },
    { "request_count", "tierd_http_requests_total", METRICMAP_COUNTER, NULL, NULL, NULL, 1,
      "RequestCount", { TG, LST } },
    { "request_count_per_target", "tierd_http_requests_total", METRICMAP_COUNTER, NULL, NULL,
      "tierd_tg_healthy_hosts", 1, "RequestCountPerTarget", { TG } },
    { "http_4xx_count", "tierd_http_requests_total", METRICMAP_COUNTER, "code", "4xx", NULL, 1,
      "HTTPCode_ELB_4XX_Count", { TG, LST } },
    { "http_5xx_count", "tierd_http_requests_total", METRICMAP_COUNTER, "code", "5xx", NULL, 1,
      "HTTPCode_ELB_5XX_Count", { TG, LST } },
    { "target_response_time", "tierd_http_response_seconds", METRICMAP_HIST, NULL, NULL, NULL,
      1e-6, "TargetResponseTime", { TG, LST } },
    { "healthy_host_count", "tierd_tg_healthy_hosts", METRICMAP_GAUGE, NULL, NULL, NULL, 1,
      "HealthyHostCount", { TG } },
    { "unhealthy_host_count", "tierd_tg_unhealthy_hosts", METRICMAP_GAUGE, NULL, NULL, NULL, 1,
      "UnHealthyHostCount", { TG } },
    { "active_connections", "tierd_edge_active_connections", METRICMAP_GAUGE, NULL, NULL, NULL,
      1, "ActiveConnectionCount", { LST } },
    { "target_connection_error_count", "tierd_target_errors_total", METRICMAP_COUNTER,
      NULL, NULL, NULL, 1, "TargetConnectionErrorCount", { TG, "target" } },
    /* No source reports this sum yet (daemon/sources.c reports each shield verdict). */
    { "shield_blocked_requests", "tierd_shield_blocked_requests_total", METRICMAP_COUNTER, NULL,
      NULL, NULL, 1, "BlockedRequests", { LST, "rule" } },
    { "shield_denied_requests", "tierd_shield_deny_total", METRICMAP_COUNTER, NULL, NULL, NULL,
      1, "DeniedRequests", { NULL } },
    { "shield_banned_requests", "tierd_shield_ban_total", METRICMAP_COUNTER, NULL, NULL, NULL, 1,
      "BannedRequests", { NULL } },
    { "shield_rate_limited_requests", "tierd_shield_rate_limit_total", METRICMAP_COUNTER, NULL,
      NULL, NULL, 1, "RateLimitedRequests", { NULL } },
    { "host_cpu_utilization", "tierd_host_cpu_utilization", METRICMAP_GAUGE, NULL, NULL, NULL, 1,
      "HostCPUUtilization", { NULL } },
    { "memory_available_bytes", "tierd_host_memory_available_bytes", METRICMAP_GAUGE, NULL, NULL,
      NULL, 1, "MemoryAvailable", { NULL } },
    { "load_average", "tierd_host_load1", METRICMAP_GAUGE, NULL, NULL, NULL, 1, "LoadAverage",
      { NULL } },
    { "disk_free_bytes", "tierd_state_dir_free_bytes", METRICMAP_GAUGE, NULL, NULL, NULL, 1,
      "DiskFreeBytes", { NULL } },
    { "process_cpu_utilization", "tierd_process_cpu_utilization", METRICMAP_GAUGE, NULL, NULL,
      NULL, 1, "ProcessCPUUtilization", { NULL } },
    /* The data tier's (RDS names; data/metrics.c). */
    { "database_connections", "tierd_db_connections", METRICMAP_GAUGE, NULL, NULL, NULL, 1,
      "DatabaseConnections", { DB } },
    { "db_cpu_utilization", "tierd_db_cpu_utilization", METRICMAP_GAUGE, NULL, NULL, NULL, 1,
      "CPUUtilization", { DB } },
    { "free_storage_space", "tierd_db_free_storage_bytes", METRICMAP_GAUGE, NULL, NULL, NULL,
      1, "FreeStorageSpace", { DB } },
    { "deadlocks", "tierd_db_deadlocks_total", METRICMAP_COUNTER, NULL, NULL, NULL, 1,
      "Deadlocks", { DB } },
    { "read_latency", "tierd_db_read_latency_seconds", METRICMAP_GAUGE, NULL, NULL, NULL, 1,
      "ReadLatency", { DB } },
    { "write_latency", "tierd_db_write_latency_seconds", METRICMAP_GAUGE, NULL, NULL, NULL, 1,
      "WriteLatency", { DB } },
    { "backup_age_seconds", "tierd_db_backup_age_seconds", METRICMAP_GAUGE, NULL, NULL, NULL,
      1, "BackupAgeSeconds", { DB } },
    { "binlog_archive_lag_seconds", "tierd_db_binlog_archive_lag_seconds", METRICMAP_GAUGE,
      NULL, NULL, NULL, 1, "BinlogArchiveLagSeconds", { DB } },
    { "last_verify_ok", "tierd_db_last_verify_ok", METRICMAP_GAUGE, NULL, NULL, NULL, 1,
      "LastVerifyOk", { DB } },
    { "restore_duration_seconds", "tierd_db_restore_duration_seconds", METRICMAP_GAUGE, NULL,
      NULL, NULL, 1, "RestoreDurationSeconds", { DB } },
    { "certificate_days_to_expiry", "tierd_certificate_days_to_expiry", METRICMAP_GAUGE, NULL,
      NULL, NULL, 1, "CertificateDaysToExpiry", { "domain" } },
    { "process_resident_memory_bytes", "tierd_process_resident_memory_bytes", METRICMAP_GAUGE,
      NULL, NULL, NULL, 1, "ProcessResidentMemory", { NULL } },
};

#define METRICMAP_N (sizeof(metricmap_table) / sizeof(metricmap_table[0]))

static const char *metricmap_name_list[METRICMAP_N + 1];

const struct metricmap *
metricmap_find(const char *metric)
{
    for (size_t i = 0; i < METRICMAP_N; i++)
        if (strcmp(metricmap_table[i].metric, metric) == 0)
            return &metricmap_table[i];
    return NULL;
}

const char *const *
metricmap_names(void)
{
    /* Filled on every call: idempotent, so concurrent callers write the same values. */
    for (size_t i = 0; i < METRICMAP_N; i++)
        metricmap_name_list[i] = metricmap_table[i].metric;
    metricmap_name_list[METRICMAP_N] = NULL;
    return metricmap_name_list;
}

bool
metricmap_has_dim(const struct metricmap *m, const char *dim)
{
    for (size_t i = 0; i < sizeof(m->dims) / sizeof(m->dims[0]) && m->dims[i]; i++)
        if (strcmp(m->dims[i], dim) == 0)
            return true;
    return false;
}
