/*
 * fleet/cgroup.c: per-instance cgroup v2 limits (see cgroup.h). File writes only; owns
 * nothing but the directories it creates.
 */
#include "fleet/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

static int
write_file(const char *dir, const char *name, const char *text)
{
    char path[700];
    int fd, rc = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    /* O_CREAT is harmless on cgroupfs (the files exist) and lets tests use a plain tree. */
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (write(fd, text, strlen(text)) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

static bool
has_word(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

int
cgroup_probe(struct cgroup_tree *t, const char *root, const char *self, bool move_self)
{
    char line[512] = "", path[700], ctl[256] = "";
    FILE *f;

    memset(t, 0, sizeof(*t));
    if (!self) {
        if (!(f = fopen("/proc/self/cgroup", "r")))
            return 0;
        while (fgets(line, sizeof(line), f))
            if (strncmp(line, "0::", 3) == 0)
                break;
        fclose(f);
        if (strncmp(line, "0::", 3) != 0)
            return 0;           /* no cgroup v2 hierarchy */
        line[strcspn(line, "\n")] = '\0';
        self = line + 3;
    }
    snprintf(t->base, sizeof(t->base), "%s%s", root, strcmp(self, "/") == 0 ? "" : self);
    snprintf(path, sizeof(path), "%s/cgroup.controllers", t->base);
    if (!(f = fopen(path, "r")))
        return 0;
    if (!fgets(ctl, sizeof(ctl), f))
        ctl[0] = '\0';
    fclose(f);
    if (!has_word(ctl, "cpu") || !has_word(ctl, "memory") || access(t->base, W_OK) != 0) {
        log_info("fleet", "cgroup v2 not delegated at %s (controllers: %s): instance_type "
                          "limits are not enforced", t->base, ctl[0] ? ctl : "none");
        return 0;
    }
    if (move_self) {
        snprintf(path, sizeof(path), "%s/supervisor", t->base);
        if ((mkdir(path, 0755) < 0 && errno != EEXIST) ||
            write_file(path, "cgroup.procs", "0") < 0) {
            log_warn("fleet", "cannot move tierd into %s: %s; instance_type limits are not "
                              "enforced", path, strerror(errno));
            return 0;
        }
    }
    if (write_file(t->base, "cgroup.subtree_control", "+cpu +memory") < 0) {
        log_warn("fleet", "cannot enable cpu and memory controllers in %s: instance_type "
                          "limits are not enforced", t->base);
        return 0;
    }
    t->enabled = true;
    log_info("fleet", "cgroup v2 delegated at %s: instance_type limits are enforced", t->base);
    return 0;
}

void
cgroup_instance_dir(const struct cgroup_tree *t, const char *id, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", t->base, id);
}

int
cgroup_instance_create(const struct cgroup_tree *t, const char *id, unsigned cpu_milli,
                       uint64_t memory_bytes)
{
    char dir[640], text[64], path[700];
    int fd;

    if (!t->enabled)
        return -1;
    cgroup_instance_dir(t, id, dir, sizeof(dir));
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        log_warn("fleet", "cannot create cgroup %s: %s; the instance runs unconfined", dir,
                 strerror(errno));
        return -1;
    }
    /* cpu.max is "quota period": cpu 0.5 = 50 ms of CPU per 100 ms. */
    if (cpu_milli) {
        snprintf(text, sizeof(text), "%u 100000", cpu_milli * 100);
        if (write_file(dir, "cpu.max", text) < 0)
            log_warn("fleet", "cannot set %s/cpu.max to %s", dir, text);
    }
    if (memory_bytes) {
        snprintf(text, sizeof(text), "%llu", (unsigned long long)memory_bytes);
        if (write_file(dir, "memory.max", text) < 0)
            log_warn("fleet", "cannot set %s/memory.max to %s", dir, text);
    }
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        log_warn("fleet", "cannot open %s: %s; the instance runs unconfined", path,
                 strerror(errno));
    return fd;
}

void
cgroup_instance_remove(const struct cgroup_tree *t, const char *id)
{
    char dir[640];

    if (!t->enabled)
        return;
    cgroup_instance_dir(t, id, dir, sizeof(dir));
    rmdir(dir);
}
