/*
 * ctl/ctl_keys.c: the control API's key table (see ctl_keys.h). The listeners are opened
 * once at start, so every key takes effect on restart (a reload logs a warning), but the
 * tokens: a reload applies them at once, so that a revoked one stops working.
 */
#include "ctl/ctl_keys.h"

#include <sys/un.h>

#include "ctl/ctl_conf.h"

#define CTL_KEY_ENV_NAME_MAX 128    /* conf_ref_name_ok()'s limit */

const struct conf_key ctl_keys[CK_COUNT] = {
    [CK_CONTROL] = { "control", KT_MAP, CONF_KEY_RESTART, NULL, 0, 0, NULL },
    /* A path, or "off"; at most what a sockaddr_un holds. */
    [CK_SOCKET] = { "control.socket", KT_STRING, CONF_KEY_RESTART, CTL_CONF_SOCKET_DEFAULT, 0,
                    sizeof(((struct sockaddr_un *)0)->sun_path) - 1, NULL },
    [CK_ADDRESS] = { "control.address", KT_STRING, CONF_KEY_RESTART, NULL, 0, 0, NULL },
    /* "${env:NAME}"; a literal is accepted (a check flags it). */
    [CK_TOKEN] = { "control.token", KT_STRING,
                   CONF_KEY_SENSITIVE | CONF_KEY_ENV_REF, NULL, 0, 0, NULL },
    /* The older spelling: `token_env: NAME` is `token: "${env:NAME}"`. */
    [CK_TOKEN_ENV] = { "control.token_env", KT_STRING, 0, NULL, 0,
                       CTL_KEY_ENV_NAME_MAX, NULL },
    /* Web origins ("https://host[:port]") whose pages may call the TCP listener; none by
     * default. The console's own origin will be one. */
    [CK_ALLOWED_ORIGINS] = { "control.allowed_origins", KT_LIST, CONF_KEY_RESTART, NULL, 0,
                             CTL_CONF_ORIGINS_MAX, NULL },
    /* The web console (docs/console.md) on the TCP listener; never on the unix socket. */
    [CK_CONSOLE] = { "control.console", KT_BOOL, CONF_KEY_RESTART, "false", 0, 0, NULL },
    /* One token per operator, name: "${env:NAME}", so that every action says who did it;
     * max: entries. */
    [CK_TOKENS] = { "control.tokens", KT_NAMED, 0, NULL, 0, CTL_CONF_TOKENS_MAX,
                    NULL },
    [CK_TOKENS_ENTRY] = { "control.tokens.*", KT_STRING,
                          CONF_KEY_SENSITIVE | CONF_KEY_ENV_REF, NULL, 0, 0, NULL },
};

const struct conf_keytab ctl_keytab = { "ctl", ctl_keys, CK_COUNT };
