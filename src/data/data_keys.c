/*
 * data/data_keys.c: the key table of `databases:` (see data_keys.h). The names and the
 * windows follow RDS (CreateDBInstance): BackupRetentionPeriod is `retention` (0 disables
 * automated backups, at most 35 days), PreferredBackupWindow is `backup.window`,
 * PreferredMaintenanceWindow is `maintenance_window`. A reload applies schemas, users,
 * backup settings and dynamic parameters at once, and the other parameters in the
 * maintenance window (reconf.c, as ModifyDBInstance does); address and socket wait for a
 * restart of tierd; engine, datadir or storage encryption make a new database, as on RDS.
 */
#include "data/data_keys.h"

/* Indexed by enum data_engine and enum data_mode (data_conf.h). */
static const char *const engines[] = { "mariadb", NULL };
static const char *const modes[] = { "managed", "external", NULL };

#define SEC 1000ULL
#define DAY (86400 * SEC)
#define R CONF_KEY_RESTART

const struct conf_key data_keys[XK_COUNT] = {
    [XK_DATABASES] = { "databases", KT_NAMED, 0, NULL, 0, 0, NULL },
    [XK_DB] = { "databases.*", KT_MAP, 0, NULL, 0, 0, NULL },
    [XK_ENGINE] = { "databases.*.engine", KT_ENUM, CONF_KEY_REPLACE, "mariadb", 0, 0, engines },
    [XK_MODE] = { "databases.*.mode", KT_ENUM, CONF_KEY_REPLACE, "managed", 0, 0, modes },
    /* host:port; absent: the server listens on its socket only (skip-networking). */
    [XK_ADDRESS] = { "databases.*.address", KT_STRING, R, NULL, 0, 300, NULL },
    /* Absent: <state_dir>/db/<name>.sock. */
    [XK_SOCKET] = { "databases.*.socket", KT_STRING, R, NULL, 0, 100, NULL },
    /* Absent: <state_dir>/db/<name>/data. */
    [XK_DATADIR] = { "databases.*.datadir", KT_STRING, CONF_KEY_REPLACE, NULL, 0, 3000, NULL },
    /* Schema names; max: entries. */
    [XK_SCHEMAS] = { "databases.*.schemas", KT_LIST, 0, NULL, 0, 256, NULL },
    [XK_USERS] = { "databases.*.users", KT_NAMED, 0, NULL, 0, 256, NULL },
    [XK_USER] = { "databases.*.users.*", KT_MAP, 0, NULL, 0, 0, NULL },
    [XK_USER_PASSWORD] = { "databases.*.users.*.password", KT_STRING,
                           CONF_KEY_REQUIRED | CONF_KEY_SENSITIVE | CONF_KEY_ENV_REF, NULL,
                           0, 1024, NULL },
    [XK_USER_HOST] = { "databases.*.users.*.host", KT_STRING, 0, "localhost", 0, 255, NULL },
    [XK_USER_GRANTS] = { "databases.*.users.*.grants", KT_LIST, 0, NULL, 0, 64, NULL },
    /* Server variables: name: value; max: entries. */
    [XK_PARAMETERS] = { "databases.*.parameters", KT_NAMED, 0, NULL, 0, 256, NULL },
    [XK_PARAMETER] = { "databases.*.parameters.*", KT_ANY, 0, NULL, 0, 0, NULL },
    [XK_ENCRYPTION] = { "databases.*.storage_encryption", KT_MAP, CONF_KEY_REPLACE, NULL, 0, 0,
                        NULL },
    [XK_ENC_KEY_FILE] = { "databases.*.storage_encryption.key_file", KT_STRING,
                          CONF_KEY_REQUIRED | CONF_KEY_REPLACE, NULL, 0, 4096, NULL },
    [XK_BACKUP] = { "databases.*.backup", KT_MAP, 0, NULL, 0, 0, NULL },
    [XK_BK_REPOSITORY] = { "databases.*.backup.repository", KT_STRING, CONF_KEY_REQUIRED,
                           NULL, 0, 4096, NULL },
    [XK_BK_PASSWORD_FILE] = { "databases.*.backup.password_file", KT_STRING,
                              CONF_KEY_REQUIRED, NULL, 0, 4096, NULL },
    /* hh:mm-hh:mm UTC, at least 30 minutes (the reader checks). */
    [XK_BK_WINDOW] = { "databases.*.backup.window", KT_STRING, 0, "03:00-03:30", 0, 11, NULL },
    [XK_BK_RETENTION] = { "databases.*.backup.retention", KT_DURATION, 0, "7d", 0, 35 * DAY,
                          NULL },
    [XK_BK_BINLOG_INTERVAL] = { "databases.*.backup.binlog_interval", KT_DURATION, 0, "60s",
                                SEC, 3600 * SEC, NULL },
    [XK_BK_VERIFY] = { "databases.*.backup.verify", KT_BOOL, 0, "true", 0, 0, NULL },
    /* restic's extended options (-o name=value): sftp.command, s3.region, ...; max: entries. */
    [XK_BK_OPTIONS] = { "databases.*.backup.options", KT_NAMED, 0, NULL, 0, 16, NULL },
    [XK_BK_OPTION] = { "databases.*.backup.options.*", KT_STRING, 0, NULL, 0, 1024, NULL },
    /* ddd:hh:mm-ddd:hh:mm UTC, at least 30 minutes, not overlapping the backup window. */
    [XK_MAINTENANCE_WINDOW] = { "databases.*.maintenance_window", KT_STRING, 0,
                                "sun:04:00-sun:04:30", 0, 19, NULL },
    [XK_APPLY_IMMEDIATELY] = { "databases.*.apply_immediately", KT_BOOL, 0, "false", 0, 0,
                               NULL },
    [XK_DELETION_PROTECTION] = { "databases.*.deletion_protection", KT_BOOL, 0, "true", 0, 0,
                                 NULL },
};

const struct conf_keytab data_keytab = { "data", data_keys, XK_COUNT };
