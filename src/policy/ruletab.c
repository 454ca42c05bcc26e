/*
 * policy/ruletab.c: the rule table: every rule's stable id, severity, title, why it
 * matters, how to fix it, and the check function that judges it. IDs follow
 * docs/checks.md: a published id keeps its meaning and a retired one is never reused,
 * so an old skip comment can never come to silence a different rule.
 *
 * Every active rule can fire on a file that validation accepts (tests/e2e/policy proves
 * it both ways). A rule whose keys the stack file does not accept yet is deferred: its
 * id stays reserved and its check is kept, but it does not run, so no one reads a rule
 * that can never fail. A rule that only repeated what validation refuses is retired.
 */
#include <string.h>

#include "policy/internal.h"

#define R(id_, sev_, title_, why_, fix_, anchor_, fn_)                                     \
    { .id = id_, .severity = POLICY_##sev_, .title = title_, .why = why_, .fix = fix_,     \
      .anchor = anchor_, .check = fn_ }

static const struct policy_rule rules[] = {
    R("TD-ASG-002", MEDIUM, "Auto scaling group behind a target group uses EC2 health checks",
      "With health_check_type ec2 (the default) an instance that is alive but fails its "
      "target group's health checks is never replaced: it keeps its place and serves errors.",
      "Set health_check_type: elb on every group that has a target_group.",
      "CKV2_AWS_15, Security Hub AutoScaling.1", check_asg_ec2_health),
    R("TD-ASG-003", MEDIUM, "Auto scaling group with min_size below 2",
      "With a single instance, one crash or one instance-refresh step leaves nothing serving "
      "until a replacement has started and passed its checks.",
      "Set min_size: 2 or more (and desired_capacity to match).", NULL, check_asg_min_size),
    R("TD-ASG-006", CRITICAL, "Literal secret in a launch template",
      "A key, password or token written into the stack file ends up in version control, "
      "backups, diffs and `tierd` output, where anyone who can read the file can use it.",
      "Reference the secret from the environment instead: VALUE: ${env:NAME}, and keep the "
      "value in a root-only environment file or a secret store.",
      "CKV_AWS_46, CKV_AWS_41, AVD-AWS-0029", check_asg_literal_secret),
    R("TD-ASG-007", MEDIUM, "Instance told to bind a wildcard or non-loopback address",
      "An instance listening on 0.0.0.0 or [::] can be reached directly from the network, "
      "past the shield, the access log and the health checks of the edge.",
      "Bind instances to 127.0.0.1:${PORT} (or [::1]) and let tierd be the only way in.",
      "CKV_AWS_88, CKV_AWS_389, AVD-AWS-0009", check_asg_wildcard_bind),
    R("TD-ASG-011", HIGH, "Instance refresh may take every instance out of service",
      "A min_healthy_percentage of 0, or one that rounds down to zero instances at min_size, "
      "lets a refresh replace all instances at once: the site is down until the new ones pass "
      "their health checks.",
      "Raise instance_refresh.min_healthy_percentage (90 is AWS's default) or min_size so that "
      "at least one instance stays in service.", "AWS instance refresh", check_asg_refresh_zero),
    R("TD-ASG-012", LOW, "Health check grace period shorter than one health-check interval",
      "With ELB health checks, an instance that is still starting is judged before it could "
      "pass: it is replaced, its replacement too, and the group cycles.",
      "Set health_check_grace_period to at least the target group's health_check.interval "
      "(AWS's console default is 300s).", "AWS HealthCheckGracePeriod", check_asg_grace_period),
    R("TD-ASG-013", LOW, "Instance refresh without automatic rollback",
      "Without auto_rollback, a release whose instances fail their checks is not rolled back "
      "and the group stays at its minimum healthy share until someone acts.",
      "Add instance_refresh: { auto_rollback: true }.", "AWS instance refresh AutoRollback",
      check_asg_no_rollback),
    R("TD-ASG-014", MEDIUM, "Launch template runs instances as root",
      "When tierd runs as root (to bind port 80 or manage nftables), an instance without a "
      "user runs as root too: any bug in the app owns the host.",
      "Set user: to an unprivileged account that owns only the app's files.", "CKV_K8S_23",
      check_asg_root_user),
    R("TD-ASG-015", LOW, "Launch template without a memory limit",
      "Without instance_type.memory one runaway instance can take the host's memory from "
      "tierd and every other instance.",
      "Set instance_type: { cpu: ..., memory: ... } (applied where cgroup v2 is delegated).",
      "CKV_K8S_11, CKV_K8S_13", check_asg_no_limits),
    R("TD-DATA-001", HIGH, "Database without storage encryption",
      "Tables, redo log and binlogs sit in clear on disk: a copied disk, a discarded drive or "
      "a backup of the host gives away every row.",
      "Add storage_encryption: { key_file: /etc/tierd/db-NAME.key }; tierd creates the key "
      "(0600) and stores it with every backup. On an existing database this replaces it: "
      "restore into a new encrypted one.", "CKV_AWS_16, AVD-AWS-0080", check_data_encryption),
    R("TD-DATA-002", CRITICAL, "Database listening beyond loopback",
      "A database on a public or LAN address can be reached by anyone who reaches the host; "
      "password guessing and server bugs are then one connection away.",
      "Listen on 127.0.0.1 (address: 127.0.0.1:3306) or only on socket:; instances reach it "
      "through ${db:NAME.host} and ${db:NAME.port}.", "CKV_AWS_17, AVD-AWS-0180",
      check_data_public),
    R("TD-DATA-003", HIGH, "Database without automated backups, or kept under 7 days",
      "Without backups a lost disk or a bad migration loses data for good; a short retention "
      "means a mistake noticed a week later can no longer be undone.",
      "Add backup: { repository, password_file } with retention: 7d or more (RDS allows 35d).",
      "CKV_AWS_133, AVD-AWS-0077", check_data_backups),
    R("TD-DATA-004", MEDIUM, "Backups kept only on the database's own host",
      "A repository that is a local path dies with the host: one disk failure or one "
      "compromised machine takes the data and its backups together.",
      "Point backup.repository at another host: sftp:user@backup-host:/srv/restic, s3:, or "
      "rest: (restic's backends).", "CKV_AWS_144 (analogue)", check_data_offsite),
    R("TD-DATA-006", MEDIUM, "Database without deletion protection",
      "An apply of a stack file that no longer lists the database removes it; with "
      "protection off its datadir goes too.",
      "Remove deletion_protection: false (the default is true).",
      "CKV_AWS_293, AVD-AWS-0177", check_data_deletion),
    R("TD-DATA-013", HIGH, "Database user allowed from any host",
      "A host pattern with % lets the account log in from anywhere the server is reachable, "
      "so one leaked password is usable from any network.",
      "Set host: localhost (the default) or the one address the instances connect from.",
      "RDS security groups (analogue)", check_data_any_host),
    R("TD-DATA-014", CRITICAL, "Literal database password",
      "A password written in the stack file ends up in version control, plans and backups of "
      "the file.",
      "Write password: \"${env:DB_APP_PASSWORD}\" and export the variable to tierd.",
      "CKV_AWS_41 (analogue)", check_data_literal_password),
    R("TD-DATA-015", HIGH, "Database secret file readable by other users",
      "The repository password opens every backup; the key file decrypts the datadir and "
      "the backups: any local user who can read either has the data.",
      "chmod 600 the file (and give it to the user tierd runs as).",
      "CKV_AWS_7 (analogue)", check_data_secret_files),
    R("TD-EDGE-001", HIGH, "Public listener without TLS",
      "Requests to a listener on a public address travel in clear text: cookies, passwords "
      "and tokens can be read and changed on the way.",
      "Give the listener tls: { certificates: [{ cert: ..., key: ... }] } (or tls: { acme: "
      "{ domains: [...] } } with a top-level state_dir), or make its rules a redirect: "
      "{ scheme: https }. A listener that is really internal carries a skip comment with its "
      "reason.",
      "CKV_AWS_2, CKV2_AWS_20, AVD-AWS-0054", check_edge_plain_http),
    R("TD-EDGE-002", HIGH, "Listener accepts old TLS versions or weak ciphers",
      "TLS below 1.2, CBC suites, static-RSA key exchange and 3DES are open to known "
      "attacks and lack forward secrecy.",
      "Leave tls.ciphers out (Mozilla's intermediate list is the default), or list only "
      "ECDHE suites with AES-GCM or ChaCha20-Poly1305; keep tls.min_version \"1.2\" or "
      "\"1.3\".", "CKV_AWS_103, CKV2_AWS_74, AVD-AWS-0047", check_edge_weak_tls),
    R("TD-EDGE-005", MEDIUM, "No access log, or one that does not record the Host header",
      "Without an access log there is nothing to investigate an attack with and nothing for "
      "the shield to learn from; the combined format drops the Host header, so virtual-host "
      "probing leaves no trace (INFO).",
      "Add access_log: { path: logs/access.log, format: json }.", "CKV_AWS_91, CKV_AWS_18",
      check_edge_access_log),
    R("TD-EDGE-007", HIGH, "Public listener without the shield",
      "A public listener in a file without a shield section has no rate limits, no bans and "
      "no scanner detection: every client may try every path as fast as it likes.",
      "Add a shield: section (mode: block) to a file with a public listener.", "CKV2_AWS_28",
      check_edge_no_shield),
    R("TD-EDGE-008", MEDIUM, "Shield in count mode with a public listener",
      "In count mode the shield decides and records but never blocks: a dry run left on "
      "protects nothing.",
      "Set shield.mode: block once the counted decisions look right.",
      "CKV_AWS_175, CKV_AWS_342", check_edge_shield_count),
    R("TD-EDGE-009", MEDIUM, "Scanner detection off",
      "Vulnerability scanners and sensitive-path probes are the first stage of most attacks; "
      "with detection off they go on undisturbed.",
      "Keep shield.scanners.enabled: true (the default), with a ban such as ban: 1h.",
      "CKV_AWS_192, CKV2_AWS_76", check_edge_scanners_off),
    R("TD-EDGE-011", MEDIUM, "Login paths not covered by the shield",
      "Login and token endpoints are where credential stuffing happens; the shield limits "
      "them more strictly only when shield.login_paths lists them.",
      "List every login, sign-in, token or session path in shield.login_paths (an app "
      "without a login skips this rule with that reason).", "AWS rate-based rule scope-down",
      check_edge_login_paths),
    R("TD-EDGE-012", HIGH, "trusted_proxies open to everyone",
      "Every client in trusted_proxies may name its own address in X-Forwarded-For: an "
      "open range lets anyone slip past bans and get other people banned.",
      "List only your own proxies' addresses (a /8 or narrower for IPv4, /16 for IPv6); "
      "with rate_limit.key: forwarded_ip, list at least one.", "AWS FORWARDED_IP guidance",
      check_edge_trusted_proxies),
    R("TD-EDGE-013", HIGH, "Shield allow list covers everyone or a large public range",
      "Addresses in shield.allow are never limited or banned: allowing 0.0.0.0/0 turns the "
      "shield off without saying so, and a wide public range exempts strangers.",
      "Allow only your own networks: office ranges, monitoring, private ranges.", NULL,
      check_edge_allow_all),
    R("TD-EDGE-015", MEDIUM, "Edge timeouts or limits that invite slow or oversized requests",
      "client_header and client_body above 60s reopen slowloris and slow-body attacks "
      "(MEDIUM); very long keepalive or tunnel times and very large heads hold memory and "
      "connections for idle or hostile clients (LOW).",
      "Keep client_header and client_body at 60s or less, keepalive at 300s or less, tunnel "
      "at 24h or less and header_bytes at 64k or less.",
      "nginx defaults, ALB 64 KB head limit, CIS nginx", check_edge_timeouts),
    R("TD-EDGE-016", MEDIUM, "HTTPS listener without a redirect from port 80",
      "Browsers try http:// first when a name is typed: without a listener on port 80 that "
      "redirects, they find nothing (or an old plain site) instead of the HTTPS one.",
      "Add a listener on port 80 whose rules are [{ redirect: { scheme: https } }].",
      "CKV2_AWS_20", check_edge_no_http_redirect),
    R("TD-EDGE-017", MEDIUM, "HTTPS listener without HSTS",
      "Without Strict-Transport-Security a browser keeps trying http:// first, and each "
      "first request can be intercepted and downgraded (SSL stripping).",
      "Add tls.hsts: { max_age: 365d } (include_subdomains when every subdomain has HTTPS).",
      "Mozilla Observatory, OWASP HSTS", check_edge_no_hsts),
    R("TD-EDGE-018", HIGH, "Private key file readable by other users",
      "Anyone who can read the key can impersonate the site and, without forward secrecy, "
      "decrypt recorded traffic.",
      "chmod 600 the key file (or 640 with a group only tierd belongs to), owned by the user "
      "tierd runs as.", "CIS nginx 4.1.3", check_edge_key_perms),
    R("TD-NET-010", HIGH, "Control API on a non-loopback TCP address",
      "The control API can reconfigure and stop the whole stack; on a network address it is "
      "an admin interface open to everyone who can reach the host, token or not.",
      "Use control.socket (a unix socket, reached over SSH), or bind control.address to "
      "127.0.0.1 (a TCP listener needs control.token either way).", "CKV_AWS_24, CKV_AWS_25", check_edge_control_address),
    R("TD-NET-011", HIGH, "Literal control API token",
      "The control token lets whoever holds it reconfigure and stop the whole stack; written "
      "into the stack file it ends up in version control, backups and diffs.",
      "Write control.token: ${env:NAME} (and each of control.tokens so) and keep the value "
      "in a root-only environment file or a secret store.", "CKV_AWS_41",
      check_edge_control_token),
    R("TD-OBS-001", MEDIUM, "Alarm without actions",
      "An alarm without alarm_actions changes state and tells no one.",
      "Add alarm_actions: [TOPIC] naming a topic with subscribers.", "CKV_AWS_319",
      check_obs_alarm_actions),
    R("TD-OBS-002", MEDIUM, "Notification sent over plain HTTP or SMTP to another host",
      "Alarm messages sent over http:// or smtp:// to another host can be read and forged on "
      "the way, and their secrets with them.",
      "Use https:// webhooks and smtps:// (or a loopback relay).", "CKV_AWS_26, AVD-AWS-0095",
      check_obs_plain_webhook),
    R("TD-OBS-003", LOW, "Webhook subscription without a signing secret",
      "Without a secret the receiver cannot tell tierd's messages from forged ones.",
      "Add secret: ${env:NAME} to the subscription and verify the signature at the receiver.",
      "CKV_AWS_169 (analogue)", check_obs_unsigned_webhook),
    R("TD-OBS-004", MEDIUM, "Auto scaling group without a CPU alarm",
      "Nobody hears of a group that runs hot until it falls over: CPU is the first sign of "
      "too little capacity or a runaway release.",
      "Add an alarm with metric: cpu_utilization and dimensions: { auto_scaling_group: NAME }.",
      NULL, check_obs_no_cpu_alarm),
    R("TD-OBS-005", LOW, "Access log kept less than a year, or without a retention",
      "Attacks are often found months later: the access log is the record to investigate "
      "them with, and common baselines keep security-relevant logs for 365 days.",
      "Set access_log.retention: 365d (tierd rotates and deletes), or keep the logrotate "
      "files as long and skip this rule with a comment saying so.",
      "CKV_AWS_66, CKV_AWS_338", check_obs_log_retention),
    R("TD-OBS-006", MEDIUM, "Topic without subscribers",
      "Every alarm that names a topic without subscriptions notifies no one.",
      "Add at least one subscription (webhook, email or command) to the topic.", NULL,
      check_obs_empty_topic),
    R("TD-OBS-007", HIGH, "Literal secret in a notification setting",
      "A webhook secret, SMTP password or URL credential written into the stack file ends up "
      "in version control, backups and diffs.",
      "Write the value as ${env:NAME} and keep it in the environment.", "CKV_AWS_41",
      check_obs_literal_secret),
    R("TD-STORE-001", CRITICAL, "Static root serves more than public files",
      "A static root at /, a system or home directory, above an app's working directory, or "
      "holding the access log, the control socket, .git or .env publishes source code, keys "
      "and logs to anyone who asks.",
      "Point static.root at a directory that holds only the files meant to be public.",
      "CKV2_AWS_6, CKV_AWS_20, AVD-AWS-0092", check_store_static_root),
    R("TD-TG-001", MEDIUM, "Target group without an active health check",
      "Without a health check (or without a path) only real traffic can reveal a dead or hung "
      "target: users find it before tierd does.",
      "Add health_check: { path: /health } with a path the app answers only when it can serve.",
      "CKV_AWS_261", check_tg_health_check),
    R("TD-TG-002", LOW, "Health check that cannot judge in time",
      "An interval above 60s or an unhealthy_threshold above 5 keeps a dead target in "
      "rotation for minutes.",
      "Use interval <= 60s and unhealthy_threshold <= 5.", "ALB defaults",
      check_tg_health_params),
    R("TD-TG-003", LOW, "Plain HTTP to a target on another host",
      "Requests forwarded to a target that is not on loopback travel in clear text on the "
      "network between tierd and the target, or over TLS whose certificate nobody checks "
      "(tls.verify: false).",
      "Set protocol: https and tls: { ca: <the CA that signed the targets' certificates>, "
      "sni: <their name> } with verify left on, or keep targets on loopback; a private "
      "network you trust carries a skip comment saying so.", "CKV_AWS_378",
      check_tg_plain_targets),
    R("TD-TG-004", MEDIUM, "Target group with zero deregistration delay",
      "With deregistration_delay: 0s every scale-in, refresh or reload cuts requests in "
      "flight and open WebSockets instead of letting them finish.",
      "Set deregistration_delay to the longest normal request (30s is common; ALB's default "
      "is 300s).", "ALB deregistration_delay", check_tg_no_draining),
};

