/* tests/unit/shield/nftset_test.c: the kernel tables tierd owns (docs/internals/nftables.md):
 * the record in shield.db, the mark in a table's comment that tells tierd's tables from
 * others, the CAP_NET_ADMIN check, and, inside a private network namespace, ownership,
 * reconciliation across restarts and the expiry sweep reaching the kernel. Clocks are
 * fakes; kernel state is real (libnftables in a forked child after unshare(CLONE_NEWNET)). */
#include "shield/nftset.h"

#include <errno.h>
#include <linux/capability.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "shield/banstore.h"
#include "shield/internal.h"

static uint64_t fake_mono_ms = 1000, fake_wall_ms = 1700000000000ULL;

static uint64_t
fake_mono(void)
{
    return fake_mono_ms;
}

static uint64_t
fake_wall(void)
{
    return fake_wall_ms;
}

static const struct shield_clock fake_clock = { fake_mono, fake_wall };

static struct shield_conf *
conf(const char *yaml)
{
    struct diag d;
    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", yaml, strlen(yaml), &d);
    struct shield_conf *c = NULL;
    if (doc)
        shield_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &c);
    if (!c)
        diag_print(&d, stderr);
    conf_doc_free(doc);
    diag_fini(&d);
    return c;
}

static struct shield *
open_shield(const char *dir, const char *yaml)
{
    char err[256];
    struct shield *s = shield_new_clock(dir, &fake_clock, err, sizeof(err));
    struct shield_conf *c = conf(yaml);

    if (!s || !c) {
        fprintf(stderr, "shield_new: %s\n", s ? "conf did not build" : err);
        exit(90);
    }
    shield_apply(s, c);
    return s;
}

static struct shield_addr
A(const char *s)
{
    struct shield_addr a;
    if (cidr_addr_parse(s, strlen(s), &a) < 0)
        exit(91);
    return a;
}

/* Runs one nft command with libnftables; its output (or error) into out. */
static int
nftx(const char *cmd, char *out, size_t n)
{
    struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    int rc;

    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    rc = nft_run_cmd_from_buffer(ctx, cmd);
    if (out)
        snprintf(out, n, "%s", rc == 0 ? nft_ctx_get_output_buffer(ctx) :
                                           nft_ctx_get_error_buffer(ctx));
    nft_ctx_free(ctx);
    return rc;
}

static bool
table_exists(const char *name)
{
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "list table inet %s", name);
    return nftx(cmd, NULL, 0) == 0;
}

/* Runs fn in a forked child inside a new network namespace; 77 from the child (no
 * namespace here) skips the test, any other non-zero fails it with that step number. */
static void
in_netns(const char *test, int (*fn)(void))
{
    pid_t pid = fork();
    int st;

    if (pid == 0)
        _exit(unshare(CLONE_NEWNET) < 0 ? 77 : fn());
    EXPECT_TRUE(pid > 0);
    EXPECT_EQ(waitpid(pid, &st, 0), pid);
    EXPECT_TRUE(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77) {
        fprintf(stderr, "%s: SKIPPED: cannot create a network namespace here (needs root or "
                        "user namespaces)\n", test);
        skip();
    }
    EXPECT_EQ(WEXITSTATUS(st), 0);
}

struct dir {
    char path[64];
};

static void
dir_make(struct dir *d)
{
    snprintf(d->path, sizeof(d->path), "/tmp/nftset_test.XXXXXX");
    if (!mkdtemp(d->path))
        fail_msg("mkdtemp");
}

static void
dir_remove(struct dir *d)
{
    char p[128];
    static const char *const files[] = { "shield.db", "shield.db-wal", "shield.db-shm" };
    for (unsigned i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", d->path, files[i]);
        unlink(p);
    }
    rmdir(d->path);
}

TEST(shield_nft_comment_is_read_from_a_listing)
{
    char c[64];

    nftset_comment_parse("table inet t {\n\tcomment \"tierd 0a1b\"\n\tset s {\n", c, sizeof(c));
    EXPECT_STREQ(c, "tierd 0a1b");
    /* A set's comment further down is not the table's. */
    nftset_comment_parse("table inet t {\n\tset s {\n\t\tcomment \"tierd 0a1b\"\n", c, sizeof(c));
    EXPECT_STREQ(c, "");
    nftset_comment_parse("table inet t {\n}\n", c, sizeof(c));
    EXPECT_STREQ(c, "");
    nftset_comment_parse("", c, sizeof(c));
    EXPECT_STREQ(c, "");
    nftset_comment_parse("table inet t {\n\tcomment \"unterminated", c, 6);
    EXPECT_STREQ(c, "unter");                   /* cut to the buffer */
}

