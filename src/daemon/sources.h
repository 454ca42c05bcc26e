/*
 * daemon/sources.h: the metric sources the daemon registers with watch.
 */
#ifndef DAEMON_SOURCES_H
#define DAEMON_SOURCES_H

struct watch;
struct edge;
struct shield;
struct fleet;
struct data;

/* Registers edge, shield, fleet and data collectors (all borrowed for watch's lifetime;
 * d may be NULL). */
void sources_add(struct watch *w, struct edge *e, struct shield *s, struct fleet *f,
                 struct data *d);

#endif
