/*
 * daemon/stack_keys.c: the keys the daemon itself reads (state_dir), and the list of every
 * subsystem's table (daemon/keytabs.h).
 */
#include "daemon/keytabs.h"

#include "ctl/ctl_keys.h"
#include "data/data_keys.h"
#include "edge/edge_keys.h"
#include "fleet/fleet_keys.h"
#include "shield/shield_keys.h"
#include "watch/watch_keys.h"

const struct conf_key stack_keys[DK_COUNT] = {
    [DK_STATE_DIR] = { "state_dir", KT_STRING, CONF_KEY_RESTART, "state", 0, 4096, NULL },
};

static const struct conf_keytab stack_keytab = { "daemon", stack_keys, DK_COUNT };

const struct conf_keytab *const keytabs_all[] = {
    &edge_keytab, &ctl_keytab, &fleet_keytab, &shield_keytab, &watch_keytab,
    &stack_keytab, &data_keytab, NULL,
};
