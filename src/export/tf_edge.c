/*
 * export/tf_edge.c: listeners, rules and target groups as an Application Load Balancer
 * (aws_lb, aws_lb_listener, aws_lb_listener_rule, aws_lb_target_group), the two security
 * groups (the load balancer's, the instances'), and static rules as an S3 bucket behind
 * CloudFront: an ALB cannot serve files, so a listener with static rules gets a
 * distribution whose default origin is the load balancer and whose path behaviours are
 * the buckets. Writes edge.tf and static.tf.
 */
#include "export/internal.h"

#include <inttypes.h>
#include <string.h>

#define ID 64

/* ALB's path_pattern for a prefix: "/api/" becomes "/api/" and a star. */
static void
path_pattern(FILE *f, const char *prefix)
{
    char buf[1100];

    snprintf(buf, sizeof(buf), "%s*", prefix);
    export_hcl_str(f, buf);
}

static void
write_redirect(struct export_ctx *cx, FILE *f, const struct conf_node *rd, const char *ind)
{
    const struct conf_key *parts[] = { EK(EK_RD_SCHEME), EK(EK_RD_HOST), EK(EK_RD_PORT),
                                       EK(EK_RD_PATH), EK(EK_RD_QUERY) };
    /* ALB's names for the parts, in the same order. */
    const char *alb[] = { "protocol", "host", "port", "path", "query" };
    uint64_t status = 301;
    const char *s;

    fprintf(f, "%sredirect {\n", ind);
    for (unsigned i = 0; i < 5; i++) {
        if (!export_str(cx, rd, parts[i], &s))
            continue;
        /* tierd writes the scheme in lower case; ALB wants HTTP or HTTPS. */
        char up[24];
        if (i == 0 && s[0] != '#') {
            size_t n = 0;
            for (; s[n] && n + 1 < sizeof(up); n++)
                up[n] = (char)(s[n] >= 'a' && s[n] <= 'z' ? s[n] - 32 : s[n]);
            up[n] = '\0';
            s = up;
        }
        fprintf(f, "%s  %-8s = ", ind, alb[i]);
        export_hcl_str(f, s);
        fputc('\n', f);
    }
    export_uint(cx, rd, EK(EK_RD_STATUS), &status);
    fprintf(f, "%s  status_code = \"HTTP_%" PRIu64 "\"\n%s}\n", ind, status, ind);
}

/* The action of a rule; static rules are CloudFront's (their rule on the ALB forwards to
 * the default, which CloudFront never sends there). Returns false for static. */
static bool
write_action(struct export_ctx *cx, FILE *f, const struct conf_node *r, const char *block)
{
    const struct conf_node *fw = export_get(r, EK(EK_R_FORWARD));
    const struct conf_node *rd = export_get(r, EK(EK_R_REDIRECT));
    char id[ID];

    if (fw && fw->str) {
        fprintf(f, "  %s {\n    type             = \"forward\"\n"
                   "    target_group_arn = aws_lb_target_group.%s.arn\n  }\n", block,
                export_tf_id(fw->str, id, sizeof(id)));
        return true;
    }
    if (rd) {
        fprintf(f, "  %s {\n    type = \"redirect\"\n", block);
        write_redirect(cx, f, rd, "    ");
        fputs("  }\n", f);
        return true;
    }
    return false;
}

static void
write_conditions(struct export_ctx *cx, FILE *f, const struct conf_node *m)
{
    const struct conf_node *v;

    if ((v = export_get(m, EK(EK_M_PATH_PREFIX))) && v->str) {
        fputs("  condition {\n    path_pattern {\n      values = [", f);
        path_pattern(f, v->str);
        fputs("]\n    }\n  }\n", f);
    }
    if ((v = export_get(m, EK(EK_M_HOST))) && v->str) {
        fputs("  condition {\n    host_header {\n      values = [", f);
        export_hcl_str(f, v->str);
        fputs("]\n    }\n  }\n", f);
    }
    if ((v = export_get(m, EK(EK_M_METHOD))) && v->str) {
        fputs("  condition {\n    http_request_method {\n      values = [", f);
        export_hcl_str(f, v->str);
        fputs("]\n    }\n  }\n", f);
    }
    if ((v = export_get(m, EK(EK_M_HEADER)))) {
        const char *name = NULL, *value = NULL;
        export_str(cx, v, EK(EK_M_HEADER_NAME), &name);
        export_str(cx, v, EK(EK_M_HEADER_VALUE), &value);
        if (name && value) {
            fputs("  condition {\n    http_header {\n      http_header_name = ", f);
            export_hcl_str(f, name);
            fputs("\n      values           = [", f);
            export_hcl_str(f, value);
            fputs("]\n    }\n  }\n", f);
        }
    }
}

