/*
 * fleet/fleet_keys.c: the fleet's key table (see fleet_keys.h). Defaults follow AWS
 * (EC2 launch templates, Auto Scaling groups); bounds are the readers' bounds.
 */
#include "fleet/fleet_keys.h"

/* Indexed by enum fleet_metric and enum fleet_health_type (fleet_conf.h). */
static const char *const metrics[] = { "cpu_utilization", "request_count_per_target", NULL };
static const char *const health_types[] = { "ec2", "elb", NULL };

#define SEC 1000ULL
#define HOUR (3600 * SEC)

const struct conf_key fleet_keys[FK_COUNT] = {
    [FK_TEMPLATES] = { "launch_templates", KT_NAMED, 0, NULL, 0, 0, NULL },
    [FK_TEMPLATE] = { "launch_templates.*", KT_MAP, 0, NULL, 0, 0, NULL },
    [FK_LT_COMMAND] = { "launch_templates.*.command", KT_LIST, CONF_KEY_REQUIRED, NULL, 1, 256,
                        NULL },
    [FK_LT_ENV] = { "launch_templates.*.env", KT_NAMED, 0, NULL, 0, 256, NULL },
    /* Every value is treated as a secret in output: the names say what is set. */
    [FK_LT_ENV_VAR] = { "launch_templates.*.env.*", KT_STRING,
                        CONF_KEY_SENSITIVE | CONF_KEY_ENV_REF, NULL, 0, 0, NULL },
    [FK_LT_ENV_FILE] = { "launch_templates.*.env_file", KT_STRING, 0, NULL, 0, 4096, NULL },
    [FK_LT_INHERIT_ENV] = { "launch_templates.*.inherit_env", KT_LIST, 0, NULL, 0, 256, NULL },
    [FK_LT_WORKING_DIR] = { "launch_templates.*.working_dir", KT_STRING, 0, NULL, 0, 4096,
                            NULL },
    [FK_LT_USER] = { "launch_templates.*.user", KT_STRING, 0, NULL, 0, 32, NULL },
    [FK_LT_STOP_SIGNAL] = { "launch_templates.*.stop_signal", KT_STRING, 0, "SIGTERM", 0, 0,
                            NULL },
    [FK_LT_STOP_TIMEOUT] = { "launch_templates.*.stop_timeout", KT_DURATION, 0, "10s", 0, HOUR,
                             NULL },
    [FK_LT_ITYPE] = { "launch_templates.*.instance_type", KT_MAP, 0, NULL, 0, 0, NULL },
    [FK_LT_ITYPE_CPU] = { "launch_templates.*.instance_type.cpu", KT_NUMBER, 0, NULL, 0, 0,
                          NULL },
    [FK_LT_ITYPE_MEMORY] = { "launch_templates.*.instance_type.memory", KT_SIZE, 0, NULL,
                             4u << 20, 1ULL << 50, NULL },
    /* true: an instance whose limits cannot be applied does not launch. */
    [FK_LT_ITYPE_REQUIRED] = { "launch_templates.*.instance_type.required", KT_BOOL, 0,
                               "false", 0, 0, NULL },
    [FK_GROUPS] = { "auto_scaling_groups", KT_NAMED, 0, NULL, 0, 0, NULL },
    [FK_GROUP] = { "auto_scaling_groups.*", KT_MAP, 0, NULL, 0, 0, NULL },
    /* A name, or { name, version }: the reader takes both shapes. */
    [FK_ASG_LAUNCH_TEMPLATE] = { "auto_scaling_groups.*.launch_template", KT_MAP,
                                 CONF_KEY_REQUIRED | CONF_KEY_REPLACE, NULL, 0, 0, NULL },
    [FK_ASG_LT_NAME] = { "auto_scaling_groups.*.launch_template.name", KT_STRING,
                         CONF_KEY_REQUIRED | CONF_KEY_REPLACE, NULL, 0, 0, NULL },
    [FK_ASG_LT_VERSION] = { "auto_scaling_groups.*.launch_template.version", KT_ANY, 0,
                            "$Latest", 0, 0, NULL },
    [FK_ASG_TARGET_GROUP] = { "auto_scaling_groups.*.target_group", KT_STRING,
                              CONF_KEY_REQUIRED | CONF_KEY_REPLACE, NULL, 0, 0, NULL },
    [FK_ASG_MIN_SIZE] = { "auto_scaling_groups.*.min_size", KT_UINT, CONF_KEY_REQUIRED, NULL,
                          0, 1000, NULL },
    [FK_ASG_MAX_SIZE] = { "auto_scaling_groups.*.max_size", KT_UINT, CONF_KEY_REQUIRED, NULL,
                          1, 1000, NULL },
    /* Default: min_size (a reference, not a constant; the reader fills it). */
    [FK_ASG_DESIRED] = { "auto_scaling_groups.*.desired_capacity", KT_UINT, 0, NULL, 0, 1000,
                         NULL },
    [FK_ASG_HEALTH_TYPE] = { "auto_scaling_groups.*.health_check_type", KT_ENUM, 0, "ec2", 0,
                             0, health_types },
    [FK_ASG_GRACE] = { "auto_scaling_groups.*.health_check_grace_period", KT_DURATION, 0, "0",
                       0, HOUR, NULL },
    [FK_ASG_WARMUP] = { "auto_scaling_groups.*.default_instance_warmup", KT_DURATION, 0, "0", 0,
                        HOUR, NULL },
    [FK_ASG_POLICIES] = { "auto_scaling_groups.*.scaling_policies", KT_LIST, 0, NULL, 0, 8,
                          NULL },
    [FK_ASG_POLICY_NAME] = { "auto_scaling_groups.*.scaling_policies[].name", KT_STRING,
                             CONF_KEY_REQUIRED, NULL, 0, 0, NULL },
    [FK_ASG_POLICY_TT] = { "auto_scaling_groups.*.scaling_policies[].target_tracking", KT_MAP,
                           CONF_KEY_REQUIRED, NULL, 0, 0, NULL },
    [FK_ASG_TT_METRIC] = { "auto_scaling_groups.*.scaling_policies[].target_tracking.metric",
                           KT_ENUM, CONF_KEY_REQUIRED, NULL, 0, 0, metrics },
    [FK_ASG_TT_TARGET] = { "auto_scaling_groups.*.scaling_policies[].target_tracking."
                           "target_value", KT_NUMBER, CONF_KEY_REQUIRED, NULL, 0, 0, NULL },
    [FK_ASG_TT_NO_SCALE_IN] = { "auto_scaling_groups.*.scaling_policies[].target_tracking."
                                "disable_scale_in", KT_BOOL, 0, "false", 0, 0, NULL },
    [FK_ASG_REFRESH] = { "auto_scaling_groups.*.instance_refresh", KT_MAP, 0, NULL, 0, 0,
                         NULL },
    [FK_ASG_REFRESH_MIN_HEALTHY] = { "auto_scaling_groups.*.instance_refresh."
                                     "min_healthy_percentage", KT_UINT, 0, "90", 0, 100, NULL },
    /* Default: default_instance_warmup, else the grace period (the reader fills it). */
    [FK_ASG_REFRESH_WARMUP] = { "auto_scaling_groups.*.instance_refresh.instance_warmup",
                                KT_DURATION, 0, NULL, 0, HOUR, NULL },
    [FK_ASG_REFRESH_ROLLBACK] = { "auto_scaling_groups.*.instance_refresh.auto_rollback",
                                  KT_BOOL, 0, "false", 0, 0, NULL },
};

const struct conf_keytab fleet_keytab = { "fleet", fleet_keys, FK_COUNT };
