/*
 * export/k8s.c: the stack as Kubernetes manifests in one multi-document stack.yaml. An auto
 * scaling group becomes a Deployment (replicas, rolling update bounds from
 * min_healthy_percentage, probes from its target group's health check, resources from
 * instance_type, grace from stop_timeout plus deregistration_delay), an autoscaling/v2
 * HorizontalPodAutoscaler, a PodDisruptionBudget and a NetworkPolicy; a target group a
 * Service; a listener an Ingress; a database with backups a CronJob and its volume claim.
 * Strings are written double-quoted (JSON-compatible YAML), so no value is ever read as
 * another type.
 */
#include "export/internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define ID 64
#define APP_PORT 8080
#define NAME_LABEL "app.kubernetes.io/name"
#define PART_LABEL "app.kubernetes.io/part-of"
#define TG_LABEL "tierd.io/target-group"

static void
doc_start(struct export_ctx *cx, FILE *f, const char *api, const char *kind, const char *name)
{
    fprintf(f, "---\napiVersion: %s\nkind: %s\nmetadata:\n  name: \"%s\"\n"
               "  labels:\n    %s: \"%s\"\n", api, kind, name, PART_LABEL, cx->name);
}

/*
 * A command argument or env value with tierd's placeholders as Kubernetes' $(VAR)
 * references: ${PORT} and ${INSTANCE_ID} are env vars of the container, ${env:NAME} the
 * variable NAME (from the Secret), ${db:D.host} the database's Service name and .port 3306.
 * A literal "$(" is doubled so that Kubernetes leaves it alone.
 */
static void
k8s_value(struct export_ctx *cx, FILE *f, const struct conf_node *at, const char *s)
{
    char buf[8192], id[ID];
    size_t o = 0;

    while (*s && o + 80 < sizeof(buf)) {
        const char *close = strncmp(s, "${", 2) == 0 ? strchr(s, '}') : NULL;
        if (close && strncmp(s, "${env:", 6) == 0) {
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "$(%.*s)", (int)(close - s - 6), s + 6);
        } else if (close && strncmp(s, "${db:", 5) == 0) {
            const char *dot = memchr(s + 5, '.', (size_t)(close - s - 5));
            char db[ID];
            snprintf(db, sizeof(db), "%.*s", dot ? (int)(dot - s - 5) : 0, s + 5);
            if (dot && strncmp(dot, ".host}", 6) == 0)
                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s",
                                      export_k8s_id(db, id, sizeof(id)));
            else if (dot && strncmp(dot, ".port}", 6) == 0)
                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "3306");
            else {
                export_note(cx, at, "%.*s: put the password in the Secret and reference it",
                            (int)(close - s + 1), s);
                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "$(DB_PASSWORD)");
            }
        } else if (close) {
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "$(%.*s)", (int)(close - s - 2), s + 2);
        } else {
            if (s[0] == '$' && s[1] == '(')
                buf[o++] = '$';
            buf[o++] = *s++;
            continue;
        }
        if (o >= sizeof(buf))           /* snprintf truncated: stop at the end */
            o = sizeof(buf) - 1;
        s = close + 1;
    }
    buf[o] = '\0';
    export_yaml_str(f, buf);
}

/* The env refs ${env:NAME} in s, each once, as env vars from the Secret <lt>-env. */
static void
secret_envs(FILE *f, const char *secret, const char *s, char seen[][ID], unsigned *nseen)
{
    for (const char *p = strstr(s, "${env:"); p; p = strstr(p + 6, "${env:")) {
        const char *close = strchr(p, '}');
        char name[ID];
        bool dup = false;
        if (!close)
            break;
        snprintf(name, sizeof(name), "%.*s", (int)(close - p - 6), p + 6);
        for (unsigned i = 0; i < *nseen; i++)
            dup |= strcmp(seen[i], name) == 0;
        if (dup || *nseen == 64)
            continue;
        snprintf(seen[(*nseen)++], ID, "%s", name);
        fprintf(f, "            - name: \"%s\"\n              valueFrom:\n"
                   "                secretKeyRef: { name: \"%s\", key: \"%s\" }\n",
                name, secret, name);
    }
}

