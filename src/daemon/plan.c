/*
 * daemon/plan.c: the differ behind `tierd plan` and `tierd apply`. Walks two stack files'
 * node trees section by section: named collections (listeners, target_groups,
 * launch_templates, auto_scaling_groups, alarms, topics) resource by resource, every other
 * top-level key as one resource. Attributes are compared as written (after YAML parsing:
 * quoting and layout do not matter, "5s" and "5000ms" do). Owns nothing beyond the plan it
 * returns; knows which attributes force a replacement or a restart and what applying
 * them sets in motion, which docs/api.md lists under "Plan and apply".
 */
#include "daemon/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/keys.h"
#include "conf/ref.h"
#include "core/mem.h"
#include "daemon/keytabs.h"
#include "edge/edge_keys.h"
#include "fleet/fleet_keys.h"

#define EK(id) (&edge_keys[id])
#define FK(id) (&fleet_keys[id])
/* A list item's identity ("listeners: - name: public"); every list section has one. */
#define PLAN_ITEM_NAME conf_key_leaf(EK(EK_L_NAME))

/* A growing string; exits on allocation failure like the rest of the plan. */
struct sb {
    char *p;
    size_t len, cap;
};

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
    va_list ap;

    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 64) * 2;
        b->p = mem_realloc_or_exit(b->p, b->cap);
    }
}

/* Returns the string (owned by the caller; "" when nothing was written). */
static char *
sb_take(struct sb *b)
{
    if (!b->p)
        return mem_strdup_or_exit("");
    return b->p;
}

/* ------------------------------------------------------------------ rendering values */

/* Plain scalars that read as numbers or booleans are shown bare, everything else quoted. */
static bool
scalar_is_bare(const struct conf_node *n)
{
    const char *s = n->str;
    char *end;

    if (n->quoted || !*s)
        return false;
    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0 || strcmp(s, "null") == 0)
        return true;
    (void)strtod(s, &end);
    return *end == '\0' && strspn(s, "0123456789.-+eE") == strlen(s);
}

static void
render(struct sb *b, const struct conf_node *n)
{
    if (!n) {
        sb_printf(b, "null");
        return;
    }
    switch (n->kind) {
    case CONF_SCALAR:
        if (keytabs_hide(n)) {          /* as Terraform shows sensitive values */
            sb_printf(b, "%s", CONF_SENSITIVE);
            break;
        }
        if (scalar_is_bare(n)) {
            sb_printf(b, "%s", n->str);
            break;
        }
        sb_printf(b, "\"");
        for (const char *s = n->str; *s; s++) {
            unsigned char c = (unsigned char)*s;
            if (c == '"' || c == '\\')
                sb_printf(b, "\\%c", c);
            else if (c == '\n')
                sb_printf(b, "\\n");
            else if (c < 0x20)
                sb_printf(b, "\\u%04x", c);
            else
                sb_printf(b, "%c", c);
        }
        sb_printf(b, "\"");
        break;
    case CONF_MAP:
        sb_printf(b, "{");
        for (unsigned i = 0; i < n->n; i++) {
            sb_printf(b, "%s%s: ", i ? ", " : "", n->pairs[i].key->str);
            render(b, n->pairs[i].value);
        }
        sb_printf(b, "}");
        break;
    case CONF_SEQ:
        sb_printf(b, "[");
        for (unsigned i = 0; i < n->n; i++) {
            sb_printf(b, "%s", i ? ", " : "");
            render(b, n->items[i]);
        }
        sb_printf(b, "]");
        break;
    }
}

static char *
render_new(const struct conf_node *n)
{
    struct sb b = { 0 };

    if (!n)
        return NULL;
    render(&b, n);
    return sb_take(&b);
}

