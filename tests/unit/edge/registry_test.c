/* tests/unit/edge/registry_test.c: targets registered at run time, draining, and target
 * objects (health, counters) carried across reloads. No worker threads are started. */
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "check.h"
#include "conf/node.h"
#include "core/clock.h"
#include "edge/internal.h"

static const char *yaml =
    "listeners:\n"
    "  - name: public\n"
    "    address: 127.0.0.1:0\n"
    "    rules:\n"
    "      - forward: web\n"
    "target_groups:\n"
    "  web:\n"
    "    targets: [127.0.0.1:9001]\n"
    "    deregistration_delay: 30s\n"
    "edge:\n"
    "  workers: 1\n";

static struct edge *
edge_with(const char *text)
{
    struct diag d;
    struct edge_conf conf;
    char err[128];

    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", text, strlen(text), &d);
    assert_non_null(doc);
    {
        struct edge_conf *built;
        assert_int_equal(edge_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &built), 0);
        conf = *built;
        free(built);
    }
    conf_doc_free(doc);
    diag_fini(&d);
    struct edge *e = edge_new(1);
    assert_non_null(e);
    assert_int_equal(edge_apply(e, &conf, err, sizeof(err)), 0);
    return e;
}

static struct sock_addr
addr(const char *s)
{
    struct sock_addr a;
    const char *why;

    assert_int_equal(sock_addr_parse(s, &a, &why), 0);
    return a;
}

TEST(registry_register_deregister_and_drain)
{
    struct edge *e = edge_with(yaml);
    struct sock_addr a2 = addr("127.0.0.1:9002");

    EXPECT_EQ(e->cur->tgrt[0].n, 1);
    EXPECT_EQ(edge_target_register(e, "nope", &a2, 1), -ENOENT);
    EXPECT_EQ(edge_target_register(e, "web", &a2, 1), 0);
    EXPECT_EQ(e->cur->tgrt[0].n, 2);
    struct target *t = e->cur->tgrt[0].targets[1];
    EXPECT_TRUE(t->dynamic);
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);     /* no health_check: at once */
    EXPECT_EQ(edge_target_register(e, "web", &a2, 1), 0);   /* idempotent */
    EXPECT_EQ(e->cur->tgrt[0].n, 2);

    /* Deregistration drains: still listed, no longer routable. */
    atomic_store(&t->outstanding, 1);           /* a request in flight */
    EXPECT_EQ(edge_target_deregister(e, "web", &a2), 0);
    EXPECT_EQ(target_state_get(t), TARGET_DRAINING);
    uint64_t deadline = atomic_load(&t->drain_deadline_ms);
    registry_drain_tick(e, deadline - 1);
    EXPECT_EQ(e->cur->tgrt[0].n, 2);            /* delay not over, request in flight */
    target_ref(t);
    registry_drain_tick(e, deadline);
    EXPECT_EQ(e->cur->tgrt[0].n, 1);            /* gone after the delay... */
    EXPECT_EQ(target_state_get(t), TARGET_UNUSED);  /* ...and workers close what is left */
    target_release(t);

    /* Registering a draining target again cancels the drain. */
    EXPECT_EQ(edge_target_register(e, "web", &a2, 1), 0);
    t = e->cur->tgrt[0].targets[1];
    EXPECT_EQ(edge_target_deregister(e, "web", &a2), 0);
    atomic_store(&t->outstanding, 1);
    EXPECT_EQ(edge_target_register(e, "web", &a2, 1), 0);
    EXPECT_EQ(target_state_get(t), TARGET_HEALTHY);
    /* A draining target with nothing in flight leaves at the next tick. */
    atomic_store(&t->outstanding, 0);
    EXPECT_EQ(edge_target_deregister(e, "web", &a2), 0);
    registry_drain_tick(e, clock_mono_ms());
    EXPECT_EQ(e->cur->tgrt[0].n, 1);
    edge_free(e);
}

TEST(registry_reload_keeps_targets_and_drains_removed_ones)
{
    struct edge *e = edge_with(yaml);
    struct target *t1 = e->cur->tgrt[0].targets[0];
    struct sock_addr a3 = addr("127.0.0.1:9003");
    struct diag d;
    struct edge_conf conf;
    char err[128];
    const char *next = "listeners:\n  - name: public\n    address: 127.0.0.1:0\n"
                       "    rules:\n      - forward: web\n"
                       "target_groups:\n  web:\n    targets: [127.0.0.1:9001]\n"
                       "  api:\n    targets: [127.0.0.1:9005]\n";

    atomic_store(&t1->requests, 7);
    EXPECT_EQ(edge_target_register(e, "web", &a3, 1), 0);
    diag_init(&d);
    struct conf_doc *doc = conf_doc_load_mem("t.yaml", next, strlen(next), &d);
    {
        struct edge_conf *built;
        assert_int_equal(edge_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &built), 0);
        conf = *built;
        free(built);
    }
    conf_doc_free(doc);
    diag_fini(&d);
    assert_int_equal(edge_apply(e, &conf, err, sizeof(err)), 0);
    /* Same object for the kept target (counters carry over); the run-time target stays. */
    EXPECT_TRUE(e->cur->tgrt[0].targets[0] == t1);
    EXPECT_EQ(atomic_load(&t1->requests), 7);
    EXPECT_EQ(e->cur->tgrt[0].n, 2);
    EXPECT_TRUE(sock_addr_equal(&e->cur->tgrt[0].targets[1]->addr, &a3));
    EXPECT_EQ(e->cur->conf.ntgs, 2);

    /* Now drop 9001 from the file: it drains instead of vanishing. */
    next = "listeners:\n  - name: public\n    address: 127.0.0.1:0\n"
           "    rules:\n      - forward: web\n"
           "target_groups:\n  web:\n    targets: [127.0.0.1:9004]\n";
    diag_init(&d);
    doc = conf_doc_load_mem("t.yaml", next, strlen(next), &d);
    {
        struct edge_conf *built;
        assert_int_equal(edge_conf_build(doc->root, &(struct conf_ctx){ .d = &d }, &built), 0);
        conf = *built;
        free(built);
    }
    conf_doc_free(doc);
    diag_fini(&d);
    assert_int_equal(edge_apply(e, &conf, err, sizeof(err)), 0);
    EXPECT_EQ(e->cur->tgrt[0].n, 3);            /* 9004, run-time 9003, draining 9001 */
    EXPECT_EQ(target_state_get(t1), TARGET_DRAINING);
    edge_free(e);
}