static const struct conf_node *
find_named(const struct export_ctx *cx, const struct conf_key *section, const char *name)
{
    const struct conf_node *sec = export_section(cx, section);

    return name && sec && sec->kind == CONF_MAP ? conf_map_get(sec, name) : NULL;
}

static void
write_probe(struct export_ctx *cx, FILE *f, const char *which, const struct conf_node *hc,
            uint64_t delay_ms)
{
    uint64_t interval = 30000, timeout = 5000, ok = 5, bad = 2;
    const char *path = "/";

    export_str(cx, hc, EK(EK_HC_PATH), &path);
    export_ms(cx, hc, EK(EK_HC_INTERVAL), &interval);
    export_ms(cx, hc, EK(EK_HC_TIMEOUT), &timeout);
    export_uint(cx, hc, EK(EK_HC_HEALTHY), &ok);
    export_uint(cx, hc, EK(EK_HC_UNHEALTHY), &bad);
    fprintf(f, "          %s:\n            httpGet:\n              path: ", which);
    export_yaml_str(f, path);
    /* A liveness probe has successThreshold 1 (the API refuses more). */
    fprintf(f, "\n              port: http\n            periodSeconds: %" PRIu64 "\n"
               "            timeoutSeconds: %" PRIu64 "\n            successThreshold: %" PRIu64 "\n"
               "            failureThreshold: %" PRIu64 "\n",
            interval / 1000, timeout / 1000, strcmp(which, "livenessProbe") == 0 ? 1 : ok, bad);
    if (delay_ms)
        fprintf(f, "            initialDelaySeconds: %" PRIu64 "\n", delay_ms / 1000);
}