TEST(shield_nft_tables_are_recorded_durably)
{
    struct dir dir;
    struct banstore *b;
    struct banstore_nft t[4], a = { "inet", "tierd", "banned", "00ff", 5 },
                               z = { "inet", "old", "bans", "abcd", 3 };
    char err[256];
    size_t n = 9;

    dir_make(&dir);
    EXPECT_EQ(banstore_open(dir.path, &b, err, sizeof(err)), 0);
    EXPECT_EQ(banstore_nft_list(b, t, 4, &n), 0);
    EXPECT_EQ(n, 0);
    EXPECT_EQ(banstore_nft_put(b, &a), 0);
    EXPECT_EQ(banstore_nft_put(b, &z), 0);
    snprintf(a.set, sizeof(a.set), "blocked");
    EXPECT_EQ(banstore_nft_put(b, &a), 0);      /* the same table again: replaced */
    banstore_close(b);

    EXPECT_EQ(banstore_open(dir.path, &b, err, sizeof(err)), 0);        /* a restart */
    EXPECT_EQ(banstore_nft_list(b, t, 4, &n), 0);
    EXPECT_EQ(n, 2);
    EXPECT_STREQ(t[0].table, "old");            /* oldest first */
    EXPECT_STREQ(t[1].table, "tierd");
    EXPECT_STREQ(t[1].set, "blocked");
    EXPECT_STREQ(t[1].token, "00ff");
    EXPECT_STREQ(t[1].family, "inet");
    EXPECT_EQ(t[1].created_ms, 5);
    EXPECT_EQ(banstore_nft_list(b, t, 1, &n), 0);
    EXPECT_EQ(n, 1);                            /* bounded by max */
    EXPECT_EQ(banstore_nft_forget(b, "inet", "old"), 0);
    EXPECT_EQ(banstore_nft_forget(b, "inet", "never"), 0);
    EXPECT_EQ(banstore_nft_list(b, t, 4, &n), 0);
    EXPECT_EQ(n, 1);
    EXPECT_STREQ(t[0].table, "tierd");
    banstore_close(b);
    dir_remove(&dir);
}

/* Drops CAP_NET_ADMIN from the effective set, keeping the uid: then nftset_permitted() must
 * say no, as the kernel would. */
static int
cap_child(void)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

    if (syscall(SYS_capget, &h, d) < 0)
        return 2;
    bool had = d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN);
    if (nftset_permitted() != had)
        return 3;
    d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
    if (syscall(SYS_capset, &h, d) < 0)
        return 4;
    if (nftset_permitted())
        return 5;
    if (had && nftx("add table inet captest", NULL, 0) == 0)
        return 6;                               /* the kernel agrees: refused */
    return 0;
}

TEST(shield_nft_permitted_follows_cap_net_admin)
{
    pid_t pid = fork();
    int st;

    if (pid == 0)
        _exit(unshare(CLONE_NEWNET) < 0 && geteuid() == 0 ? 7 : cap_child());
    EXPECT_TRUE(pid > 0);
    EXPECT_EQ(waitpid(pid, &st, 0), pid);
    EXPECT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 0);
}

static int
probe_child(void)
{
    char out[4096];
    struct nftset *n = nftset_new("owned", "banned"), *other = nftset_new("owned", "banned");
    struct nftset *bare = nftset_new("owned", "banned");

    if (!n || !other || !bare)
        return 10;
    nftset_set_token(n, "c0ffee");
    nftset_set_token(other, "beef");
    if (nftset_probe(n) != NFTSET_ABSENT)
        return 11;
    if (nftset_setup(n) < 0)
        return fprintf(stderr, "%s\n", nftset_error(n)), 12;
    if (nftset_probe(n) != NFTSET_OURS)
        return 13;
    if (nftset_probe(other) != NFTSET_FOREIGN || nftset_probe(bare) != NFTSET_FOREIGN)
        return 14;                              /* another token, or none: not ours */
    if (nftx("add table inet plain", NULL, 0) != 0)
        return 15;
    struct nftset *plain = nftset_new("plain", "banned");
    nftset_set_token(plain, "c0ffee");
    if (nftset_probe(plain) != NFTSET_FOREIGN)  /* no comment at all */
        return 16;

    struct shield_addr a4 = A("198.51.100.7"), a6 = A("2001:db8::7"), net = A("2001:db8:1::");
    struct nftset_prefix e[3] = { { a4, 128, 3600 }, { a6, 128, 60 }, { net, 64, 60 } };
    if (nftset_add_prefixes(n, e, 3) < 0)
        return fprintf(stderr, "%s\n", nftset_error(n)), 17;
    if (nftx("list set inet owned banned_v6", out, sizeof(out)) != 0 ||
        !strstr(out, "2001:db8::7"))
        return 18;
    struct cidr gone[2] = { { a6, 128 }, { net, 64 } };
    if (nftset_remove_many(n, gone, 2) < 0 || nftset_remove_many(n, gone, 2) < 0)
        return fprintf(stderr, "%s\n", nftset_error(n)), 19;   /* twice: no error */
    if (nftx("list set inet owned banned_v6", out, sizeof(out)) != 0 || strstr(out, "2001:db8"))
        return 20;
    if (nftx("list set inet owned banned_v6_64", out, sizeof(out)) != 0 ||
        strstr(out, "2001:db8"))
        return 27;

    /* Replace: the old sets go with the table, the mark stays. */
    struct nftset *renamed = nftset_new("owned", "blocked");
    nftset_set_token(renamed, "c0ffee");
    if (nftset_replace(renamed) < 0)
        return fprintf(stderr, "%s\n", nftset_error(renamed)), 21;
    if (nftx("list set inet owned banned_v4", out, sizeof(out)) == 0 ||
        nftx("list set inet owned blocked_v4", out, sizeof(out)) != 0)
        return 22;
    if (nftset_probe(renamed) != NFTSET_OURS)
        return 23;
    if (nftset_remove(n, &a4) != -ENOENT)       /* its set is gone */
        return 24;
    if (nftset_drop_table(renamed) < 0 || nftset_drop_table(renamed) != -ENOENT)
        return 25;
    if (!table_exists("plain"))
        return 26;
    nftset_free(n);
    nftset_free(other);
    nftset_free(bare);
    nftset_free(plain);
    nftset_free(renamed);
    return 0;
}

