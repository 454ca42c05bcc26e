/*
 * shield/nftset.c: nftables commands through libnftables (the same text nft(8) takes), with
 * errors captured into a buffer instead of stderr. Element changes are written so that
 * they cannot fail on the element's current state: a delete is "add, then delete" in one
 * kernel transaction, so an element the kernel already expired is no error, and an add is
 * "add, delete, add with the timeout", so a ban added again gets its new timeout on every
 * kernel (re-adding an element does not update its timeout before Linux 6.10).
 */
#include "shield/nftset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shield/cidr.h"

#define NFTSET_CHUNK 2048       /* elements per kernel transaction */

struct nftset {
    struct nft_ctx *ctx;
    char table[40], set[40];
    char mark[8 + NFTSET_TOKEN_MAX];    /* the table comment: "tierd <token>", or "" */
    char err[256];
};

/* A command text being built; a failed allocation is remembered and reported once. */
struct nftset_cmd {
    char *p;
    size_t len, cap;
    bool oom;
};

struct nftset *
nftset_new(const char *table, const char *set)
{
    struct nftset *n = calloc(1, sizeof(*n));

    if (!n)
        return NULL;
    if (!(n->ctx = nft_ctx_new(NFT_CTX_DEFAULT))) {
        free(n);
        return NULL;
    }
    nft_ctx_buffer_error(n->ctx);
    nft_ctx_buffer_output(n->ctx);
    snprintf(n->table, sizeof(n->table), "%s", table);
    snprintf(n->set, sizeof(n->set), "%s", set);
    return n;
}

void
nftset_free(struct nftset *n)
{
    if (!n)
        return;
    nft_ctx_free(n->ctx);
    free(n);
}

void
nftset_set_token(struct nftset *n, const char *token)
{
    char t[NFTSET_TOKEN_MAX];
    size_t k = 0;

    /* The mark goes inside a quoted nft string: letters and digits only. */
    for (const char *p = token ? token : ""; *p && k + 1 < sizeof(t); p++)
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
            t[k++] = *p;
    t[k] = '\0';
    if (k)
        snprintf(n->mark, sizeof(n->mark), "tierd %s", t);
    else
        n->mark[0] = '\0';
}

const char *
nftset_table(const struct nftset *n)
{
    return n->table;
}

const char *
nftset_error(const struct nftset *n)
{
    return n->err;
}

/* Runs one batch of commands (one kernel transaction); keeps the first line of the error
 * text. -ENOENT when the kernel said a table, set or element is missing. */
static int
nftset_run(struct nftset *n, const char *cmd)
{
    int rc = nft_run_cmd_from_buffer(n->ctx, cmd);
    const char *e = nft_ctx_get_error_buffer(n->ctx);   /* also rewinds it */

    if (rc == 0) {
        n->err[0] = '\0';
        return 0;
    }
    snprintf(n->err, sizeof(n->err), "%s", e && *e ? e : "nftables command failed");
    for (char *p = n->err; *p; p++)
        if (*p == '\n')
            *p = *(p + 1) ? ' ' : '\0';
    return strstr(n->err, "No such file or directory") ? -ENOENT : -EIO;
}

static void
nftset_cmd_printf(struct nftset_cmd *c, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (c->oom)
        return;
    for (;;) {
        va_start(ap, fmt);
        k = vsnprintf(c->p ? c->p + c->len : NULL, c->p ? c->cap - c->len : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            c->oom = true;
            return;
        }
        if (c->p && c->len + (size_t)k < c->cap) {
            c->len += (size_t)k;
            return;
        }
        size_t cap = c->cap ? c->cap * 2 : 4096;
        while (cap < c->len + (size_t)k + 1)
            cap *= 2;
        char *p = realloc(c->p, cap);
        if (!p) {
            c->oom = true;
            return;
        }
        c->p = p;
        c->cap = cap;
    }
}

/* Runs the built command and frees it. */
static int
nftset_cmd_run(struct nftset *n, struct nftset_cmd *c)
{
    int rc;

    if (c->oom) {
        snprintf(n->err, sizeof(n->err), "out of memory building an nftables command");
        rc = -EIO;
    } else {
        rc = c->len ? nftset_run(n, c->p) : 0;
    }
    free(c->p);
    *c = (struct nftset_cmd){ 0 };
    return rc;
}

void
nftset_comment_parse(const char *listing, char *out, size_t outlen)
{
    static const char key[] = "comment \"";
    const char *p = listing ? strchr(listing, '\n') : NULL;
    size_t k = 0;

    if (outlen)
        out[0] = '\0';
    if (!p || !outlen)
        return;
    while (*p == '\n' || *p == '\t' || *p == ' ')
        p++;
    if (strncmp(p, key, sizeof(key) - 1) != 0)
        return;
    for (p += sizeof(key) - 1; *p && *p != '"' && *p != '\n' && k + 1 < outlen; p++)
        out[k++] = *p;
    out[k] = '\0';
}