static void
write_container(struct export_ctx *cx, FILE *f, const char *ltname, const struct conf_node *lt,
                const struct conf_node *hc, bool liveness, uint64_t grace_ms, uint64_t dereg_ms)
{
    const struct conf_node *cmd = export_get(lt, FK(FK_LT_COMMAND));
    const struct conf_node *env = export_get(lt, FK(FK_LT_ENV));
    const struct conf_node *it = export_get(lt, FK(FK_LT_ITYPE));
    const char *wd = NULL, *cpu;
    char id[ID], secret[ID + 8], seen[64][ID];
    unsigned nseen = 0;
    uint64_t mem;

    export_k8s_id(ltname, id, sizeof(id));
    snprintf(secret, sizeof(secret), "%s-env", id);
    fprintf(f, "        - name: \"%s\"\n          image: \"REPLACE-with-the-image-of-%s\"\n", id, id);
    if (cmd && cmd->kind == CONF_SEQ && cmd->n) {
        fputs("          command:\n", f);
        for (unsigned i = 0; i < cmd->n; i++) {
            char any[1100];
            const char *a = cmd->items[i]->str ? cmd->items[i]->str : "";
            if (export_bind_any(a, any, sizeof(any)) != a) {
                export_note(cx, cmd->items[i], "launch_templates.%s.command: binds to loopback; "
                            "written as 0.0.0.0:${PORT}, since the Service reaches the pod "
                            "from outside it", ltname);
                a = any;
            }
            fputs("            - ", f);
            k8s_value(cx, f, cmd, a);
            fputc('\n', f);
        }
    }
    if (export_str(cx, lt, FK(FK_LT_WORKING_DIR), &wd)) {
        fputs("          workingDir: ", f);
        export_yaml_str(f, wd);
        fputc('\n', f);
    }
    fprintf(f, "          ports:\n            - { name: http, containerPort: %d, protocol: TCP }\n"
               "          env:\n            - { name: PORT, value: \"%d\" }\n"
               "            - name: INSTANCE_ID\n              valueFrom:\n"
               "                fieldRef: { fieldPath: metadata.name }\n", APP_PORT, APP_PORT);
    /* Secrets first, so that the literal values below may reference them. */
    for (unsigned i = 0; env && env->kind == CONF_MAP && i < env->n; i++)
        if (env->pairs[i].value->str)
            secret_envs(f, secret, env->pairs[i].value->str, seen, &nseen);
    for (unsigned i = 0; cmd && cmd->kind == CONF_SEQ && i < cmd->n; i++)
        if (cmd->items[i]->str)
            secret_envs(f, secret, cmd->items[i]->str, seen, &nseen);
    for (unsigned i = 0; env && env->kind == CONF_MAP && i < env->n; i++) {
        fputs("            - name: ", f);
        export_yaml_str(f, env->pairs[i].key->str);
        fputs("\n              value: ", f);
        k8s_value(cx, f, env->pairs[i].value,
                  env->pairs[i].value->str ? env->pairs[i].value->str : "");
        fputc('\n', f);
    }
    if (nseen)
        export_note(cx, export_key(lt, FK(FK_LT_ENV)), "launch_templates.%s: create the Secret "
                    "\"%s\" with the ${env:...} values (kubectl create secret generic %s "
                    "--from-literal=NAME=...)", ltname, secret, secret);
    if (it && (cpu = export_num(it, FK(FK_LT_ITYPE_CPU))) != NULL &&
        export_bytes(cx, it, FK(FK_LT_ITYPE_MEMORY), &mem)) {
        fprintf(f, "          resources:\n"
                   "            requests: { cpu: \"%s\", memory: \"%" PRIu64 "Mi\" }\n"
                   "            limits: { cpu: \"%s\", memory: \"%" PRIu64 "Mi\" }\n",
                cpu, mem >> 20, cpu, mem >> 20);
    }
    if (hc && export_bool(cx, hc, EK(EK_HC_ENABLED), true)) {
        write_probe(cx, f, "readinessProbe", hc, 0);
        if (liveness)
            write_probe(cx, f, "livenessProbe", hc, grace_ms);
    }
    /* The load balancer's draining: stay up while endpoints stop sending (1.30+). */
    if (dereg_ms >= 1000)
        fprintf(f, "          lifecycle:\n            preStop:\n              sleep: { seconds: %"
                   PRIu64 " }\n", dereg_ms / 1000);
}