/* Mozilla intermediate is TLS 1.2+; ALB's TLS13-1-2 policy is the closest named policy. */
static const char *
ssl_policy(struct export_ctx *cx, const struct conf_node *tls)
{
    const char *v = export_word(cx, tls, EK(EK_TLS_MIN_VERSION));

    if (v && strcmp(v, "1.3") == 0)
        return "ELBSecurityPolicy-TLS13-1-3-2021-06";
    return "ELBSecurityPolicy-TLS13-1-2-2021-06";
}

static void
note_tls(struct export_ctx *cx, const struct conf_node *tls)
{
    const struct conf_node *certs = export_get(tls, EK(EK_TLS_CERTS));
    const struct conf_node *k;

    if (certs && certs->kind == CONF_SEQ && certs->n > 0 && !export_get(tls, EK(EK_TLS_ACME)))
        export_note(cx, export_key(tls, EK(EK_TLS_CERTS)), "%s: certificate files are not "
                    "uploaded; import them into ACM and set the certificate_arn variable%s",
                    EK(EK_TLS_CERTS)->path, certs->n > 1 ? " (the others: add them as "
                    "aws_lb_listener_certificate)" : "");
    else if (certs && certs->kind == CONF_SEQ && certs->n > 0)
        export_note(cx, export_key(tls, EK(EK_TLS_CERTS)), "%s: the listener takes the ACM "
                    "certificate of acme; these files are not uploaded", EK(EK_TLS_CERTS)->path);
    if ((k = export_key(tls, EK(EK_TLS_ACME))))
        export_note(cx, k, "%s: an ACM certificate for the same domains replaces ACME; it is "
                    "validated by DNS (create the records of output acm_validation_*; apply "
                    "waits until it is issued), not by http-01", EK(EK_TLS_ACME)->path);
    if ((k = export_key(tls, EK(EK_TLS_CIPHERS))) || (k = export_key(tls, EK(EK_TLS_CIPHERSUITES))))
        export_note(cx, k, "%s: ALB takes a named security policy, not a cipher list; "
                    "ssl_policy is the closest to the minimum version", k->path);
    if ((k = export_key(tls, EK(EK_TLS_ALPN))))
        export_note(cx, k, "%s: ALB negotiates h2 and http/1.1 itself", EK(EK_TLS_ALPN)->path);
}

/* acme's domains as an ACM certificate validated by DNS; the listener waits for it. */
static void
write_acm(struct export_ctx *cx, FILE *f, const char *lid, const struct conf_node *acme)
{
    const struct conf_node *doms = export_get(acme, EK(EK_ACME_DOMAINS));

    if (!doms || doms->kind != CONF_SEQ || doms->n == 0)
        return;
    fprintf(f, "resource \"aws_acm_certificate\" \"%s\" {\n  domain_name               = ", lid);
    export_hcl_str(f, doms->items[0]->str ? doms->items[0]->str : "");
    fputs("\n  subject_alternative_names = [", f);
    for (unsigned i = 1; i < doms->n; i++) {
        fputs(i > 1 ? ", " : "", f);
        export_hcl_str(f, doms->items[i]->str ? doms->items[i]->str : "");
    }
    fprintf(f, "]\n  validation_method         = \"DNS\"\n"
               "  lifecycle {\n    create_before_destroy = true\n  }\n}\n\n"
               "resource \"aws_acm_certificate_validation\" \"%s\" {\n"
               "  certificate_arn = aws_acm_certificate.%s.arn\n}\n\n"
               "output \"acm_validation_%s\" {\n"
               "  description = \"The DNS records that validate listener %s's certificate\"\n"
               "  value       = aws_acm_certificate.%s.domain_validation_options\n}\n\n",
            lid, lid, lid, lid, lid);
}

