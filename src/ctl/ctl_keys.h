/*
 * ctl/ctl_keys.h: every key of the stack file's `control:` section, once (conf/keys.h says
 * what an entry holds). ctl_conf.c reads through these entries, the policy rules and
 * `plan` consult them, and docs/stack-file.md is held to them by a test.
 */
#ifndef CTL_CTL_KEYS_H
#define CTL_CTL_KEYS_H
#include "conf/keys.h"

enum ctl_key {
    CK_CONTROL = 0,
    CK_SOCKET,
    CK_ADDRESS,
    CK_TOKEN,
    CK_TOKEN_ENV,
    CK_ALLOWED_ORIGINS,
    CK_CONSOLE,
    CK_TOKENS,
    CK_TOKENS_ENTRY,
    CK_COUNT
};

extern const struct conf_key ctl_keys[CK_COUNT];
extern const struct conf_keytab ctl_keytab;

#endif
