/*
 * edge/h2conf.c: reads a listener's `http2:` block (edge_keys.c: EK_L_HTTP2 and its
 * children) into struct edge_http2_conf, defaults from the key table when the block or a
 * key is absent. Enforcing the limits is h2sess.c's business; this file only reads them.
 */
#include "edge/h2conf.h"

#include <stdio.h>

#include "edge/edge_conf_internal.h"

void
h2conf_read(struct edge_http2_conf *h, const struct conf_node *listener, const char *what,
            struct diag *d)
{
    char hw[160];
    uint64_t *fields[] = {
        &h->max_concurrent_streams, NULL, &h->max_header_fields, &h->max_resets_per_second,
        &h->max_continuations, &h->max_requests_per_connection,
    };

    snprintf(hw, sizeof(hw), "%s: http2", what);
    const struct conf_node *n = edge_conf_section(listener, EK_L_HTTP2, hw, d);
    edge_conf_check_map(n, EK_L_HTTP2, hw, d);
    for (unsigned id = EK_H2_MAX_STREAMS; id <= EK_H2_MAX_REQUESTS; id++)
        if (fields[id - EK_H2_MAX_STREAMS])
            conf_key_uint(n, EDGE_K(id), fields[id - EK_H2_MAX_STREAMS], d);
    conf_key_size(n, EDGE_K(EK_H2_MAX_HEADER_LIST), &h->max_header_list_size, d);
    conf_key_duration(n, EDGE_K(EK_H2_IDLE_TIMEOUT), &h->idle_timeout_ms, d);
    conf_key_bool(n, EDGE_K(EK_H2_H2C), &h->h2c, d);
    conf_key_uint(n, EDGE_K(EK_H2_MAX_MALFORMED), &h->max_malformed_requests, d);
}
