/*
 * fleet/cgroup.h: one cgroup v2 cgroup per instance, where tierd's cgroup is delegated to
 * it (systemd Delegate=yes, a container's own tree, or the hierarchy's root when tierd
 * runs as root there). The cgroup contains the instance: every process it forks stays in
 * it whatever its session or process group, so cgroup.kill ends them all. Where the cpu
 * and memory controllers reach tierd's cgroup, the instance's cgroup also carries
 * instance_type as cpu.max and memory.max. When a limit cannot be applied, the calls here
 * say why in words an operator can act on; the fleet decides whether to go on without it.
 *
 * Layout: tierd's cgroup D holds base = D/tierd-<pid>, and base one cgroup per instance,
 * named after its id; so tierds that share D (tests, several stacks) never share an
 * instance cgroup, and what a killed tierd left is found and removed by the next one.
 * Below the root, tierd first moves itself into D/supervisor, since cgroup v2 forbids
 * processes in a cgroup that gives controllers to its children; the root is exempt, and
 * tierd stays there.
 */
#ifndef FLEET_CGROUP_H
#define FLEET_CGROUP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CGROUP_WHY_MAX 256

struct cgroup_tree {
    bool enabled;               /* instances get cgroups of their own under base */
    bool cpu, memory;           /* the controller is enabled for them */
    char base[512];             /* where instance cgroups are made */
    char why[CGROUP_WHY_MAX];   /* !enabled: why not */
    char cpu_why[CGROUP_WHY_MAX], memory_why[CGROUP_WHY_MAX];   /* !cpu, !memory: why not */
};

/* Probes the cgroup v2 hierarchy mounted at `root` (NULL: found in /proc/self/mountinfo)
 * with tierd's cgroup path `self` (NULL: the "0::" line of /proc/self/cgroup) and sets up
 * the layout above: t->enabled, t->cpu and t->memory say what works, the *why fields why
 * not. `move_self` lets it move the calling process into D/supervisor. Always returns 0:
 * nothing here stops tierd from starting. Removes the subtrees of tierds that are gone. */
int cgroup_probe(struct cgroup_tree *t, const char *root, const char *self, bool move_self);
/* Removes base (call after every instance cgroup is gone). */
void cgroup_tree_fini(struct cgroup_tree *t);

/* Makes base/<id>, writes cpu.max for cpu_milli (0: no limit) and memory.max (0: none),
 * and opens its cgroup.procs for the child to write itself into. Returns that fd, or a
 * negative errno when the instance cannot have a cgroup (no tree, mkdir or open failed).
 * `why` (why_len bytes) is set to "" when every limit asked for was written, else to the
 * first reason one was not (also when the fd is returned: the instance is contained but
 * unlimited). */
int cgroup_instance_create(const struct cgroup_tree *t, const char *id, unsigned cpu_milli,
                           uint64_t memory_bytes, char *why, size_t why_len);
/* SIGKILLs every process in base/<id> (cgroup.kill; on kernels before 5.14 each pid of
 * cgroup.procs, a few rounds). 0 or a negative errno. */
int cgroup_instance_kill(const struct cgroup_tree *t, const char *id);
/* Removes base/<id>: 0 (also when it is already gone), -EBUSY while processes are left
 * in it, or another negative errno. */
int cgroup_instance_remove(const struct cgroup_tree *t, const char *id);
/* The directory of an instance's cgroup. */
void cgroup_instance_dir(const struct cgroup_tree *t, const char *id, char *out, size_t n);

#endif