static void
write_group(struct export_ctx *cx, FILE *f, const char *name, const struct conf_node *g)
{
    const struct conf_node *ltn = export_get(g, FK(FK_ASG_LAUNCH_TEMPLATE));
    const struct conf_node *rf = export_get(g, FK(FK_ASG_REFRESH));
    const struct conf_node *pols = export_get(g, FK(FK_ASG_POLICIES));
    const struct conf_node *lt, *tg, *hc = NULL, *k;
    const char *ltname = NULL, *tgname = NULL, *htype, *sig = NULL;
    uint64_t min = 0, max = 0, desired, minh = 90, warm = 0, grace = 0, stop = 10000, dereg = 300000;
    char id[ID], tgid[ID];

    if (ltn && ltn->kind == CONF_SCALAR)
        ltname = ltn->str;
    else
        export_str(cx, ltn, FK(FK_ASG_LT_NAME), &ltname);
    export_str(cx, g, FK(FK_ASG_TARGET_GROUP), &tgname);
    lt = find_named(cx, FK(FK_TEMPLATES), ltname);
    tg = find_named(cx, EK(EK_TGS), tgname);
    hc = export_get(tg, EK(EK_TG_HC));
    export_k8s_id(name, id, sizeof(id));
    export_k8s_id(tgname ? tgname : "web", tgid, sizeof(tgid));
    export_uint(cx, g, FK(FK_ASG_MIN_SIZE), &min);
    export_uint(cx, g, FK(FK_ASG_MAX_SIZE), &max);
    if (!export_uint(cx, g, FK(FK_ASG_DESIRED), &desired))
        desired = min;
    if (rf)
        export_uint(cx, rf, FK(FK_ASG_REFRESH_MIN_HEALTHY), &minh);
    if (!(rf && export_ms(cx, rf, FK(FK_ASG_REFRESH_WARMUP), &warm)))
        export_ms(cx, g, FK(FK_ASG_WARMUP), &warm);
    export_ms(cx, g, FK(FK_ASG_GRACE), &grace);
    export_ms(cx, lt, FK(FK_LT_STOP_TIMEOUT), &stop);
    export_ms(cx, tg, EK(EK_TG_DEREG_DELAY), &dereg);
    htype = export_word(cx, g, FK(FK_ASG_HEALTH_TYPE));

    /* An ASG refresh never launches above desired by default: maxSurge 0, and as many
     * down at once as min_healthy_percentage allows (100: one extra at a time instead). */
    doc_start(cx, f, "apps/v1", "Deployment", id);
    fprintf(f, "spec:\n  replicas: %" PRIu64 "\n"
               "  selector:\n    matchLabels: { %s: \"%s\" }\n"
               "  minReadySeconds: %" PRIu64 "\n"
               "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n",
            desired, NAME_LABEL, id, warm / 1000);
    if (minh >= 100)
        fputs("      maxUnavailable: 0\n      maxSurge: 1\n", f);
    else
        fprintf(f, "      maxUnavailable: \"%" PRIu64 "%%\"\n      maxSurge: 0\n", 100 - minh);
    fprintf(f, "  template:\n    metadata:\n      labels:\n        %s: \"%s\"\n        %s: \"%s\"\n"
               "        %s: \"%s\"\n    spec:\n"
               "      terminationGracePeriodSeconds: %" PRIu64 "\n      containers:\n",
            NAME_LABEL, id, PART_LABEL, cx->name, TG_LABEL, tgid, (stop + dereg + 999) / 1000);
    write_container(cx, f, ltname ? ltname : name, lt, hc, htype && strcmp(htype, "elb") == 0,
                    grace, dereg);
    if (lt && export_str(cx, lt, FK(FK_LT_STOP_SIGNAL), &sig) && strcmp(sig, "SIGTERM") != 0)
        export_note(cx, export_key(lt, FK(FK_LT_STOP_SIGNAL)), "launch_templates.%s.stop_signal: "
                    "Kubernetes sends SIGTERM; set STOPSIGNAL %s in the image", ltname, sig);
    if ((k = export_key(lt, FK(FK_LT_USER))))
        export_note(cx, k, "launch_templates.%s.user: a pod runs as a numeric uid "
                    "(securityContext.runAsUser); set it for the image's user", ltname);
    if ((k = export_key(lt, FK(FK_LT_ENV_FILE))))
        export_note(cx, k, "launch_templates.%s.env_file: make it a ConfigMap or Secret and "
                    "add envFrom", ltname);
    if ((k = export_key(lt, FK(FK_LT_INHERIT_ENV))))
        export_note(cx, k, "launch_templates.%s.inherit_env: a pod inherits no environment",
                    ltname);
    if (hc && (k = export_key(hc, EK(EK_HC_MATCHER))))
        export_note(cx, k, "target_groups.%s.health_check.matcher: a probe passes on 200-399, "
                    "whatever the matcher", tgname);

    /* The autoscaler: target tracking on CPU is the HPA's Utilization target. */
    bool cpu_metric = false, no_scale_in = false;
    const char *cpu_target = NULL;
    for (unsigned i = 0; pols && pols->kind == CONF_SEQ && i < pols->n; i++) {
        const struct conf_node *tt = export_get(pols->items[i], FK(FK_ASG_POLICY_TT));
        const char *metric = export_word(cx, tt, FK(FK_ASG_TT_METRIC));
        if (metric && strcmp(metric, "cpu_utilization") == 0 && !cpu_metric) {
            cpu_metric = true;
            cpu_target = export_num(tt, FK(FK_ASG_TT_TARGET));
            no_scale_in = export_bool(cx, tt, FK(FK_ASG_TT_NO_SCALE_IN), false);
        } else if (tt) {
            export_note(cx, pols->items[i], "auto_scaling_groups.%s.scaling_policies[%u]: the "
                        "HPA scales on %s only through a custom metrics adapter", name, i,
                        metric ? metric : "it");
        }
    }
    if (cpu_metric) {
        doc_start(cx, f, "autoscaling/v2", "HorizontalPodAutoscaler", id);
        fprintf(f, "spec:\n  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: "
                   "\"%s\" }\n  minReplicas: %" PRIu64 "\n  maxReplicas: %" PRIu64 "\n"
                   "  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n"
                   "        target: { type: Utilization, averageUtilization: %d }\n",
                id, min ? min : 1, max ? max : 1, cpu_target ? atoi(cpu_target) : 50);
        if (no_scale_in)
            fputs("  behavior:\n    scaleDown:\n      selectPolicy: Disabled\n", f);
        if (min == 0)
            export_note(cx, export_key(g, FK(FK_ASG_MIN_SIZE)), "auto_scaling_groups.%s.min_size: "
                        "an HPA keeps at least 1 replica", name);
    }

    doc_start(cx, f, "policy/v1", "PodDisruptionBudget", id);
    fprintf(f, "spec:\n  minAvailable: \"%" PRIu64 "%%\"\n  selector:\n    matchLabels: { %s: "
               "\"%s\" }\n", minh > 100 ? 100 : minh, NAME_LABEL, id);

    /* Only the application port is open; Ingress controllers reach it there. */
    doc_start(cx, f, "networking.k8s.io/v1", "NetworkPolicy", id);
    fprintf(f, "spec:\n  podSelector:\n    matchLabels: { %s: \"%s\" }\n  policyTypes: [Ingress]\n"
               "  ingress:\n    - ports:\n        - { port: %d, protocol: TCP }\n",
            NAME_LABEL, id, APP_PORT);
}