static bool
node_equal(const struct conf_node *a, const struct conf_node *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || a->n != b->n)
        return false;
    switch (a->kind) {
    case CONF_SCALAR:
        return strcmp(a->str, b->str) == 0;
    case CONF_MAP:
        for (unsigned i = 0; i < a->n; i++)
            if (!node_equal(a->pairs[i].value, conf_map_get(b, a->pairs[i].key->str)))
                return false;
        return true;
    case CONF_SEQ:
        for (unsigned i = 0; i < a->n; i++)
            if (!node_equal(a->items[i], b->items[i]))
                return false;
        return true;
    }
    return false;
}

/* A list of scalars is one attribute (shown whole); a list of maps is compared by index. */
static bool
seq_is_scalars(const struct conf_node *n)
{
    for (unsigned i = 0; n && i < n->n; i++)
        if (n->items[i]->kind != CONF_SCALAR)
            return false;
    return true;
}

/* ------------------------------------------------------------------ building resources */

/* The key-table flags of a node: its own entry's, or the nearest ancestor's that has one
 * (an item of a list has none of its own). */
static unsigned
plan_key_flags(const struct conf_node *n)
{
    char path[512];
    const struct conf_key *k;

    snprintf(path, sizeof(path), "%s", n->path ? n->path : "");
    while (path[0]) {
        if ((k = conf_key_lookup(keytabs_all, path)))
            return k->flags;
        char *cut = strrchr(path, '.'), *br = strrchr(path, '[');
        if (br && (!cut || br > cut))
            cut = br;
        if (!cut)
            break;
        *cut = '\0';
    }
    return 0;
}

static void
attr_add(struct plan_resource *r, const char *path, const struct conf_node *o,
         const struct conf_node *n)
{
    unsigned flags = plan_key_flags(n ? n : o);

    r->attrs = mem_realloc_or_exit(r->attrs, (r->nattrs + 1) * sizeof(*r->attrs));
    r->attrs[r->nattrs++] = (struct plan_attr){
        .path = mem_strdup_or_exit(*path ? path : r->name),
        .old_value = render_new(o),
        .new_value = render_new(n),
        .forces_replacement = flags & CONF_KEY_REPLACE,
        .requires_restart = flags & CONF_KEY_RESTART,
    };
}