/* hsts as the ALB's own Strict-Transport-Security response header. */
static void
write_hsts(struct export_ctx *cx, FILE *f, const struct conf_node *hsts)
{
    uint64_t age_ms = 365ull * 86400000;

    if (!hsts)
        return;
    export_ms(cx, hsts, EK(EK_HSTS_MAX_AGE), &age_ms);
    fprintf(f, "  routing_http_response_strict_transport_security_header_value = "
               "\"max-age=%" PRIu64 "%s%s\"\n", age_ms / 1000,
            export_bool(cx, hsts, EK(EK_HSTS_INCLUDE_SUB), false) ? "; includeSubDomains" : "",
            export_bool(cx, hsts, EK(EK_HSTS_PRELOAD), false) ? "; preload" : "");
}

struct static_rule {
    const struct conf_node *rule, *st, *prefix;
    unsigned listener, index;
};

static void
write_static(struct export_ctx *cx, const struct conf_node *ls, const struct static_rule *sr,
             unsigned n)
{
    FILE *f;
    char lid[ID], bid[ID + 16];

    if (n == 0)
        return;
    f = export_out(cx, "static.tf");
    fputs("# Static rules: an ALB cannot serve files, so they are S3 buckets behind CloudFront,\n"
          "# whose default origin is the load balancer. Upload each root with the command in\n"
          "# the output static_sync (tierd serves /p/x from ROOT/p/x; S3 keys are the same).\n\n",
          f);
    for (unsigned i = 0; i < n; i++) {
        const char *root = NULL;
        uint64_t age_ms = 0;
        export_str(cx, sr[i].st, EK(EK_S_ROOT), &root);
        export_ms(cx, sr[i].st, EK(EK_S_CACHE_MAX_AGE), &age_ms);
        snprintf(bid, sizeof(bid), "static_%u_%u", sr[i].listener, sr[i].index);
        fprintf(f, "resource \"aws_s3_bucket\" \"%s\" {\n"
                   "  bucket_prefix = \"${var.name}-static-\"\n"
                   "  force_destroy = false\n"
                   "}\n\n", bid);
        fprintf(f, "resource \"aws_s3_bucket_public_access_block\" \"%s\" {\n"
                   "  bucket                  = aws_s3_bucket.%s.id\n"
                   "  block_public_acls       = true\n"
                   "  block_public_policy     = true\n"
                   "  ignore_public_acls      = true\n"
                   "  restrict_public_buckets = true\n"
                   "}\n\n", bid, bid);
        fprintf(f, "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"%s\" {\n"
                   "  bucket = aws_s3_bucket.%s.id\n"
                   "  rule {\n"
                   "    apply_server_side_encryption_by_default {\n"
                   "      sse_algorithm = \"AES256\"\n"
                   "    }\n"
                   "  }\n"
                   "}\n\n", bid, bid);
        fprintf(f, "resource \"aws_s3_bucket_policy\" \"%s\" {\n"
                   "  bucket = aws_s3_bucket.%s.id\n"
                   "  policy = jsonencode({\n"
                   "    Version = \"2012-10-17\"\n"
                   "    Statement = [{\n"
                   "      Effect    = \"Allow\"\n"
                   "      Principal = { Service = \"cloudfront.amazonaws.com\" }\n"
                   "      Action    = \"s3:GetObject\"\n"
                   "      Resource  = \"${aws_s3_bucket.%s.arn}/*\"\n"
                   "      Condition = { StringEquals = { \"AWS:SourceArn\" = "
                   "aws_cloudfront_distribution.l%u.arn } }\n"
                   "    }]\n"
                   "  })\n"
                   "}\n\n", bid, bid, bid, sr[i].listener);
        fprintf(f, "output \"static_sync_%u_%u\" {\n"
                   "  description = \"Uploads the static root of rule %u\"\n"
                   "  value       = \"aws s3 sync ", sr[i].listener, sr[i].index,
                sr[i].index + 1);
        fprintf(f, "%s ${aws_s3_bucket.%s.bucket} --cache-control max-age=%" PRIu64 "\"\n}\n\n",
                root ? root : ".", bid, age_ms / 1000);
    }
    fputs("resource \"aws_cloudfront_origin_access_control\" \"static\" {\n"
          "  name                              = \"${var.name}-static\"\n"
          "  origin_access_control_origin_type = \"s3\"\n"
          "  signing_behavior                  = \"always\"\n"
          "  signing_protocol                  = \"sigv4\"\n"
          "}\n\n", f);
    /* One distribution per listener that has static rules. */
    for (unsigned i = 0; i < n; i++) {
        if (i > 0 && sr[i - 1].listener == sr[i].listener)
            continue;
        const struct conf_node *l = ls->items[sr[i].listener];
        const char *name = NULL;
        export_str(cx, l, EK(EK_L_NAME), &name);
        export_tf_id(name ? name : "listener", lid, sizeof(lid));
        bool tls = export_get(l, EK(EK_L_TLS)) != NULL;
        fprintf(f, "resource \"aws_cloudfront_distribution\" \"l%u\" {\n"
                   "  enabled = true\n"
                   "  comment = \"${var.name} listener %s\"\n"
                   "  origin {\n"
                   "    origin_id   = \"alb\"\n"
                   "    domain_name = aws_lb.main.dns_name\n"
                   "    custom_origin_config {\n"
                   "      http_port              = %u\n"
                   "      https_port             = %u\n"
                   "      origin_protocol_policy = \"%s\"\n"
                   "      origin_ssl_protocols   = [\"TLSv1.2\"]\n"
                   "    }\n"
                   "  }\n", sr[i].listener, lid, tls ? 80 : export_port(export_get(l, EK(EK_L_ADDRESS))->str),
                tls ? export_port(export_get(l, EK(EK_L_ADDRESS))->str) : 443,
                tls ? "https-only" : "http-only");
        for (unsigned j = i; j < n && sr[j].listener == sr[i].listener; j++)
            fprintf(f, "  origin {\n"
                       "    origin_id                = \"static_%u_%u\"\n"
                       "    domain_name              = aws_s3_bucket.static_%u_%u.bucket_regional_domain_name\n"
                       "    origin_access_control_id = aws_cloudfront_origin_access_control.static.id\n"
                       "  }\n", sr[j].listener, sr[j].index, sr[j].listener, sr[j].index);
        /* AWS's managed policies: CachingDisabled and AllViewer for the load balancer,
         * CachingOptimized (honours the objects' Cache-Control) for the buckets. */
        fputs("  default_cache_behavior {\n"
              "    target_origin_id         = \"alb\"\n"
              "    viewer_protocol_policy   = \"allow-all\"\n"
              "    allowed_methods          = [\"DELETE\", \"GET\", \"HEAD\", \"OPTIONS\", \"PATCH\", \"POST\", \"PUT\"]\n"
              "    cached_methods           = [\"GET\", \"HEAD\"]\n"
              "    cache_policy_id          = \"4135ea2d-6df8-44a3-9df3-4b5a84be39ad\"\n"
              "    origin_request_policy_id = \"216adef6-5c7f-47e4-b989-5492eafa07d3\"\n"
              "  }\n", f);
        for (unsigned j = i; j < n && sr[j].listener == sr[i].listener; j++) {
            fputs("  ordered_cache_behavior {\n    path_pattern           = ", f);
            path_pattern(f, sr[j].prefix && sr[j].prefix->str ? sr[j].prefix->str : "/");
            fprintf(f, "\n    target_origin_id       = \"static_%u_%u\"\n"
                       "    viewer_protocol_policy = \"allow-all\"\n"
                       "    allowed_methods        = [\"GET\", \"HEAD\"]\n"
                       "    cached_methods         = [\"GET\", \"HEAD\"]\n"
                       "    cache_policy_id        = \"658327ea-f89d-4fab-a63d-7e88639e58f6\"\n"
                       "  }\n", sr[j].listener, sr[j].index);
        }
        fputs("  restrictions {\n    geo_restriction {\n      restriction_type = \"none\"\n"
              "    }\n  }\n"
              "  viewer_certificate {\n    cloudfront_default_certificate = true\n  }\n}\n\n",
              f);
    }
}

