/*
 * edge/tls_conf.h: a listener's `tls` block and the `redirect` rule action, read from the
 * stack file (tls_conf.c). Called by edge_conf.c while it reads a listener or a rule.
 */
#ifndef EDGE_TLS_CONF_H
#define EDGE_TLS_CONF_H
#include "conf/diag.h"
#include "conf/node.h"
#include "edge/edge_conf.h"

/* Reads listener node ln's `tls` (if any) into a new l->tls, after l->rules were read (the
 * host names they match are checked against the certificates). `root` is the file's top
 * (acme needs its state_dir). 0, or -EINVAL after diagnostics; l->tls may be set either way. */
int tls_conf_read(struct edge_listener_conf *l, const struct conf_node *root,
                  const struct conf_node *ln, const char *what, struct diag *d);
void tls_conf_free(struct edge_tls_conf *t);
/* Reads a rule's redirect map into a new conf (diagnostics for what is wrong), or NULL. */
struct edge_redirect_conf *tls_conf_read_redirect(const struct conf_node *n, const char *rwhat,
                                                  struct diag *d);
void tls_conf_free_redirect(struct edge_redirect_conf *r);

#endif