int
nftset_probe(struct nftset *n)
{
    char cmd[128], comment[128];
    unsigned flags = nft_ctx_output_get_flags(n->ctx);
    int rc;

    snprintf(cmd, sizeof(cmd), "list table inet %s\n", n->table);
    /* Terse: the sets without their elements. */
    nft_ctx_output_set_flags(n->ctx, flags | NFT_CTX_OUTPUT_TERSE);
    rc = nftset_run(n, cmd);
    nft_ctx_output_set_flags(n->ctx, flags);
    const char *out = nft_ctx_get_output_buffer(n->ctx);        /* read, and rewound */
    if (rc == -ENOENT) {
        n->err[0] = '\0';
        return NFTSET_ABSENT;
    }
    if (rc < 0)
        return -EIO;
    nftset_comment_parse(out, comment, sizeof(comment));
    return n->mark[0] && strcmp(comment, n->mark) == 0 ? NFTSET_OURS : NFTSET_FOREIGN;
}

/* Setup, preceded by deleting the table when replace. */
static int
nftset_build(struct nftset *n, bool replace)
{
    char cmd[1408], table[128], drop[64];

    if (n->mark[0])
        snprintf(table, sizeof(table), "add table inet %s { comment \"%s\"; }", n->table,
                 n->mark);
    else
        snprintf(table, sizeof(table), "add table inet %s", n->table);
    snprintf(drop, sizeof(drop), replace ? "delete table inet %s\n" : "%.0s", n->table);
    snprintf(cmd, sizeof(cmd),
             "%3$s%4$s\n"
             "add set inet %1$s %2$s_v4 { type ipv4_addr; flags timeout; }\n"
             "add set inet %1$s %2$s_v6 { type ipv6_addr; flags timeout; }\n"
             "add chain inet %1$s input { type filter hook input priority -10; policy accept; }\n"
             "flush chain inet %1$s input\n"
             "flush set inet %1$s %2$s_v4\n"
             "flush set inet %1$s %2$s_v6\n"
             "add rule inet %1$s input ip saddr @%2$s_v4 counter drop\n"
             "add rule inet %1$s input ip6 saddr @%2$s_v6 counter drop\n",
             n->table, n->set, drop, table);
    return nftset_run(n, cmd) == 0 ? 0 : -EIO;
}

int
nftset_setup(struct nftset *n)
{
    return nftset_build(n, false);
}

int
nftset_replace(struct nftset *n)
{
    return nftset_build(n, true);
}

int
nftset_drop_table(struct nftset *n)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "delete table inet %s\n", n->table);
    return nftset_run(n, cmd);
}

bool
nftset_permitted(void)
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

    /* capget(2) through syscall(): glibc has no wrapper and libcap is not a dependency. */
    if (syscall(SYS_capget, &h, d) < 0)
        return geteuid() == 0;
    return (d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN)) != 0;
}

/*
 * IPv6 prefix bans (shield.ipv6_prefix): one plain timeout set per prefix length,
 * <set>_v6_<len>, holding network addresses, matched by `ip6 saddr & <mask> @<set>_v6_<len>`
 * in a base chain of its own (input_v6_<len>, same hook and priority as `input`). Not one
 * interval set: the kernel refuses an interval that overlaps another ("interval overlaps
 * with an existing one"), and a /64 ban next to a manual ban of one of its addresses is
 * normal. The set and its chain are made on the first ban of that length, in the same
 * transaction as the element (add set and add chain are idempotent; the chain is flushed
 * and its one rule added again, so it never holds two). nftset_replace() and
 * nftset_drop_table() take them with the table.
 */

/* "ffff:ffff:ffff:ffff::" for plen 64. */
static void
nftset_mask_text(unsigned plen, char *out, size_t n)
{
    struct shield_addr m, ones;

    memset(ones.b, 0xff, sizeof(ones.b));
    cidr_addr_mask(&ones, plen, &m);
    if (!inet_ntop(AF_INET6, m.b, out, (socklen_t)n) && n)
        out[0] = '\0';
}

static void
nftset_cmd_prefix_set(struct nftset *n, struct nftset_cmd *c, unsigned plen, bool chain)
{
    nftset_cmd_printf(c, "add set inet %s %s_v6_%u { type ipv6_addr; flags timeout; }\n",
                      n->table, n->set, plen);
    if (!chain)
        return;
    char mask[64];
    nftset_mask_text(plen, mask, sizeof(mask));
    nftset_cmd_printf(c,
                      "add chain inet %1$s input_v6_%3$u { type filter hook input priority -10; "
                      "policy accept; }\n"
                      "flush chain inet %1$s input_v6_%3$u\n"
                      "add rule inet %1$s input_v6_%3$u ip6 saddr & %4$s @%2$s_v6_%3$u counter "
                      "drop\n",
                      n->table, n->set, plen, mask);
}