static void
write_listeners(struct export_ctx *cx, FILE *f, const struct conf_node *ls)
{
    struct static_rule sr[64];
    unsigned nsr = 0;
    char lid[ID];

    for (unsigned i = 0; i < ls->n; i++) {
        const struct conf_node *l = ls->items[i];
        const struct conf_node *rules = export_get(l, EK(EK_L_RULES));
        const struct conf_node *tls = export_get(l, EK(EK_L_TLS));
        const char *name = "listener", *addr = NULL;
        unsigned port;

        export_str(cx, l, EK(EK_L_NAME), &name);
        export_str(cx, l, EK(EK_L_ADDRESS), &addr);
        export_tf_id(name, lid, sizeof(lid));
        port = export_port(addr);
        const struct conf_node *acme = tls ? export_get(tls, EK(EK_TLS_ACME)) : NULL;
        if (acme)
            write_acm(cx, f, lid, acme);
        else if (tls) {
            FILE *v = export_out(cx, "variables.tf");
            fprintf(v, "\nvariable \"certificate_arn_%s\" {\n"
                       "  description = \"ACM certificate for listener %s (HTTPS)\"\n"
                       "  type        = string\n"
                       "}\n", lid, name);
        }
        if (tls)
            note_tls(cx, tls);
        fprintf(f, "resource \"aws_lb_listener\" \"%s\" {\n"
                   "  load_balancer_arn = aws_lb.main.arn\n"
                   "  port              = %u\n"
                   "  protocol          = \"%s\"\n", lid, port, tls ? "HTTPS" : "HTTP");
        if (tls && acme)
            fprintf(f, "  ssl_policy        = \"%s\"\n"
                       "  certificate_arn   = aws_acm_certificate_validation.%s.certificate_arn\n",
                    ssl_policy(cx, tls), lid);
        else if (tls)
            fprintf(f, "  ssl_policy        = \"%s\"\n"
                       "  certificate_arn   = var.certificate_arn_%s\n", ssl_policy(cx, tls), lid);
        if (tls)
            write_hsts(cx, f, export_get(tls, EK(EK_TLS_HSTS)));
        /* The default action: the rule without match (validation keeps it last). */
        const struct conf_node *last = rules && rules->n ? rules->items[rules->n - 1] : NULL;
        bool has_default = last && !export_get(last, EK(EK_R_MATCH));
        if (!has_default || !write_action(cx, f, last, "default_action"))
            fputs("  default_action {\n    type = \"fixed_response\"\n"
                  "    fixed_response {\n      content_type = \"text/plain\"\n"
                  "      message_body = \"Not Found\"\n      status_code  = \"404\"\n"
                  "    }\n  }\n", f);
        fputs("}\n\n", f);
        for (unsigned j = 0; rules && j < rules->n; j++) {
            const struct conf_node *r = rules->items[j];
            const struct conf_node *m = export_get(r, EK(EK_R_MATCH));
            const struct conf_node *st = export_get(r, EK(EK_R_STATIC));
            if (st) {
                if (nsr < sizeof(sr) / sizeof(sr[0]))
                    sr[nsr++] = (struct static_rule){ r, st,
                                                      export_get(m, EK(EK_M_PATH_PREFIX)), i, j };
                if (m && (export_get(m, EK(EK_M_HOST)) || export_get(m, EK(EK_M_METHOD)) ||
                          export_get(m, EK(EK_M_HEADER))))
                    export_note(cx, m, "%s: CloudFront routes to the bucket by path only; "
                                "the rule's host, method and header conditions are dropped",
                                EK(EK_R_MATCH)->path);
                continue;
            }
            if (!m)
                continue;       /* the default action, above */
            fprintf(f, "resource \"aws_lb_listener_rule\" \"%s_%u\" {\n"
                       "  listener_arn = aws_lb_listener.%s.arn\n"
                       "  priority     = %u\n", lid, j + 1, lid, (j + 1) * 10);
            write_action(cx, f, r, "action");
            write_conditions(cx, f, m);
            fputs("}\n\n", f);
        }
    }
    write_static(cx, ls, sr, nsr);
}