static void note_add(struct plan_resource *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note_add(struct plan_resource *r, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    r->notes = mem_realloc_or_exit(r->notes, (r->nnotes + 1) * sizeof(*r->notes));
    r->notes[r->nnotes++] = mem_strdup_or_exit(buf);
}

static void
path_join(char *out, size_t n, const char *path, const char *key)
{
    snprintf(out, n, "%s%s%s", path, *path ? "." : "", key);
}

/* Adds every attribute that differs between o and n under path; skip is a top-level key
 * left out (the name of a listed item, which is its identity). Either side may be NULL. */
static void
diff_node(struct plan_resource *r, const char *path, const struct conf_node *o,
          const struct conf_node *n, const char *skip)
{
    char sub[512];

    if (node_equal(o, n))
        return;
    const struct conf_node *shape = o ? o : n;
    bool same_kind = !o || !n || o->kind == n->kind;
    if (!same_kind || shape->kind == CONF_SCALAR ||
        (shape->kind == CONF_SEQ && (seq_is_scalars(o) && seq_is_scalars(n)))) {
        attr_add(r, path, o, n);
        return;
    }
    if (shape->kind == CONF_MAP) {
        for (unsigned i = 0; n && i < n->n; i++) {
            const char *k = n->pairs[i].key->str;
            if (skip && strcmp(k, skip) == 0)
                continue;
            path_join(sub, sizeof(sub), path, k);
            diff_node(r, sub, o ? conf_map_get(o, k) : NULL, n->pairs[i].value, NULL);
        }
        for (unsigned i = 0; o && i < o->n; i++) {
            const char *k = o->pairs[i].key->str;
            if ((skip && strcmp(k, skip) == 0) || (n && conf_map_get(n, k)))
                continue;
            path_join(sub, sizeof(sub), path, k);
            diff_node(r, sub, o->pairs[i].value, NULL, NULL);
        }
        return;
    }
    unsigned max = o && n ? (o->n > n->n ? o->n : n->n) : shape->n;
    for (unsigned i = 0; i < max; i++) {
        const struct conf_node *oi = o && i < o->n ? o->items[i] : NULL;
        const struct conf_node *ni = n && i < n->n ? n->items[i] : NULL;
        snprintf(sub, sizeof(sub), "%s[%u]", path, i);
        if (oi && ni)
            diff_node(r, sub, oi, ni, NULL);
        else if (!node_equal(oi, ni))
            attr_add(r, sub, oi, ni);   /* an item added or removed: shown whole */
    }
}

static struct plan_resource *
res_add(struct plan *p, const char *kind, const char *name, bool singleton)
{
    char addr[512];

    p->res = mem_realloc_or_exit(p->res, (p->n + 1) * sizeof(*p->res));
    struct plan_resource *r = &p->res[p->n++];
    memset(r, 0, sizeof(*r));
    r->kind = mem_strdup_or_exit(kind);
    r->name = mem_strdup_or_exit(name);
    if (singleton)
        snprintf(addr, sizeof(addr), "%s", kind);
    else
        snprintf(addr, sizeof(addr), "%s.%s", kind, name);
    r->address = mem_strdup_or_exit(addr);
    return r;
}

static void
res_fini(struct plan_resource *r)
{
    for (unsigned i = 0; i < r->nattrs; i++) {
        free(r->attrs[i].path);
        free(r->attrs[i].old_value);
        free(r->attrs[i].new_value);
    }
    for (unsigned i = 0; i < r->nnotes; i++)
        free(r->notes[i]);
    free(r->attrs);
    free(r->notes);
    free(r->kind);
    free(r->name);
    free(r->address);
}

/* ------------------------------------------------------------------ side effects */

struct ctx {
    const struct conf_node *old_root, *new_root;
    const struct plan_group_state *groups;
    unsigned ngroups;
};

static const char *
str_at(const struct conf_node *map, const struct conf_key *k)
{
    const struct conf_node *v = conf_key_get(map, k);

    return v && v->kind == CONF_SCALAR ? v->str : NULL;
}

static const char *
or_default(const char *s, const char *def)
{
    return s ? s : def;
}

/* The template a group uses: `launch_template: app` or `{ name: app, version: 3 }`. */
static const char *
group_template(const struct conf_node *g, bool *pinned)
{
    const struct conf_node *lt = g ? conf_key_get(g, FK(FK_ASG_LAUNCH_TEMPLATE)) : NULL;

    *pinned = false;
    if (!lt)
        return NULL;
    if (lt->kind == CONF_SCALAR)
        return lt->str;
    *pinned = conf_key_get(lt, FK(FK_ASG_LT_VERSION)) != NULL;
    return str_at(lt, FK(FK_ASG_LT_NAME));
}

static const char *
target_address(const struct conf_node *t)
{
    return t->kind == CONF_SCALAR ? t->str : str_at(t, EK(EK_TG_T_ADDRESS));
}

static bool
targets_have(const struct conf_node *targets, const char *addr)
{
    for (unsigned i = 0; targets && targets->kind == CONF_SEQ && i < targets->n; i++) {
        const char *a = target_address(targets->items[i]);
        if (a && strcmp(a, addr) == 0)
            return true;
    }
    return false;
}

static void
listener_effects(struct plan_resource *r, const struct conf_node *o, const struct conf_node *n)
{
    const char *oa = str_at(o, EK(EK_L_ADDRESS)), *na = str_at(n, EK(EK_L_ADDRESS));

    if (r->action == PLAN_CREATE) {
        note_add(r, "starts accepting on %s", or_default(na, "?"));
        return;
    }
    if (r->action == PLAN_DELETE) {
        note_add(r, "stops accepting on %s; requests in flight and open WebSockets finish",
                 or_default(oa, "?"));
        return;
    }
    if (oa && na && strcmp(oa, na) != 0)
        note_add(r, "rebinds in place: accepts on %s, stops accepting on %s; open "
                    "connections stay", na, oa);
    if (!node_equal(conf_key_get(o, EK(EK_L_RULES)), conf_key_get(n, EK(EK_L_RULES))))
        note_add(r, "new rules apply to new requests; connections and WebSockets in flight "
                    "are kept");
}

static void
tg_effects(struct plan_resource *r, const struct conf_node *o, const struct conf_node *n)
{
    const char *delay = or_default(str_at(o, EK(EK_TG_DEREG_DELAY)), EK(EK_TG_DEREG_DELAY)->def);
    const struct conf_node *ot = conf_key_get(o, EK(EK_TG_TARGETS));
    const struct conf_node *nt = conf_key_get(n, EK(EK_TG_TARGETS));

    if (r->action == PLAN_DELETE) {
        note_add(r, "its targets drain for deregistration_delay (%s)", delay);
        return;
    }
    for (unsigned i = 0; ot && ot->kind == CONF_SEQ && i < ot->n; i++) {
        const char *a = target_address(ot->items[i]);
        if (a && !targets_have(nt, a))
            note_add(r, "target %s drains for deregistration_delay (%s)", a, delay);
    }
    for (unsigned i = 0; r->action == PLAN_UPDATE && nt && nt->kind == CONF_SEQ && i < nt->n;
         i++) {
        const char *a = target_address(nt->items[i]);
        if (a && !targets_have(ot, a))
            note_add(r, "target %s registers and takes traffic once healthy", a);
    }
}

static void
template_effects(struct plan_resource *r, const struct ctx *c)
{
    const struct conf_node *ngroups = conf_key_get(c->new_root, FK(FK_GROUPS));
    const struct conf_node *ogroups = conf_key_get(c->old_root, FK(FK_GROUPS));
    unsigned version = 0;
    struct sb names = { 0 };
    unsigned nnames = 0;

    if (r->action != PLAN_UPDATE)
        return;
    for (unsigned i = 0; i < c->ngroups; i++)
        if (c->groups[i].template_name && strcmp(c->groups[i].template_name, r->name) == 0 &&
            c->groups[i].version > version)
            version = c->groups[i].version;
    /* Groups that exist before and after, follow the latest and keep this template. */
    for (unsigned i = 0; ngroups && ngroups->kind == CONF_MAP && i < ngroups->n; i++) {
        const char *g = ngroups->pairs[i].key->str;
        bool pinned, opinned;
        const char *t = group_template(ngroups->pairs[i].value, &pinned);
        const struct conf_node *og = ogroups ? conf_map_get(ogroups, g) : NULL;
        const char *ot = group_template(og, &opinned);
        if (!t || pinned || !ot || strcmp(t, r->name) != 0 || strcmp(ot, t) != 0 ||
            !node_equal(conf_key_get(og, FK(FK_ASG_TARGET_GROUP)),
                        conf_key_get(ngroups->pairs[i].value, FK(FK_ASG_TARGET_GROUP))))
            continue;
        sb_printf(&names, "%s%s", nnames ? ", " : "", g);
        nnames++;
    }
    char *list = sb_take(&names);
    char ver[32] = "";
    if (version)
        snprintf(ver, sizeof(ver), " %u", version + 1);
    if (nnames)
        note_add(r, "launch template %s: new version%s, starts an instance refresh of group%s "
                    "%s", r->name, ver, nnames == 1 ? "" : "s", list);
    else
        note_add(r, "launch template %s: new version%s; no group that follows the latest "
                    "version uses it, so nothing is refreshed", r->name, ver);
    free(list);
}

static void
group_effects(struct plan_resource *r, const struct conf_node *o, const struct conf_node *n)
{
    bool pinned;
    const char *d = str_at(n, FK(FK_ASG_DESIRED));

    switch (r->action) {
    case PLAN_CREATE:
        note_add(r, "launches %s instance%s of launch template %s", or_default(d, "min_size"),
                 d && strcmp(d, "1") == 0 ? "" : "s", or_default(group_template(n, &pinned), "?"));
        return;
    case PLAN_DELETE:
        note_add(r, "its instances are deregistered, drain and stop");
        return;
    case PLAN_REPLACE:
        note_add(r, "the running instances are deregistered, drain and stop; the new group "
                    "launches %s instance%s", or_default(d, "min_size"),
                 d && strcmp(d, "1") == 0 ? "" : "s");
        return;
    default:
        break;
    }
    if (!node_equal(conf_key_get(o, FK(FK_ASG_DESIRED)), conf_key_get(n, FK(FK_ASG_DESIRED)))) {
        if (d)
            note_add(r, "the fleet reconciles to desired %s", d);
        else
            note_add(r, "the fleet keeps its current desired capacity");
    } else if (!node_equal(conf_key_get(o, FK(FK_ASG_MIN_SIZE)), conf_key_get(n, FK(FK_ASG_MIN_SIZE))) ||
               !node_equal(conf_key_get(o, FK(FK_ASG_MAX_SIZE)), conf_key_get(n, FK(FK_ASG_MAX_SIZE)))) {
        note_add(r, "the fleet keeps its current desired capacity, clamped into [%s, %s]",
                 or_default(str_at(n, FK(FK_ASG_MIN_SIZE)), "?"),
                 or_default(str_at(n, FK(FK_ASG_MAX_SIZE)), "?"));
    }
}

/* A group whose template (by name) or target group changes is retired and started anew
 * (fleet_apply()); every other group changes in place. */
static bool
group_needs_replace(const struct conf_node *o, const struct conf_node *n)
{
    bool p1, p2;
    const char *ot = group_template(o, &p1), *nt = group_template(n, &p2);

    if ((ot == NULL) != (nt == NULL) || (ot && strcmp(ot, nt) != 0))
        return true;
    return !node_equal(conf_key_get(o, FK(FK_ASG_TARGET_GROUP)),
                       conf_key_get(n, FK(FK_ASG_TARGET_GROUP)));
}


/* ------------------------------------------------------------------ classification */

static void
classify(struct plan_resource *r, const struct conf_node *o, const struct conf_node *n,
         const struct ctx *c)
{
    if (!o)
        r->action = PLAN_CREATE;
    else if (!n)
        r->action = PLAN_DELETE;
    else
        r->action = r->nattrs ? PLAN_UPDATE : PLAN_NOOP;
    /* The key tables say what restarts (control, edge.workers, state_dir) and what
     * replaces (a group's target group or template name); everything else is live. */
    bool replace = false;
    for (unsigned i = 0; i < r->nattrs; i++) {
        r->requires_restart |= r->attrs[i].requires_restart;
        replace |= r->attrs[i].forces_replacement;
    }
    /* A group names its template as "app" or { name: app, version: N }: only another
     * name replaces it, whichever way it is written. */
    if (replace && strcmp(r->kind, "auto_scaling_group") == 0 && !group_needs_replace(o, n)) {
        replace = false;
        for (unsigned i = 0; i < r->nattrs; i++)
            r->attrs[i].forces_replacement = false;
    }
    if (replace && r->action == PLAN_UPDATE)
        r->action = PLAN_REPLACE;
    else
        for (unsigned i = 0; i < r->nattrs; i++)
            r->attrs[i].forces_replacement = false;
    if (r->action == PLAN_NOOP)
        return;
    if (strcmp(r->kind, "listener") == 0)
        listener_effects(r, o, n);
    else if (strcmp(r->kind, "target_group") == 0)
        tg_effects(r, o, n);
    else if (strcmp(r->kind, "launch_template") == 0)
        template_effects(r, c);
    else if (strcmp(r->kind, "auto_scaling_group") == 0)
        group_effects(r, o, n);
    else if (strcmp(r->kind, "shield") == 0 && r->action == PLAN_UPDATE)
        note_add(r, "rules swapped for new requests; current bans stay");
    if (r->requires_restart)
        note_add(r, "takes effect when tierd restarts; until then the old value stays in use");
}

/* Adds the resource (o -> n) to the plan unless nothing changes. */
static void
diff_resource(struct plan *p, const struct ctx *c, const char *kind, const char *name,
              bool singleton, const struct conf_node *o, const struct conf_node *n,
              const char *skip)
{
    if (!o && !n)
        return;
    struct plan_resource *r = res_add(p, kind, name, singleton);

    diff_node(r, "", o, n, skip);
    classify(r, o, n, c);
    if (r->action == PLAN_NOOP) {
        res_fini(r);
        p->n--;
        return;
    }
    p->add += r->action == PLAN_CREATE || r->action == PLAN_REPLACE;
    p->change += r->action == PLAN_UPDATE;
    p->destroy += r->action == PLAN_DELETE || r->action == PLAN_REPLACE;
}

/* ------------------------------------------------------------------ sections */

/* The sections are the key tables' top-level entries: a named map or a list is a
 * collection whose items are resources of its kind ("listeners" -> "listener"), anything
 * else one resource named for its key. */
static bool
section_is_collection(const struct conf_key *k)
{
    return k->type == KT_NAMED || k->type == KT_LIST;
}

static bool
section_is_top(const struct conf_key *k)
{
    return !strpbrk(k->path, ".[");
}

/* Item i of a collection: a map's pair (its key is the name), or a list item with a
 * `name:` (else its index). */
static const struct conf_node *
item_at(const struct conf_node *sec, unsigned i, char *name, size_t n)
{
    if (sec->kind == CONF_MAP) {
        snprintf(name, n, "%s", sec->pairs[i].key->str);
        return sec->pairs[i].value;
    }
    const struct conf_node *nn = conf_map_get(sec->items[i], PLAN_ITEM_NAME);
    const char *s = nn && nn->kind == CONF_SCALAR ? nn->str : NULL;
    if (s)
        snprintf(name, n, "%s", s);
    else
        snprintf(name, n, "[%u]", i);
    return sec->items[i];
}

static unsigned
items_count(const struct conf_node *sec)
{
    return sec && (sec->kind == CONF_MAP || sec->kind == CONF_SEQ) ? sec->n : 0;
}

static const struct conf_node *
item_find(const struct conf_node *sec, const char *name)
{
    char buf[256];

    for (unsigned i = 0; i < items_count(sec); i++) {
        const struct conf_node *it = item_at(sec, i, buf, sizeof(buf));
        if (strcmp(buf, name) == 0)
            return it;
    }
    return NULL;
}

static void
diff_collection(struct plan *p, const struct ctx *c, const char *section)
{
    char kind[128];

    snprintf(kind, sizeof(kind), "%.*s", (int)strlen(section) - 1, section);
    const struct conf_node *os = conf_map_get(c->old_root, section);
    const struct conf_node *ns = conf_map_get(c->new_root, section);
    char name[256];

    for (unsigned i = 0; i < items_count(ns); i++) {
        const struct conf_node *n = item_at(ns, i, name, sizeof(name));
        const char *skip = ns->kind == CONF_SEQ ? PLAN_ITEM_NAME : NULL;
        diff_resource(p, c, kind, name, false, item_find(os, name), n, skip);
    }
    for (unsigned i = 0; i < items_count(os); i++) {
        const struct conf_node *o = item_at(os, i, name, sizeof(name));
        if (!item_find(ns, name))
            diff_resource(p, c, kind, name, false, o, NULL,
                          os->kind == CONF_SEQ ? PLAN_ITEM_NAME : NULL);
    }
}

static bool
is_known_section(const char *k)
{
    const struct conf_key *e = conf_key_find(keytabs_all, k);

    return e && section_is_top(e);
}

static void
diff_singleton(struct plan *p, const struct ctx *c, const char *key)
{
    diff_resource(p, c, key, key, true, conf_map_get(c->old_root, key),
                  conf_map_get(c->new_root, key), NULL);
}

struct plan *
plan_diff(const struct conf_node *old_root, const struct conf_node *new_root,
          const struct plan_group_state *groups, unsigned ngroups)
{
    struct plan *p = mem_alloc_or_exit(sizeof(*p));
    struct ctx c = { old_root, new_root, groups, ngroups };

    if (c.old_root && c.old_root->kind != CONF_MAP)
        c.old_root = NULL;
    if (c.new_root && c.new_root->kind != CONF_MAP)
        c.new_root = NULL;
    for (unsigned pass = 0; pass < 2; pass++)      /* collections first, then singletons */
        for (const struct conf_keytab *const *t = keytabs_all; *t; t++)
            for (unsigned i = 0; i < (*t)->n; i++) {
                const struct conf_key *k = &(*t)->keys[i];
                if (!section_is_top(k) || section_is_collection(k) != (pass == 0))
                    continue;
                if (pass == 0)
                    diff_collection(p, &c, k->path);
                else
                    diff_singleton(p, &c, k->path);
            }
    /* Sections this file does not know (a subsystem added later): one resource each. */
    for (unsigned i = 0; c.new_root && i < c.new_root->n; i++)
        if (!is_known_section(c.new_root->pairs[i].key->str))
            diff_singleton(p, &c, c.new_root->pairs[i].key->str);
    for (unsigned i = 0; c.old_root && i < c.old_root->n; i++) {
        const char *k = c.old_root->pairs[i].key->str;
        if (!is_known_section(k) && !conf_map_get(c.new_root, k))
            diff_singleton(p, &c, k);
    }
    return p;
}

void
plan_free(struct plan *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->n; i++)
        res_fini(&p->res[i]);
    free(p->res);
    free(p);
}