static void
write_service(struct export_ctx *cx, FILE *f, const char *name, const struct conf_node *tg)
{
    const struct conf_node *st = export_get(tg, EK(EK_TG_STICKINESS));
    const struct conf_node *k;
    const char *alg;
    char id[ID];

    export_k8s_id(name, id, sizeof(id));
    doc_start(cx, f, "v1", "Service", id);
    fprintf(f, "spec:\n  type: ClusterIP\n  selector: { %s: \"%s\" }\n"
               "  ports:\n    - { name: http, port: 80, targetPort: http, protocol: TCP }\n",
            TG_LABEL, id);
    if (st && export_bool(cx, st, EK(EK_ST_ENABLED), false)) {
        uint64_t d = 86400000;
        export_ms(cx, st, EK(EK_ST_DURATION), &d);
        if (d > 86400000)
            d = 86400000;
        fprintf(f, "  sessionAffinity: ClientIP\n  sessionAffinityConfig:\n"
                   "    clientIP: { timeoutSeconds: %" PRIu64 " }\n", d / 1000);
        export_note(cx, export_key(tg, EK(EK_TG_STICKINESS)), "target_groups.%s.stickiness: a "
                    "Service sticks by client address, not by cookie (at most 1 day)", name);
    }
    alg = export_word(cx, tg, EK(EK_TG_ALGORITHM));
    if ((k = export_key(tg, EK(EK_TG_ALGORITHM))) && alg && strcmp(alg, "round_robin") != 0)
        export_note(cx, k, "target_groups.%s.algorithm: %s is the Ingress controller's to choose "
                    "(kube-proxy spreads at random)", name, alg);
    if ((k = export_key(tg, EK(EK_TG_SLOW_START))))
        export_note(cx, k, "target_groups.%s.slow_start: no Service equivalent", name);
    if ((k = export_key(tg, EK(EK_TG_TARGETS))))
        export_note(cx, k, "target_groups.%s.targets: fixed addresses are this host's; use a "
                    "Service without selector and an EndpointSlice", name);
}