static void
write_security_groups(struct export_ctx *cx, FILE *f, const struct conf_node *ls)
{
    fputs("resource \"aws_security_group\" \"lb\" {\n"
          "  name_prefix = \"${var.name}-lb-\"\n"
          "  description = \"tierd listeners\"\n"
          "  vpc_id      = var.vpc_id\n", f);
    for (unsigned i = 0; i < ls->n; i++) {
        const char *addr = NULL;
        export_str(cx, ls->items[i], EK(EK_L_ADDRESS), &addr);
        unsigned port = export_port(addr);
        fprintf(f, "  ingress {\n"
                   "    from_port        = %u\n"
                   "    to_port          = %u\n"
                   "    protocol         = \"tcp\"\n"
                   "    cidr_blocks      = [\"0.0.0.0/0\"]\n"
                   "    ipv6_cidr_blocks = [\"::/0\"]\n"
                   "  }\n", port, port);
    }
    fputs("  egress {\n"
          "    from_port   = 0\n"
          "    to_port     = 0\n"
          "    protocol    = \"-1\"\n"
          "    cidr_blocks = [\"0.0.0.0/0\"]\n"
          "  }\n"
          "}\n\n"
          "resource \"aws_security_group\" \"app\" {\n"
          "  name_prefix = \"${var.name}-app-\"\n"
          "  description = \"tierd instances: the application port, from the load balancer\"\n"
          "  vpc_id      = var.vpc_id\n"
          "  ingress {\n"
          "    from_port       = var.app_port\n"
          "    to_port         = var.app_port\n"
          "    protocol        = \"tcp\"\n"
          "    security_groups = [aws_security_group.lb.id]\n"
          "  }\n"
          "  egress {\n"
          "    from_port   = 0\n"
          "    to_port     = 0\n"
          "    protocol    = \"-1\"\n"
          "    cidr_blocks = [\"0.0.0.0/0\"]\n"
          "  }\n"
          "}\n\n", f);
}

