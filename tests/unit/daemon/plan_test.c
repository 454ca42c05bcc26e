/* tests/unit/daemon/plan_test.c: the plan differ: every kind of change, side effects and
 * the summary counts, over stack files parsed from text. */
#include <string.h>

#include "check.h"
#include "conf/node.h"
#include "daemon/plan.h"

static const char base[] =
    "listeners:\n"
    "  - name: public\n"
    "    address: 127.0.0.1:8080\n"
    "    rules:\n"
    "      - match: { path_prefix: /api/ }\n"
    "        forward: web\n"
    "      - forward: web\n"
    "target_groups:\n"
    "  web:\n"
    "    targets: [127.0.0.1:9001, 127.0.0.1:9002]\n"
    "    deregistration_delay: 5s\n"
    "    health_check: { path: /health, interval: 5s }\n"
    "launch_templates:\n"
    "  app:\n"
    "    command: [build/app, --listen, \"127.0.0.1:${PORT}\"]\n"
    "    stop_timeout: 10s\n"
    "auto_scaling_groups:\n"
    "  web:\n"
    "    launch_template: app\n"
    "    target_group: web\n"
    "    min_size: 2\n"
    "    max_size: 4\n"
    "    desired_capacity: 2\n"
    "shield:\n"
    "  mode: block\n"
    "control:\n"
    "  socket: run/tierd.sock\n";

/* Plans a -> b (with one group web running version 3 of app). */
static struct plan *
diff(const char *a, const char *b)
{
    static const struct plan_group_state groups[] = {
        { .group = "web", .template_name = "app", .version = 3, .follows_latest = true },
    };
    struct diag d;

    diag_init(&d);
    struct conf_doc *da = conf_doc_load_mem("old.yaml", a, strlen(a), &d);
    struct conf_doc *db = conf_doc_load_mem("new.yaml", b, strlen(b), &d);
    if (d.n)
        diag_print(&d, stderr);
    EXPECT_EQ(d.n, 0);
    struct plan *p = plan_diff(da->root, db->root, groups, 1);
    conf_doc_free(da);
    conf_doc_free(db);
    diag_fini(&d);
    return p;
}

/* base with `from` replaced by `to` (which must occur once). */
static char *
edit(const char *from, const char *to)
{
    static char out[4096];
    const char *at = strstr(base, from);

    assert_non_null(at);
    snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
    return out;
}

static const struct plan_resource *
find(const struct plan *p, const char *address)
{
    for (unsigned i = 0; i < p->n; i++)
        if (strcmp(p->res[i].address, address) == 0)
            return &p->res[i];
    fail_msg("no resource %s in the plan", address);
    return NULL;
}

static const struct plan_attr *
attr(const struct plan_resource *r, const char *path)
{
    for (unsigned i = 0; i < r->nattrs; i++)
        if (strcmp(r->attrs[i].path, path) == 0)
            return &r->attrs[i];
    fail_msg("no attribute %s in %s", path, r->address);
    return NULL;
}

static bool
has_note(const struct plan_resource *r, const char *want)
{
    for (unsigned i = 0; i < r->nnotes; i++)
        if (strstr(r->notes[i], want))
            return true;
    for (unsigned i = 0; i < r->nnotes; i++)
        fprintf(stderr, "note: %s\n", r->notes[i]);
    return false;
}

static void
expect_summary(const struct plan *p, const char *want)
{
    char s[128];

    plan_summary(p, s, sizeof(s));
    EXPECT_STREQ(s, want);
}

TEST(plan_no_change_is_an_empty_plan)
{
    struct plan *p = diff(base, base);

    EXPECT_FALSE(plan_has_changes(p));
    EXPECT_EQ(p->n, 0);
    expect_summary(p, "No changes.");
    plan_free(p);
}

TEST(plan_layout_and_quoting_are_not_changes)
{
    /* Flow vs block style and quotes parse to the same values. */
    char *b = edit("    health_check: { path: /health, interval: 5s }\n",
                   "    health_check:\n      interval: \"5s\"\n      path: '/health'\n");
    struct plan *p = diff(base, b);

    EXPECT_EQ(p->n, 0);
    plan_free(p);
}

