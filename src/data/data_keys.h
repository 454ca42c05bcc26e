/*
 * data/data_keys.h: every key of the stack file's `databases:` section, once (conf/keys.h
 * says what an entry holds). data_conf.c reads through these entries; `plan`, the policy
 * rules and the test that holds docs/stack-file.md to the tables consult them too.
 */
#ifndef DATA_DATA_KEYS_H
#define DATA_DATA_KEYS_H
#include "conf/keys.h"

enum data_key {
    XK_DATABASES = 0,
    XK_DB,
    XK_ENGINE,
    XK_MODE,
    XK_ADDRESS,
    XK_SOCKET,
    XK_DATADIR,
    XK_SCHEMAS,
    XK_USERS,
    XK_USER,
    XK_USER_PASSWORD,
    XK_USER_HOST,
    XK_USER_GRANTS,
    XK_PARAMETERS,
    XK_PARAMETER,
    XK_ENCRYPTION,
    XK_ENC_KEY_FILE,
    XK_BACKUP,
    XK_BK_REPOSITORY,
    XK_BK_PASSWORD_FILE,
    XK_BK_WINDOW,
    XK_BK_RETENTION,
    XK_BK_BINLOG_INTERVAL,
    XK_BK_VERIFY,
    XK_BK_OPTIONS,
    XK_BK_OPTION,
    XK_MAINTENANCE_WINDOW,
    XK_APPLY_IMMEDIATELY,
    XK_DELETION_PROTECTION,
    XK_COUNT
};

extern const struct conf_key data_keys[XK_COUNT];
extern const struct conf_keytab data_keytab;

#endif