static void
write_target_groups(struct export_ctx *cx, FILE *f, const struct conf_node *tgs)
{
    char id[ID];

    for (unsigned i = 0; tgs && i < tgs->n; i++) {
        const char *name = tgs->pairs[i].key->str;
        const struct conf_node *tg = tgs->pairs[i].value;
        const struct conf_node *hc = export_get(tg, EK(EK_TG_HC));
        const struct conf_node *st = export_get(tg, EK(EK_TG_STICKINESS));
        const struct conf_node *k;
        uint64_t dereg = 0, slow = 0, v;
        const char *s;

        export_ms(cx, tg, EK(EK_TG_DEREG_DELAY), &dereg);
        export_ms(cx, tg, EK(EK_TG_SLOW_START), &slow);
        /* ALB speaks TLS to HTTPS targets but checks no certificate: tls.ca/sni stay here. */
        bool https = strcmp(export_word(cx, tg, EK(EK_TG_PROTOCOL)), "https") == 0;
        const char *proto = https ? "HTTPS" : "HTTP";
        if (https && export_get(tg, EK(EK_TG_TLS)))
            export_note(cx, export_key(tg, EK(EK_TG_TLS)), "target_groups.%s.tls: ALB does not "
                        "verify target certificates; the ca, verify and sni settings are not "
                        "exported", name);
        fprintf(f, "resource \"aws_lb_target_group\" \"%s\" {\n"
                   "  name                          = substr(\"${var.name}-%s\", 0, 32)\n"
                   "  port                          = var.app_port\n"
                   "  protocol                      = \"%s\"\n"
                   "  vpc_id                        = var.vpc_id\n"
                   "  target_type                   = \"instance\"\n"
                   "  load_balancing_algorithm_type = \"%s\"\n"
                   "  deregistration_delay          = %" PRIu64 "\n"
                   "  slow_start                    = %" PRIu64 "\n",
                export_tf_id(name, id, sizeof(id)), name, proto,
                export_word(cx, tg, EK(EK_TG_ALGORITHM)), dereg / 1000, slow / 1000);
        if (hc) {
            fprintf(f, "  health_check {\n    enabled             = %s\n",
                    export_bool(cx, hc, EK(EK_HC_ENABLED), true) ? "true" : "false");
            if (export_str(cx, hc, EK(EK_HC_PATH), &s)) {
                fputs("    path                = ", f);
                export_hcl_str(f, s);
                fputc('\n', f);
            }
            if (export_ms(cx, hc, EK(EK_HC_INTERVAL), &v))
                fprintf(f, "    interval            = %" PRIu64 "\n", v / 1000);
            if (export_ms(cx, hc, EK(EK_HC_TIMEOUT), &v))
                fprintf(f, "    timeout             = %" PRIu64 "\n", v / 1000);
            if (export_uint(cx, hc, EK(EK_HC_HEALTHY), &v))
                fprintf(f, "    healthy_threshold   = %" PRIu64 "\n", v);
            if (export_uint(cx, hc, EK(EK_HC_UNHEALTHY), &v))
                fprintf(f, "    unhealthy_threshold = %" PRIu64 "\n", v);
            if (export_str(cx, hc, EK(EK_HC_MATCHER), &s)) {
                fputs("    matcher             = ", f);
                export_hcl_str(f, s);
                fputc('\n', f);
            }
            fprintf(f, "    protocol            = \"%s\"\n"
                       "    port                = \"traffic-port\"\n  }\n", proto);
        } else {
            fputs("  health_check {\n    enabled = false\n  }\n", f);
        }
        if (st) {
            export_ms(cx, st, EK(EK_ST_DURATION), &v);
            fprintf(f, "  stickiness {\n    type            = \"lb_cookie\"\n"
                       "    enabled         = %s\n    cookie_duration = %" PRIu64 "\n  }\n",
                    export_bool(cx, st, EK(EK_ST_ENABLED), false) ? "true" : "false", v / 1000);
        }
        fputs("}\n\n", f);
        if ((k = export_key(tg, EK(EK_TG_TARGETS))))
            export_note(cx, k, "target_groups.%s.targets: fixed addresses are this host's; on AWS "
                        "register instances or IPs (aws_lb_target_group_attachment)", name);
        if ((k = export_key(tg, EK(EK_TG_INITIAL_WAIT))))
            export_note(cx, k, "target_groups.%s.initial_wait: ALB has no such wait; with no "
                        "healthy target it fails open to all", name);
    }
}