void
plan_summary(const struct plan *p, char *out, size_t n)
{
    if (!plan_has_changes(p))
        snprintf(out, n, "No changes.");
    else
        snprintf(out, n, "Plan: %u to add, %u to change, %u to destroy.", p->add, p->change,
                 p->destroy);
}

const char *
plan_action_symbol(enum plan_action a)
{
    static const char *const s[] = { "", "+", "~", "-/+", "-" };

    return (unsigned)a < 5 ? s[a] : "?";
}

const char *
plan_action_name(enum plan_action a)
{
    static const char *const s[] = { "no-op", "create", "update", "replace", "delete" };

    return (unsigned)a < 5 ? s[a] : "?";
}

static json_t *
str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : json_null();

    return j ? j : json_string("(not valid UTF-8)");
}

json_t *
plan_json(const struct plan *p)
{
    json_t *list = json_array();
    char summary[128];

    for (unsigned i = 0; i < p->n; i++) {
        const struct plan_resource *r = &p->res[i];
        json_t *attrs = json_array(), *notes = json_array();
        for (unsigned j = 0; j < r->nattrs; j++)
            json_array_append_new(attrs, json_pack("{s:o, s:o, s:o, s:b, s:b}",
                                                   "path", str_or_null(r->attrs[j].path),
                                                   "old", str_or_null(r->attrs[j].old_value),
                                                   "new", str_or_null(r->attrs[j].new_value),
                                                   "forces_replacement",
                                                   r->attrs[j].forces_replacement,
                                                   "requires_restart",
                                                   r->attrs[j].requires_restart));
        for (unsigned j = 0; j < r->nnotes; j++)
            json_array_append_new(notes, str_or_null(r->notes[j]));
        json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:s, s:s, s:b, s:o, s:o}",
                                              "address", str_or_null(r->address),
                                              "kind", str_or_null(r->kind),
                                              "name", str_or_null(r->name),
                                              "action", plan_action_name(r->action),
                                              "symbol", plan_action_symbol(r->action),
                                              "requires_restart", r->requires_restart,
                                              "attributes", attrs, "notes", notes));
    }
    plan_summary(p, summary, sizeof(summary));
    return json_pack("{s:b, s:{s:i, s:i, s:i}, s:s, s:o}", "changes", plan_has_changes(p),
                     "summary", "add", (int)p->add, "change", (int)p->change, "destroy",
                     (int)p->destroy, "summary_text", summary, "resources", list);
}
