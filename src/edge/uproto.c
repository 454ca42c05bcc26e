/*
 * edge/uproto.c: the table of upstream protocols (uproto.h), indexed by a target group's
 * `protocol:`. A new protocol adds its file, its entry here and its word in edge_keys.c.
 */
#include "edge/uproto.h"

#include "core/err.h"

static const struct uproto_ops *const uproto_table[] = {
    [EDGE_TG_PROTO_HTTP] = &uproto_h1_ops,
    [EDGE_TG_PROTO_HTTPS] = &uproto_h1_ops,     /* TLS lies under it, in upstream.c */
    [EDGE_TG_PROTO_FASTCGI] = &uproto_fcgi_ops,
};

const struct uproto_ops *
uproto_of(enum edge_tg_protocol p)
{
    BUG_ON((unsigned)p >= sizeof(uproto_table) / sizeof(uproto_table[0]) || !uproto_table[p]);
    return uproto_table[p];
}