TEST(plan_added_and_removed_resources_count_as_add_and_destroy)
{
    char *b = edit("launch_templates:\n", "  api:\n    targets: [127.0.0.1:9100]\n"
                                          "launch_templates:\n");
    struct plan *p = diff(base, b);
    const struct plan_resource *r = find(p, "target_group.api");

    EXPECT_EQ(r->action, PLAN_CREATE);
    EXPECT_STREQ(plan_action_symbol(r->action), "+");
    EXPECT_STREQ(attr(r, "targets")->new_value, "[\"127.0.0.1:9100\"]");
    EXPECT_TRUE(attr(r, "targets")->old_value == NULL);
    expect_summary(p, "Plan: 1 to add, 0 to change, 0 to destroy.");
    plan_free(p);

    /* The other way round: destroyed, and its targets drain. */
    p = diff(b, base);
    r = find(p, "target_group.api");
    EXPECT_EQ(r->action, PLAN_DELETE);
    EXPECT_STREQ(plan_action_symbol(r->action), "-");
    EXPECT_TRUE(attr(r, "targets")->new_value == NULL);
    EXPECT_TRUE(has_note(r, "drain for deregistration_delay (300s)"));
    expect_summary(p, "Plan: 0 to add, 0 to change, 1 to destroy.");
    plan_free(p);
}

TEST(plan_nested_attribute_shows_old_and_new)
{
    struct plan *p = diff(base, edit("interval: 5s", "interval: 10s"));
    const struct plan_resource *r = find(p, "target_group.web");
    const struct plan_attr *a = attr(r, "health_check.interval");

    EXPECT_EQ(r->action, PLAN_UPDATE);
    EXPECT_STREQ(plan_action_symbol(r->action), "~");
    EXPECT_EQ(r->nattrs, 1);
    EXPECT_STREQ(a->old_value, "\"5s\"");
    EXPECT_STREQ(a->new_value, "\"10s\"");
    EXPECT_FALSE(a->forces_replacement);
    expect_summary(p, "Plan: 0 to add, 1 to change, 0 to destroy.");
    plan_free(p);
}

TEST(plan_list_of_scalars_is_one_attribute_and_rules_go_by_index)
{
    char *b = edit("        forward: web\n      - forward: web\n",
                   "        forward: web\n      - match: { host: a.example }\n"
                   "        forward: web\n      - forward: web\n");
    struct plan *p = diff(base, b);
    const struct plan_resource *r = find(p, "listener.public");

    EXPECT_EQ(r->action, PLAN_UPDATE);
    EXPECT_STREQ(attr(r, "rules[1].match.host")->new_value, "\"a.example\"");
    EXPECT_TRUE(attr(r, "rules[1].match.host")->old_value == NULL);
    EXPECT_STREQ(attr(r, "rules[2]")->new_value, "{forward: \"web\"}");
    EXPECT_TRUE(has_note(r, "new rules apply to new requests"));
    plan_free(p);

    p = diff(base, edit("command: [build/app, --listen", "command: [build/app, -v, --listen"));
    r = find(p, "launch_template.app");
    EXPECT_EQ(r->nattrs, 1);
    EXPECT_STREQ(attr(r, "command")->old_value,
                 "[\"build/app\", \"--listen\", \"127.0.0.1:${PORT}\"]");
    plan_free(p);
}

TEST(plan_removed_target_drains_for_the_deregistration_delay)
{
    struct plan *p = diff(base, edit("127.0.0.1:9001, 127.0.0.1:9002", "127.0.0.1:9001"));
    const struct plan_resource *r = find(p, "target_group.web");

    EXPECT_EQ(r->action, PLAN_UPDATE);
    EXPECT_TRUE(has_note(r, "target 127.0.0.1:9002 drains for deregistration_delay (5s)"));
    plan_free(p);
}

TEST(plan_template_change_is_a_new_version_and_refreshes_followers)
{
    struct plan *p = diff(base, edit("stop_timeout: 10s", "stop_timeout: 15s"));
    const struct plan_resource *r = find(p, "launch_template.app");

    EXPECT_EQ(r->action, PLAN_UPDATE);
    EXPECT_TRUE(has_note(r, "launch template app: new version 4, starts an instance refresh "
                            "of group web"));
    expect_summary(p, "Plan: 0 to add, 1 to change, 0 to destroy.");
    plan_free(p);

    /* A pinned group is not refreshed. */
    char pinned[4096];
    snprintf(pinned, sizeof(pinned), "%s", edit("launch_template: app",
                                                "launch_template: { name: app, version: 3 }"));
    char *b = strstr(pinned, "stop_timeout: 10s");
    memcpy(b, "stop_timeout: 20s", 17);
    p = diff(edit("launch_template: app", "launch_template: { name: app, version: 3 }"), pinned);
    r = find(p, "launch_template.app");
    EXPECT_TRUE(has_note(r, "nothing is refreshed"));
    plan_free(p);
}

