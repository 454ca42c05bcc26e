/*
 * daemon/autocert.h: what the ACME client is told to keep, taken from the listeners'
 * tls.acme blocks (edge_conf), and what happens when it installs a certificate.
 */
#ifndef DAEMON_AUTOCERT_H
#define DAEMON_AUTOCERT_H
#include <stdint.h>

struct acme_conf;
struct edge_conf;

/* One certificate per listener with tls.acme (two listeners asking for the same domains
 * share it). Returns a new conf for acme_apply(); copies what it needs from c. */
struct acme_conf *autocert_conf(const struct edge_conf *c);

/* Appends each acme certificate already in state_dir (complete, matching, not expired) to
 * its listener's tls.certificates, after the ones written in the file, so the TLS layer
 * loads and watches it like any other. Before edge_apply(); reads files. */
void autocert_add_files(struct edge_conf *c, const char *state_dir, int64_t now_s);

#endif
