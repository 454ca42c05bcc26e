/*
 * daemon/sources.h: the metric sources the daemon registers with watch.
 */
#ifndef DAEMON_SOURCES_H
#define DAEMON_SOURCES_H

struct watch;
struct edge;
struct shield;
struct fleet;

/* Registers edge, shield and fleet collectors (all borrowed for watch's lifetime). */
void sources_add(struct watch *w, struct edge *e, struct shield *s, struct fleet *f);

struct acme;
/* Registers the certificates' days to expiry (a borrowed for watch's lifetime). */
void sources_add_acme(struct watch *w, struct acme *a);

#endif