TEST(plan_group_with_another_target_group_is_replaced)
{
    char *b = edit("    target_group: web\n", "    target_group: api\n");
    char text[4096];

    snprintf(text, sizeof(text), "%s", b);
    struct plan *p = diff(base, text);
    const struct plan_resource *r = find(p, "auto_scaling_group.web");

    EXPECT_EQ(r->action, PLAN_REPLACE);
    EXPECT_STREQ(plan_action_symbol(r->action), "-/+");
    EXPECT_TRUE(attr(r, "target_group")->forces_replacement);
    EXPECT_TRUE(has_note(r, "drain and stop"));
    expect_summary(p, "Plan: 1 to add, 0 to change, 1 to destroy.");
    plan_free(p);
}

TEST(plan_capacity_change_is_reconciled_in_place)
{
    struct plan *p = diff(base, edit("desired_capacity: 2", "desired_capacity: 3"));
    const struct plan_resource *r = find(p, "auto_scaling_group.web");

    EXPECT_EQ(r->action, PLAN_UPDATE);
    EXPECT_STREQ(attr(r, "desired_capacity")->old_value, "2");
    EXPECT_STREQ(attr(r, "desired_capacity")->new_value, "3");
    EXPECT_TRUE(has_note(r, "the fleet reconciles to desired 3"));
    plan_free(p);

    p = diff(base, edit("max_size: 4", "max_size: 6"));
    EXPECT_TRUE(has_note(find(p, "auto_scaling_group.web"), "clamped into [2, 6]"));
    plan_free(p);
}

TEST(plan_control_and_workers_require_a_restart)
{
    char text[4096];

    snprintf(text, sizeof(text), "%sedge:\n  workers: 4\n",
             edit("socket: run/tierd.sock", "socket: run/other.sock"));
    struct plan *p = diff(base, text);
    const struct plan_resource *c = find(p, "control"), *e = find(p, "edge");

    EXPECT_EQ(c->action, PLAN_UPDATE);
    EXPECT_TRUE(c->requires_restart);
    EXPECT_TRUE(attr(c, "socket")->requires_restart);
    EXPECT_EQ(e->action, PLAN_CREATE);
    EXPECT_TRUE(attr(e, "workers")->requires_restart);
    EXPECT_TRUE(has_note(c, "takes effect when tierd restarts"));
    plan_free(p);

    /* Other edge settings apply live. */
    char a[4096];
    snprintf(a, sizeof(a), "%sedge:\n  timeouts: { keepalive: 75s }\n", base);
    snprintf(text, sizeof(text), "%sedge:\n  timeouts: { keepalive: 5s }\n", base);
    p = diff(a, text);
    EXPECT_FALSE(find(p, "edge")->requires_restart);
    plan_free(p);
}

TEST(plan_listener_address_change_is_in_place)
{
    struct plan *p = diff(base, edit("127.0.0.1:8080", "127.0.0.1:8081"));
    const struct plan_resource *r = find(p, "listener.public");

    EXPECT_EQ(r->action, PLAN_UPDATE);
    EXPECT_FALSE(r->requires_restart);
    EXPECT_TRUE(has_note(r, "rebinds in place"));
    plan_free(p);
}

TEST(plan_unknown_sections_are_resources_too)
{
    char text[4096];

    snprintf(text, sizeof(text), "%salarms:\n  high-cpu: { metric: cpu, threshold: 80 }\n"
                                 "future: { x: 1 }\n", base);
    struct plan *p = diff(base, text);

    EXPECT_EQ(find(p, "alarm.high-cpu")->action, PLAN_CREATE);
    EXPECT_EQ(find(p, "future")->action, PLAN_CREATE);
    expect_summary(p, "Plan: 2 to add, 0 to change, 0 to destroy.");
    plan_free(p);
}

TEST(plan_json_has_the_summary_and_every_attribute)
{
    struct plan *p = diff(base, edit("mode: block", "mode: count"));
    json_t *j = plan_json(p);
    json_t *r = json_array_get(json_object_get(j, "resources"), 0);
    json_t *a = json_array_get(json_object_get(r, "attributes"), 0);

    EXPECT_TRUE(json_is_true(json_object_get(j, "changes")));
    EXPECT_EQ(json_integer_value(json_object_get(json_object_get(j, "summary"), "change")), 1);
    EXPECT_STREQ(json_string_value(json_object_get(j, "summary_text")),
                 "Plan: 0 to add, 1 to change, 0 to destroy.");
    EXPECT_STREQ(json_string_value(json_object_get(r, "address")), "shield");
    EXPECT_STREQ(json_string_value(json_object_get(r, "symbol")), "~");
    EXPECT_STREQ(json_string_value(json_object_get(a, "path")), "mode");
    EXPECT_STREQ(json_string_value(json_object_get(a, "old")), "\"block\"");
    EXPECT_STREQ(json_string_value(json_object_get(a, "new")), "\"count\"");
    json_decref(j);
    plan_free(p);
}
