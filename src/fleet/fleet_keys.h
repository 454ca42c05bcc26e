/*
 * fleet/fleet_keys.h: every key of launch_templates and auto_scaling_groups, once
 * (conf/keys.h says what an entry holds). fleet_conf.c reads through these entries, the
 * policy rules and `plan` consult them, and docs/stack-file.md is held to them by a test.
 */
#ifndef FLEET_FLEET_KEYS_H
#define FLEET_FLEET_KEYS_H
#include "conf/keys.h"

enum fleet_key {
    FK_TEMPLATES = 0,
    FK_TEMPLATE,
    FK_LT_COMMAND,
    FK_LT_ENV,
    FK_LT_ENV_VAR,
    FK_LT_ENV_FILE,
    FK_LT_INHERIT_ENV,
    FK_LT_WORKING_DIR,
    FK_LT_USER,
    FK_LT_STOP_SIGNAL,
    FK_LT_STOP_TIMEOUT,
    FK_LT_ITYPE,
    FK_LT_ITYPE_CPU,
    FK_LT_ITYPE_MEMORY,
    FK_LT_ITYPE_REQUIRED,
    FK_GROUPS,
    FK_GROUP,
    FK_ASG_LAUNCH_TEMPLATE,
    FK_ASG_LT_NAME,
    FK_ASG_LT_VERSION,
    FK_ASG_TARGET_GROUP,
    FK_ASG_MIN_SIZE,
    FK_ASG_MAX_SIZE,
    FK_ASG_DESIRED,
    FK_ASG_HEALTH_TYPE,
    FK_ASG_GRACE,
    FK_ASG_WARMUP,
    FK_ASG_POLICIES,
    FK_ASG_POLICY_NAME,
    FK_ASG_POLICY_TT,
    FK_ASG_TT_METRIC,
    FK_ASG_TT_TARGET,
    FK_ASG_TT_NO_SCALE_IN,
    FK_ASG_REFRESH,
    FK_ASG_REFRESH_MIN_HEALTHY,
    FK_ASG_REFRESH_WARMUP,
    FK_ASG_REFRESH_ROLLBACK,
    FK_COUNT
};

extern const struct conf_key fleet_keys[FK_COUNT];
extern const struct conf_keytab fleet_keytab;

#endif