/* access_log present and not "off". */
static bool
access_log_on(struct export_ctx *cx)
{
    const struct conf_node *al = export_get(cx->root, EK(EK_ACCESS_LOG));
    const char *path = NULL;

    return al && export_str(cx, al, EK(EK_AL_PATH), &path) && strcmp(path, "off") != 0;
}

/* The access logs' bucket, written to by the ELB log delivery service; retention is its
 * expiration rule. */
static void
write_log_bucket(struct export_ctx *cx, FILE *f)
{
    uint64_t ret_ms = 0;

    fputs("resource \"aws_s3_bucket\" \"logs\" {\n"
          "  bucket_prefix = \"${var.name}-lb-logs-\"\n}\n\n"
          "resource \"aws_s3_bucket_public_access_block\" \"logs\" {\n"
          "  bucket                  = aws_s3_bucket.logs.id\n"
          "  block_public_acls       = true\n  block_public_policy     = true\n"
          "  ignore_public_acls      = true\n  restrict_public_buckets = true\n}\n\n"
          "resource \"aws_s3_bucket_policy\" \"logs\" {\n"
          "  bucket = aws_s3_bucket.logs.id\n"
          "  policy = jsonencode({\n"
          "    Version = \"2012-10-17\"\n"
          "    Statement = [{\n"
          "      Effect    = \"Allow\"\n"
          "      Principal = { Service = \"logdelivery.elasticloadbalancing.amazonaws.com\" }\n"
          "      Action    = \"s3:PutObject\"\n"
          "      Resource  = \"${aws_s3_bucket.logs.arn}/AWSLogs/*\"\n"
          "    }]\n"
          "  })\n}\n\n", f);
    if (export_ms(cx, export_get(cx->root, EK(EK_ACCESS_LOG)), EK(EK_AL_RETENTION), &ret_ms) &&
        ret_ms >= 86400000)
        fprintf(f, "resource \"aws_s3_bucket_lifecycle_configuration\" \"logs\" {\n"
                   "  bucket = aws_s3_bucket.logs.id\n"
                   "  rule {\n    id     = \"retention\"\n    status = \"Enabled\"\n"
                   "    filter {}\n"
                   "    expiration {\n      days = %" PRIu64 "\n    }\n  }\n}\n\n",
                ret_ms / 86400000);
}

