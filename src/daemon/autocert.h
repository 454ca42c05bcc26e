/*
 * daemon/autocert.h: what the ACME client is told to keep, taken from the listeners'
 * tls.acme blocks (edge_conf), and what happens when it installs a certificate.
 */
#ifndef DAEMON_AUTOCERT_H
#define DAEMON_AUTOCERT_H

struct acme_conf;
struct edge_conf;

/* One certificate per listener with tls.acme (two listeners asking for the same domains
 * share it). Returns a new conf for acme_apply(); copies what it needs from c. */
struct acme_conf *autocert_conf(const struct edge_conf *c);

#endif