/* An Ingress path for a rule: its path prefix, or "/". */
static void
ingress_path(struct export_ctx *cx, FILE *f, const struct conf_node *m, const char *tg,
             const char *ind)
{
    const char *prefix = "/";
    char id[ID];

    export_str(cx, m, EK(EK_M_PATH_PREFIX), &prefix);
    fprintf(f, "%s- path: ", ind);
    export_yaml_str(f, prefix);
    fprintf(f, "\n%s  pathType: Prefix\n%s  backend:\n%s    service: { name: \"%s\", port: "
               "{ number: 80 } }\n", ind, ind, ind, export_k8s_id(tg, id, sizeof(id)));
}

/* A forward rule an Ingress can express: no method or header condition. */
static bool
ingress_rule_ok(struct export_ctx *cx, const struct conf_node *r)
{
    const struct conf_node *m = export_get(r, EK(EK_R_MATCH));
    const char *fw;

    return export_str(cx, r, EK(EK_R_FORWARD), &fw) &&
           !(m && (export_get(m, EK(EK_M_METHOD)) || export_get(m, EK(EK_M_HEADER))));
}

/* A rule the Ingress writes as a path: with match, forward, and nothing an Ingress cannot
 * match on. Sets its match, host (NULL: any) and target group. */
static bool
ingress_forward(struct export_ctx *cx, const struct conf_node *r, const struct conf_node **m,
                const char **host, const char **fw)
{
    *m = export_get(r, EK(EK_R_MATCH));
    *host = NULL;
    if (!*m || !ingress_rule_ok(cx, r) || !export_str(cx, r, EK(EK_R_FORWARD), fw))
        return false;
    export_str(cx, *m, EK(EK_M_HOST), host);
    return true;
}