static void
note_edge(struct export_ctx *cx)
{
    const struct conf_node *k;

    if ((k = export_key(cx->root, EK(EK_ACCESS_LOG))))
        export_note(cx, k, "%s: the ALB writes its own format to the bucket aws_s3_bucket.logs; "
                    "path, format and syslog do not apply%s", EK(EK_ACCESS_LOG)->path,
                    export_get(export_get(cx->root, EK(EK_ACCESS_LOG)), EK(EK_AL_RETENTION))
                        ? " (retention is the bucket's expiration rule)" : "");
    if ((k = export_key(cx->root, EK(EK_EDGE))))
        export_note(cx, k, "%s: ALB's workers, timeouts and limits are AWS's, except the idle "
                    "timeout (from %s)", EK(EK_EDGE)->path, EK(EK_T_KEEPALIVE)->path);
}

void
tf_edge_write(struct export_ctx *cx)
{
    FILE *f = export_out(cx, "edge.tf");
    const struct conf_node *ls = export_section(cx, EK(EK_LISTENERS));
    const struct conf_node *edge = export_get(cx->root, EK(EK_EDGE));
    const struct conf_node *tmo = export_get(edge, EK(EK_TIMEOUTS));
    uint64_t idle = 75000;

    export_ms(cx, tmo, EK(EK_T_KEEPALIVE), &idle);
    if (idle / 1000 > 4000)
        idle = 4000 * 1000;
    fprintf(export_out(cx, "variables.tf"),
            "\nvariable \"app_port\" {\n"
            "  description = \"The port the application listens on in each instance (tierd's $${PORT})\"\n"
            "  type        = number\n"
            "  default     = 8080\n"
            "}\n");
    fprintf(f, "# The edge: one Application Load Balancer for the stack's listeners.\n\n"
               "resource \"aws_lb\" \"main\" {\n"
               "  name                       = substr(\"${var.name}-lb\", 0, 32)\n"
               "  load_balancer_type         = \"application\"\n"
               "  internal                   = false\n"
               "  security_groups            = [aws_security_group.lb.id]\n"
               "  subnets                    = var.public_subnet_ids\n"
               "  idle_timeout               = %" PRIu64 "\n"
               "  drop_invalid_header_fields = true\n"
               "  enable_deletion_protection = true\n", idle / 1000 ? idle / 1000 : 1);
    if (access_log_on(cx))
        fputs("  access_logs {\n    bucket  = aws_s3_bucket.logs.id\n    enabled = true\n  }\n"
              "  depends_on = [aws_s3_bucket_policy.logs]\n", f);
    fputs("}\n\n", f);
    if (access_log_on(cx))
        write_log_bucket(cx, f);
    if (!ls)
        return;
    write_security_groups(cx, f, ls);
    write_target_groups(cx, f, export_section(cx, EK(EK_TGS)));
    write_listeners(cx, f, ls);
    note_edge(cx);
}