int
nftset_add_prefixes(struct nftset *n, const struct nftset_prefix *p, size_t count)
{
    int rc = 0;

    for (size_t off = 0; off < count; off += NFTSET_CHUNK) {
        struct nftset_cmd c = { 0 };
        uint64_t made[2] = { 0, 0 };
        size_t k = count - off < NFTSET_CHUNK ? count - off : NFTSET_CHUNK;
        for (size_t i = off; i < off + k; i++) {
            unsigned plen = p[i].plen;
            char a[64];
            if (plen == 0 || plen >= 128 || cidr_is_v4(&p[i].net)) {
                /* Not a prefix: the address's own set. */
                cidr_addr_format(&p[i].net, a, sizeof(a));
                bool v4 = cidr_is_v4(&p[i].net);
                nftset_cmd_printf(&c, "add element inet %1$s %2$s_%3$s { %4$s }\n"
                                  "delete element inet %1$s %2$s_%3$s { %4$s }\n"
                                  "add element inet %1$s %2$s_%3$s { %4$s timeout %5$llus }\n",
                                  n->table, n->set, v4 ? "v4" : "v6", a,
                                  (unsigned long long)(p[i].timeout_s ? p[i].timeout_s : 1));
                continue;
            }
            if (!(made[plen / 64] & (1ULL << (plen % 64)))) {
                nftset_cmd_prefix_set(n, &c, plen, true);
                made[plen / 64] |= 1ULL << (plen % 64);
            }
            cidr_addr_format(&p[i].net, a, sizeof(a));
            /* add, delete, add: the new timeout on every kernel (see the top). */
            nftset_cmd_printf(&c, "add element inet %1$s %2$s_v6_%3$u { %4$s }\n"
                              "delete element inet %1$s %2$s_v6_%3$u { %4$s }\n"
                              "add element inet %1$s %2$s_v6_%3$u { %4$s timeout %5$llus }\n",
                              n->table, n->set, plen, a,
                              (unsigned long long)(p[i].timeout_s ? p[i].timeout_s : 1));
        }
        int r = nftset_cmd_run(n, &c);
        if (r < 0 && rc == 0)
            rc = r;
    }
    return rc;
}

int
nftset_add_prefix(struct nftset *n, const struct shield_addr *net, unsigned plen,
                  uint64_t timeout_s)
{
    struct nftset_prefix p = { *net, plen, timeout_s };

    return nftset_add_prefixes(n, &p, 1);
}

/* Appends the removal of one element: add then delete, which cannot fail on an element
 * that is not there. A prefix's set is made if missing (an empty set without its chain
 * drops nothing), so that only a missing table reads as -ENOENT. */
static void
nftset_cmd_remove(struct nftset *n, struct nftset_cmd *c, const struct cidr *e)
{
    char a[64], set[64];

    cidr_addr_format(&e->addr, a, sizeof(a));
    if (e->plen == 0 || e->plen >= 128 || cidr_is_v4(&e->addr)) {
        snprintf(set, sizeof(set), "%s_%s", n->set, cidr_is_v4(&e->addr) ? "v4" : "v6");
    } else {
        nftset_cmd_prefix_set(n, c, e->plen, false);
        snprintf(set, sizeof(set), "%s_v6_%u", n->set, e->plen);
    }
    nftset_cmd_printf(c, "add element inet %1$s %2$s { %3$s }\n"
                      "delete element inet %1$s %2$s { %3$s }\n", n->table, set, a);
}

int
nftset_remove_many(struct nftset *n, const struct cidr *c, size_t count)
{
    int rc = 0;

    for (size_t off = 0; off < count; off += NFTSET_CHUNK) {
        struct nftset_cmd cmd = { 0 };
        size_t k = count - off < NFTSET_CHUNK ? count - off : NFTSET_CHUNK;
        for (size_t i = off; i < off + k; i++)
            nftset_cmd_remove(n, &cmd, &c[i]);
        int r = nftset_cmd_run(n, &cmd);
        if (r < 0 && rc == 0)
            rc = r;
    }
    return rc;
}

int
nftset_remove(struct nftset *n, const struct shield_addr *addr)
{
    struct cidr c = { *addr, 128 };

    return nftset_remove_many(n, &c, 1);
}

int
nftset_add(struct nftset *n, const struct shield_addr *addr, uint64_t timeout_s)
{
    return nftset_add_prefix(n, addr, 128, timeout_s);
}

int
nftset_remove_prefix(struct nftset *n, const struct shield_addr *net, unsigned plen)
{
    struct cidr c = { *net, plen };

    return nftset_remove_many(n, &c, 1);
}