static bool
same_host(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void
write_ingress(struct export_ctx *cx, FILE *f, const struct conf_node *l)
{
    const struct conf_node *rules = export_get(l, EK(EK_L_RULES));
    const struct conf_node *tls = export_get(l, EK(EK_L_TLS));
    const char *name = "listener", *deftg = NULL;
    char id[ID];
    bool any = false;

    export_str(cx, l, EK(EK_L_NAME), &name);
    export_k8s_id(name, id, sizeof(id));
    for (unsigned i = 0; rules && i < rules->n; i++) {
        const struct conf_node *r = rules->items[i];
        const struct conf_node *m = export_get(r, EK(EK_R_MATCH)), *k;
        const char *fw = NULL;
        if ((k = export_key(r, EK(EK_R_STATIC))))
            export_note(cx, k, "listeners.%s.rules[%u].static: an Ingress serves no files; "
                        "serve them from a bucket or CDN, or a web server Deployment", name, i);
        if ((k = export_key(r, EK(EK_R_REDIRECT))))
            export_note(cx, k, "listeners.%s.rules[%u].redirect: redirects are the Ingress "
                        "controller's (annotations) or the Gateway API's RequestRedirect", name,
                        i);
        if (m && ((k = export_key(m, EK(EK_M_METHOD))) || (k = export_key(m, EK(EK_M_HEADER)))))
            export_note(cx, k, "listeners.%s.rules[%u]: an Ingress matches host and path only; "
                        "the rule is not written (without its conditions it would take more)",
                        name, i);
        if (!ingress_rule_ok(cx, r) || !export_str(cx, r, EK(EK_R_FORWARD), &fw))
            continue;
        if (!m)
            deftg = fw;
        else
            any = true;
    }
    doc_start(cx, f, "networking.k8s.io/v1", "Ingress", id);
    fputs("spec:\n", f);
    if (deftg)
        fprintf(f, "  defaultBackend:\n    service: { name: \"%s\", port: { number: 80 } }\n",
                export_k8s_id(deftg, id, sizeof(id)));
    if (tls) {
        const struct conf_node *acme = export_get(tls, EK(EK_TLS_ACME));
        const struct conf_node *doms = export_get(acme, EK(EK_ACME_DOMAINS));
        fputs("  tls:\n    - secretName: ", f);
        char sec[ID + 8];
        snprintf(sec, sizeof(sec), "%s-tls", export_k8s_id(name, id, sizeof(id)));
        export_yaml_str(f, sec);
        fputc('\n', f);
        if (doms && doms->kind == CONF_SEQ && doms->n) {
            fputs("      hosts:\n", f);
            for (unsigned i = 0; i < doms->n; i++) {
                fputs("        - ", f);
                export_yaml_str(f, doms->items[i]->str ? doms->items[i]->str : "");
                fputc('\n', f);
            }
        }
        export_note(cx, export_key(l, EK(EK_L_TLS)), "listeners.%s.tls: the certificate is the "
                    "Secret %s (kubectl create secret tls, or cert-manager for ACME)", name, sec);
    }
    if (!any)
        return;
    fputs("  rules:\n", f);
    /* One Ingress rule per distinct host (absent: any host), its paths in file order. */
    for (unsigned i = 0; rules && i < rules->n; i++) {
        const struct conf_node *m, *mj;
        const char *host, *fw, *hj, *fj;
        bool seen = false;
        if (!ingress_forward(cx, rules->items[i], &m, &host, &fw))
            continue;
        for (unsigned j = 0; j < i && !seen; j++)
            seen = ingress_forward(cx, rules->items[j], &mj, &hj, &fj) && same_host(hj, host);
        if (seen)
            continue;
        fputs("    - ", f);
        if (host) {
            fputs("host: ", f);
            export_yaml_str(f, host);
            fputs("\n      ", f);
        }
        fputs("http:\n        paths:\n", f);
        for (unsigned j = i; j < rules->n; j++)
            if (ingress_forward(cx, rules->items[j], &mj, &hj, &fj) && same_host(hj, host))
                ingress_path(cx, f, mj, fj, "          ");
    }
}

/* "03:00-03:30" -> minute and hour of the start. */
static void
window_start(const char *w, unsigned *h, unsigned *m)
{
    *h = 3;
    *m = 0;
    if (w && strlen(w) >= 5) {
        *h = (unsigned)atoi(w) % 24;
        *m = (unsigned)atoi(w + 3) % 60;
    }
}

static void
write_db(struct export_ctx *cx, FILE *f, const char *name, const struct conf_node *db)
{
    const struct conf_node *bk = export_get(db, XK(XK_BACKUP));
    const char *win = NULL, *mode = export_word(cx, db, XK(XK_MODE));
    uint64_t ret = 7 * 86400000ULL;
    unsigned h, m;
    char id[ID];

    export_k8s_id(name, id, sizeof(id));
    if (mode && strcmp(mode, "external") == 0)
        return;
    export_note(cx, export_key(db, XK(XK_ENGINE)) ? export_key(db, XK(XK_ENGINE)) : NULL,
                "databases.%s: not a workload here; run MariaDB with an operator or a managed "
                "service behind a Service \"%s\" with pods labelled %s=%s", name, id, NAME_LABEL,
                id);
    /* Only the stack's applications reach the database. */
    doc_start(cx, f, "networking.k8s.io/v1", "NetworkPolicy", id);
    fprintf(f, "spec:\n  podSelector:\n    matchLabels: { %s: \"%s\" }\n  policyTypes: [Ingress]\n"
               "  ingress:\n    - from:\n        - podSelector:\n            matchLabels: { %s: "
               "\"%s\" }\n      ports:\n        - { port: 3306, protocol: TCP }\n",
            NAME_LABEL, id, PART_LABEL, cx->name);
    if (!bk)
        return;
    export_str(cx, bk, XK(XK_BK_WINDOW), &win);
    export_ms(cx, bk, XK(XK_BK_RETENTION), &ret);
    window_start(win, &h, &m);
    doc_start(cx, f, "v1", "PersistentVolumeClaim", id);
    fputs("spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests: { storage: 20Gi }\n",
          f);
    /* A logical dump each day at the window's start, kept `retention` days. */
    doc_start(cx, f, "batch/v1", "CronJob", id);
    fprintf(f, "spec:\n  schedule: \"%u %u * * *\"\n  timeZone: Etc/UTC\n"
               "  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n      backoffLimit: 2\n"
               "      template:\n        metadata:\n          labels:\n            %s: \"%s\"\n"
               "        spec:\n          restartPolicy: OnFailure\n          containers:\n"
               "            - name: backup\n              image: \"mariadb:11.4\"\n"
               "              command: [sh, -c]\n              args:\n                - ",
            m, h, PART_LABEL, cx->name);
    char script[512];
    snprintf(script, sizeof(script),
             "mariadb-dump -h %s --all-databases --single-transaction | gzip > "
             "/backup/%s-$(date +%%Y%%m%%d-%%H%%M).sql.gz && find /backup -name '*.sql.gz' "
             "-mtime +%" PRIu64 " -delete", id, id, ret / 86400000);
    export_yaml_str(f, script);
    fprintf(f, "\n              env:\n                - name: MYSQL_PWD\n                  valueFrom:\n"
               "                    secretKeyRef: { name: \"%s-backup\", key: password }\n"
               "              volumeMounts:\n                - { name: backup, mountPath: /backup }\n"
               "          volumes:\n            - name: backup\n              persistentVolumeClaim:"
               " { claimName: \"%s\" }\n", id, id);
    export_note(cx, export_key(bk, XK(XK_BK_REPOSITORY)), "databases.%s.backup: a daily logical "
                "dump to a volume (Secret %s-backup holds the password); no binlog point-in-time "
                "recovery and no verify", name, id);
}

int
k8s_export(struct export_ctx *cx)
{
    const struct conf_node *gs = export_section(cx, FK(FK_GROUPS));
    const struct conf_node *tgs = export_section(cx, EK(EK_TGS));
    const struct conf_node *ls = export_section(cx, EK(EK_LISTENERS));
    const struct conf_node *dbs = export_section(cx, XK(XK_DATABASES));
    const struct conf_node *k;
    FILE *f = export_out(cx, "stack.yaml");

    fprintf(f, "# Generated by `tierd export kubernetes %s`: kubectl apply -f this file.\n"
               "# Fill in the images (REPLACE-with-...) and the Secrets listed in docs/export.md.\n",
            cx->stack);
    for (unsigned i = 0; tgs && tgs->kind == CONF_MAP && i < tgs->n; i++)
        write_service(cx, f, tgs->pairs[i].key->str, tgs->pairs[i].value);
    for (unsigned i = 0; gs && gs->kind == CONF_MAP && i < gs->n; i++)
        write_group(cx, f, gs->pairs[i].key->str, gs->pairs[i].value);
    for (unsigned i = 0; ls && ls->kind == CONF_SEQ && i < ls->n; i++)
        write_ingress(cx, f, ls->items[i]);
    for (unsigned i = 0; dbs && dbs->kind == CONF_MAP && i < dbs->n; i++)
        write_db(cx, f, dbs->pairs[i].key->str, dbs->pairs[i].value);
    if ((k = export_key(cx->root, SK(SK_SHIELD))))
        export_note(cx, k, "shield: Kubernetes has no request filter; the Ingress controller's "
                    "rate limits and a WAF in front of it are the nearest");
    if ((k = export_key(cx->root, WK(WK_ALARMS))))
        export_note(cx, k, "alarms: Prometheus alerting rules (PrometheusRule) are the nearest; "
                    "not written");
    if ((k = export_key(cx->root, WK(WK_TOPICS))))
        export_note(cx, k, "topics: Alertmanager receivers are the nearest; not written");
    fprintf(f, "\n# Not mapped (%u):\n", cx->nnotes);
    for (unsigned i = 0; i < cx->nnotes; i++)
        fprintf(f, "#   %s\n", cx->notes[i]);
    return 0;
}
