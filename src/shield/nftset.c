/*
 * shield/nftset.c: nftables commands through libnftables (the same text nft(8) takes), with
 * errors captured into a buffer instead of stderr.
 */
#include "shield/nftset.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shield/cidr.h"

struct nftset {
    struct nft_ctx *ctx;
    char table[40], set[40];
    char err[256];
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

const char *
nftset_error(const struct nftset *n)
{
    return n->err;
}

/* Runs one batch of commands; keeps the first line of the error text. */
static int
nftset_run(struct nftset *n, const char *cmd)
{
    if (nft_run_cmd_from_buffer(n->ctx, cmd) == 0) {
        n->err[0] = '\0';
        return 0;
    }
    const char *e = nft_ctx_get_error_buffer(n->ctx);
    snprintf(n->err, sizeof(n->err), "%s", e && *e ? e : "nftables command failed");
    for (char *p = n->err; *p; p++)
        if (*p == '\n')
            *p = *(p + 1) ? ' ' : '\0';
    return -EIO;
}

int
nftset_setup(struct nftset *n)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd),
             "add table inet %1$s\n"
             "add set inet %1$s %2$s_v4 { type ipv4_addr; flags timeout; }\n"
             "add set inet %1$s %2$s_v6 { type ipv6_addr; flags timeout; }\n"
             "add chain inet %1$s input { type filter hook input priority -10; policy accept; }\n"
             "flush chain inet %1$s input\n"
             "flush set inet %1$s %2$s_v4\n"
             "flush set inet %1$s %2$s_v6\n"
             "add rule inet %1$s input ip saddr @%2$s_v4 counter drop\n"
             "add rule inet %1$s input ip6 saddr @%2$s_v6 counter drop\n",
             n->table, n->set);
    return nftset_run(n, cmd);
}

int
nftset_add(struct nftset *n, const struct shield_addr *addr, uint64_t timeout_s)
{
    char a[64], cmd[256];
    bool v4 = cidr_is_v4(addr);

    cidr_addr_format(addr, a, sizeof(a));
    snprintf(cmd, sizeof(cmd), "add element inet %s %s_%s { %s timeout %llus }\n", n->table,
             n->set, v4 ? "v4" : "v6", a, (unsigned long long)(timeout_s ? timeout_s : 1));
    return nftset_run(n, cmd);
}

int
nftset_remove(struct nftset *n, const struct shield_addr *addr)
{
    char a[64], cmd[256];
    bool v4 = cidr_is_v4(addr);

    cidr_addr_format(addr, a, sizeof(a));
    snprintf(cmd, sizeof(cmd), "delete element inet %s %s_%s { %s }\n", n->table, n->set,
             v4 ? "v4" : "v6", a);
    if (nftset_run(n, cmd) == 0)
        return 0;
    /* The kernel drops elements at their timeout; deleting one it already dropped fails
     * with ENOENT, which is the state we wanted. */
    if (strstr(n->err, "No such file or directory")) {
        n->err[0] = '\0';
        return 0;
    }
    return -EIO;
}

int
nftset_drop_table(struct nftset *n)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "delete table inet %s\n", n->table);
    return nftset_run(n, cmd);
}
