/*
 * fuzz/shield_conf.c: shield rules come from the stack file, typed by people and sometimes
 * generated from outside lists (CIDR feeds), so the `shield:` reader gets arbitrary YAML.
 * Properties: no crash, no leak; a failure carries at least one one-line diagnostic, a
 * success none; a built conf is coherent (limits in range, login paths NULL-terminated and
 * absolute, lookups answer allow, deny or nothing).
 */
#include <stdint.h>
#include <string.h>

#include "conf/node.h"
#include "core/err.h"
#include "shield/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct diag d;

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("fuzz.yaml", (const char *)data, len, &d);
    if (doc) {
        BUG_ON(diag_count(&d) != 0);
        struct shield_conf *c = NULL;
        shield_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &c);
        if (!c) {
            BUG_ON(diag_count(&d) == 0);
        } else {
            BUG_ON(diag_count(&d) != 0);
            BUG_ON(c->rate_status != 403 && c->rate_status != 429);
            BUG_ON(c->rate_enabled && (c->rate_limit < 10 || c->rate_window_ms < 60000));
            BUG_ON(c->max_ban_ms < c->ban_ms || c->repeat_ban_factor < 1);
            BUG_ON(c->login_paths[c->nlogin] != NULL);
            for (unsigned i = 0; i < c->nlogin; i++)
                BUG_ON(c->login_paths[i][0] != '/');
            struct shield_addr a;
            memset(&a, 0, sizeof(a));
            if (len >= 16)
                memcpy(a.b, data, 16);
            int v = cidrset_lookup(c->firewall, &a);
            BUG_ON(c->enabled && v != -1 && v != SHIELD_FW_ALLOW && v != SHIELD_FW_DENY);
            BUG_ON(shield_conf_ban_ms(c, 1000) > c->max_ban_ms);
            shield_conf_free(c);
        }
        conf_doc_free(doc);
    } else {
        BUG_ON(diag_count(&d) == 0);
    }
    for (unsigned i = 0; i < d.n; i++)
        BUG_ON(strchr(d.msgs[i], '\n') != NULL);
    diag_fini(&d);
    return 0;
}
