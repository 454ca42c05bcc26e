/*
 * edge/gen.c: configuration generations and the listening sockets they share. A new
 * generation reuses the sockets of the previous one for every address it keeps, so a
 * reload never closes an accept queue that is still wanted. Owns lsocks; borrows the edge.
 */
#include "edge/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EDGE_LISTEN_BACKLOG 4096

static void
lsock_release(struct lsock *ls)
{
    if (atomic_fetch_sub(&ls->refs, 1) != 1)
        return;
    for (unsigned i = 0; i < ls->nfds; i++)
        if (ls->fds[i] >= 0)
            close(ls->fds[i]);
    free(ls);
}

static struct lsock *
lsock_new(struct edge *e, const struct sock_addr *addr, char *errbuf, size_t errlen)
{
    struct lsock *ls = calloc(1, sizeof(*ls) + e->nworkers * sizeof(int));
    char text[64];

    if (!ls) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&ls->refs, 1);
    ls->id = ++e->next_lsock_id;
    ls->addr = *addr;
    ls->nfds = e->nworkers;
    for (unsigned i = 0; i < ls->nfds; i++)
        ls->fds[i] = -1;
    for (unsigned i = 0; i < ls->nfds; i++) {
        int fd = sock_listen(addr, true, EDGE_LISTEN_BACKLOG);
        if (fd < 0) {
            sock_addr_format(addr, text, sizeof(text));
            snprintf(errbuf, errlen, "cannot listen on %s: %s", text, strerror(-fd));
            lsock_release(ls);
            return NULL;
        }
        ls->fds[i] = fd;
        /* Port 0 asks the kernel for a port: every worker must share the one it chose. */
        if (i == 0 && sock_addr_port(addr) == 0) {
            ls->addr.len = sizeof(ls->addr.ss);
            getsockname(fd, (struct sockaddr *)&ls->addr.ss, &ls->addr.len);
            addr = &ls->addr;
        }
    }
    return ls;
}

struct gen *
gen_build(struct edge *e, struct edge_conf *conf, const struct gen *prev, char *errbuf,
          size_t errlen)
{
    struct gen *g = calloc(1, sizeof(*g));

    if (!g || !(g->lsocks = calloc(conf->nlisteners ? conf->nlisteners : 1,
                                   sizeof(*g->lsocks)))) {
        free(g);
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    atomic_init(&g->refs, 1);
    for (unsigned i = 0; i < conf->nlisteners; i++) {
        const struct sock_addr *a = &conf->listeners[i].addr;
        struct lsock *found = NULL;
        for (unsigned j = 0; prev && j < prev->conf.nlisteners && !found; j++)
            if (sock_addr_equal(&prev->conf.listeners[j].addr, a))
                found = prev->lsocks[j];
        if (found) {
            atomic_fetch_add(&found->refs, 1);
            g->lsocks[i] = found;
        } else if (!(g->lsocks[i] = lsock_new(e, a, errbuf, errlen))) {
            for (unsigned k = 0; k < i; k++)
                lsock_release(g->lsocks[k]);
            free(g->lsocks);
            free(g);
            return NULL;
        }
    }
    g->seq = ++e->next_seq;
    g->conf = *conf;
    memset(conf, 0, sizeof(*conf));
    return g;
}

void
gen_release(struct gen *g)
{
    if (!g || atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (unsigned i = 0; i < g->conf.nlisteners; i++)
        lsock_release(g->lsocks[i]);
    free(g->lsocks);
    edge_conf_fini(&g->conf);
    free(g);
}