TEST(shield_nft_probe_tells_tierds_tables_from_others)
{
    in_netns("shield_nft_probe_tells_tierds_tables_from_others", probe_child);
}

#define NFT_ON(t) "shield: { nftables: { enabled: true, table: " t " } }\n"

/* Restarts with another table name, then with mirroring off; a table someone else made is
 * never touched, even under the configured name. */
static int
restart_child(void)
{
    struct dir dir;
    char out[4096];

    dir_make(&dir);
    if (nftx("add table inet theirs { comment \"not tierd\"; }\n"
             "add set inet theirs keep { type ipv4_addr; }\n"
             "add element inet theirs keep { 192.0.2.1 }\n", NULL, 0) != 0)
        return 30;
    struct shield *s = open_shield(dir.path, NFT_ON("first"));
    if (shield_ban_add(s, "198.51.100.8", 3600, "t") < 0 ||
        shield_ban_add(s, "198.51.100.9", 3600, "t") < 0 || shield_ban_remove(s, "198.51.100.9"))
        return 31;
    shield_free(s);
    if (nftx("list set inet first banned_v4", out, sizeof(out)) != 0 ||
        !strstr(out, "198.51.100.8"))
        return 32;                              /* stopping leaves the table */

    s = open_shield(dir.path, NFT_ON("second"));
    if (table_exists("first"))
        return 33;
    if (nftx("list set inet second banned_v4", out, sizeof(out)) != 0 ||
        !strstr(out, "198.51.100.8") || strstr(out, "198.51.100.9"))
        return fprintf(stderr, "%s\n", out), 34;
    shield_free(s);

    s = open_shield(dir.path, "shield: { nftables: { enabled: false } }\n");
    if (table_exists("second"))
        return 35;
    shield_free(s);

    s = open_shield(dir.path, NFT_ON("theirs"));
    if (shield_ban_add(s, "198.51.100.10", 3600, "t") < 0)
        return 36;
    shield_free(s);
    s = open_shield(dir.path, "shield: { nftables: { enabled: false } }\n");
    shield_free(s);
    if (nftx("list table inet theirs", out, sizeof(out)) != 0 || !strstr(out, "192.0.2.1") ||
        strstr(out, "banned") || strstr(out, "chain"))
        return fprintf(stderr, "%s\n", out), 37;
    dir_remove(&dir);
    return 0;
}

TEST(shield_nft_restarts_keep_only_the_current_table)
{
    in_netns("shield_nft_restarts_keep_only_the_current_table", restart_child);
}

/* A ban the shield lets expire leaves the kernel too, though the kernel's own timeout (an
 * hour here: the wall clock jumped) is far off. */
static int
expire_child(void)
{
    char out[4096];
    struct shield *s = open_shield(NULL, NFT_ON("exp"));

    if (shield_ban_add(s, "198.51.100.11", 3600, "t") < 0 ||
        shield_ban_add(s, "198.51.100.12", 7200, "t") < 0)
        return 40;
    if (nftx("list set inet exp banned_v4", out, sizeof(out)) != 0 ||
        !strstr(out, "198.51.100.11"))
        return 41;
    fake_wall_ms += 3601 * 1000;
    fake_mono_ms += 3601 * 1000;
    for (int i = 0; i < 60; i++) {              /* the sweep runs within a second */
        if (nftx("list set inet exp banned_v4", out, sizeof(out)) != 0)
            return 42;
        if (!strstr(out, "198.51.100.11"))
            break;
        nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
    }
    if (strstr(out, "198.51.100.11") || !strstr(out, "198.51.100.12"))
        return fprintf(stderr, "%s\n", out), 43;
    shield_free(s);
    return 0;
}

TEST(shield_nft_expired_ban_leaves_the_kernel)
{
    in_netns("shield_nft_expired_ban_leaves_the_kernel", expire_child);
}