/* Out of the run until the stack file accepts the keys they read (docs/checks.md,
 * "Deferred rules"); the checks stay, unit-tested on raw trees, for the day it does. */
static const struct ruletab_deferred deferred[] = {
    /* None at the moment: TD-EDGE-002 came back with listeners[].tls. */
};

/* Never used again (docs/checks.md, "Retired rules"): a skip comment naming one is noted. */
static const struct ruletab_retired retired[] = {
    { "TD-ASG-001", "every instance runs on the one host" },
    { "TD-ASG-004", "tierd serves no instance metadata or credentials endpoint" },
    { "TD-ASG-005", "instance volumes are the host's filesystem" },
    { "TD-ASG-008", "every group launches from a versioned template" },
    { "TD-ASG-009", "host and instances are sampled every second" },
    { "TD-ASG-010", "validation refuses auto scaling group sizes out of order" },
    { "TD-DATA-005", "one host: backups kept elsewhere (TD-DATA-004) stand in" },
    { "TD-DATA-008", "literal passwords are TD-ASG-006's" },
    { "TD-DATA-009", "metrics are built in at 1s; alarms on them are TD-OBS-004's" },
    { "TD-DATA-012", "folded into TD-DATA-010" },
    { "TD-EDGE-003", "the edge always refuses invalid header fields" },
    { "TD-EDGE-004", "every request-smuggling vector is refused; there is no mode to pick" },
    { "TD-EDGE-006", "there is no destroy verb, and apply shows every removal first" },
    { "TD-EDGE-010", "every shield decision is recorded, in count mode too" },
    { "TD-EDGE-014", "one host and one process by design" },
    { "TD-STORE-002", "static files are public by intent; disk encryption is the host's" },
    { "TD-STORE-003", "no object store to version" },
    { "TD-STORE-004", "static requests go through the access log (TD-EDGE-005)" },
    { "TD-STORE-005", "no object store, and nothing uploads into the static root" },
    { "TD-STORE-006", "no object store to replicate" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const struct policy_rule *
ruletab_all(unsigned *n)
{
    *n = COUNT(rules);
    return rules;
}

const struct policy_rule *
ruletab_find(const char *id)
{
    for (size_t i = 0; i < COUNT(rules); i++)
        if (strcmp(rules[i].id, id) == 0)
            return &rules[i];
    return NULL;
}

const struct ruletab_deferred *
ruletab_deferred_all(unsigned *n)
{
    *n = COUNT(deferred);
    return deferred;
}

const struct ruletab_deferred *
ruletab_deferred_find(const char *id)
{
    unsigned n;
    const struct ruletab_deferred *df = ruletab_deferred_all(&n);

    for (unsigned i = 0; i < n; i++)
        if (strcmp(df[i].rule.id, id) == 0)
            return &df[i];
    return NULL;
}

const struct ruletab_retired *
ruletab_retired_all(unsigned *n)
{
    *n = COUNT(retired);
    return retired;
}

const struct ruletab_retired *
ruletab_retired_find(const char *id)
{
    for (size_t i = 0; i < COUNT(retired); i++)
        if (strcmp(retired[i].id, id) == 0)
            return &retired[i];
    return NULL;
}
