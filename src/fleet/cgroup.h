/*
 * fleet/cgroup.h: instance_type enforced with cgroup v2 where tierd's cgroup is
 * delegated to it (systemd Delegate=yes, or a container's own tree). Each instance gets a
 * child cgroup with cpu.max and memory.max; tierd itself moves to a "supervisor" leaf so
 * that its cgroup may enable controllers for its children (cgroup v2's no-internal-
 * processes rule). Where cgroup v2 is absent or not delegated (a cgroup v1 host, as the
 * project's CI machine), nothing is enforced and CPU is measured from /proc instead.
 */
#ifndef FLEET_CGROUP_H
#define FLEET_CGROUP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cgroup_tree {
    bool enabled;
    char base[512];             /* tierd's cgroup directory */
};

/* Probes `root` (normally /sys/fs/cgroup) with tierd's cgroup path `self` (the "0::"
 * line of /proc/self/cgroup, or NULL to read it): enables the tree when it is cgroup v2
 * with cpu and memory available and writable. Returns 0 (t->enabled says whether), never
 * fails the start. `move_self` moves the calling process into base/supervisor. */
int cgroup_probe(struct cgroup_tree *t, const char *root, const char *self, bool move_self);
/* Creates base/<id> with cpu.max for cpu_milli (0: no limit) and memory.max (0: none),
 * and opens its cgroup.procs for the child to write itself into. Returns the fd, or -1
 * (the instance then runs unconfined; the reason is logged). */
int cgroup_instance_create(const struct cgroup_tree *t, const char *id, unsigned cpu_milli,
                           uint64_t memory_bytes);
/* Removes base/<id> once its processes are gone (best effort). */
void cgroup_instance_remove(const struct cgroup_tree *t, const char *id);
/* The directory of an instance's cgroup, for CPU accounting (cpu.stat). */
void cgroup_instance_dir(const struct cgroup_tree *t, const char *id, char *out, size_t n);

#endif
