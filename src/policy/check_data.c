/*
 * policy/check_data.c: rules on databases (RDS's checks, docs/checks.md): storage not
 * encrypted (TD-DATA-001), listening beyond loopback (002), backups off or kept under 7
 * days (003), backups only on the database's own host (004), deletion protection off
 * (006), a user allowed from any host (013), a literal password (014), and a password or
 * key file that other users can read (015). The last one looks at the file system: the
 * modes of files that exist, as `run` would find them.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/internal.h"

#define RES_MAX 192

/* Calls judge on every database with its resource name ("databases.NAME"). */
typedef void judge_db_fn(struct policy_ctx *cx, const struct conf_node *db,
                         const struct conf_node *key, const char *res);

static void
each_db(struct policy_ctx *cx, const struct conf_node *root, judge_db_fn *judge)
{
    const struct conf_node *dbs = conf_key_get(root, XK(XK_DATABASES)), *key;
    char res[RES_MAX];

    for (unsigned i = 0; i < inspect_nmap(dbs); i++) {
        const struct conf_node *db = inspect_entry(dbs, i, XK(XK_DATABASES), &key, res,
                                                   sizeof(res));
        judge(cx, db, key, res);
    }
}

static bool
is_managed(const struct conf_node *db)
{
    return inspect_key_is(db, XK(XK_MODE), 0);      /* "managed", the default */
}

static void
judge_encryption(struct policy_ctx *cx, const struct conf_node *db,
                 const struct conf_node *key, const char *res)
{
    if (!is_managed(db))
        return;                         /* an external server's storage is not ours */
    if (!conf_key_get(db, XK(XK_ENCRYPTION)))
        policy_fail(cx, key, POLICY_HIGH, res, "%s stores its tables, logs and binlogs "
                    "unencrypted", res);
    else
        policy_pass(cx, conf_key_node(db, XK(XK_ENCRYPTION)), res);
}

void
check_data_encryption(struct policy_ctx *cx, const struct conf_node *root)
{
    each_db(cx, root, judge_encryption);
}

static void
judge_address(struct policy_ctx *cx, const struct conf_node *db, const struct conf_node *key,
              const char *res)
{
    const struct conf_node *a = conf_key_get(db, XK(XK_ADDRESS));
    const char *s = inspect_str(a);
    char host[300];

    if (!s || !is_managed(db)) {
        policy_pass(cx, key, res);
        return;
    }
    const char *colon = strrchr(s, ':');
    snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
    if (inspect_host_is_loopback(host))
        policy_pass(cx, conf_key_node(db, XK(XK_ADDRESS)), res);
    else
        policy_fail(cx, conf_key_node(db, XK(XK_ADDRESS)), POLICY_CRITICAL, res,
                    "%s listens on %s, beyond loopback: anyone who reaches the host can try "
                    "its passwords", res, s);
}

void
check_data_public(struct policy_ctx *cx, const struct conf_node *root)
{
    each_db(cx, root, judge_address);
}

static void
judge_backup(struct policy_ctx *cx, const struct conf_node *db, const struct conf_node *key,
             const char *res)
{
    const struct conf_node *b = conf_key_get(db, XK(XK_BACKUP));
    uint64_t ms = 0;

    if (!b) {
        policy_fail(cx, key, POLICY_HIGH, res, "%s has no backup: section; a lost disk loses "
                    "every row", res);
        return;
    }
    inspect_key_ms(b, XK(XK_BK_RETENTION), &ms);
    const struct conf_node *at = inspect_key_or(b, XK(XK_BK_RETENTION),
                                                conf_key_node(db, XK(XK_BACKUP)));
    if (ms == 0)
        policy_fail(cx, at, POLICY_HIGH, res, "%s: backup.retention 0 turns automated backups "
                    "off", res);
    else if (ms < 7ULL * 86400000)
        policy_fail(cx, at, POLICY_MEDIUM, res, "%s: backup.retention keeps %llu hours, under "
                    "7 days", res, (unsigned long long)(ms / 3600000));
    else
        policy_pass(cx, at, res);
}

void
check_data_backups(struct policy_ctx *cx, const struct conf_node *root)
{
    each_db(cx, root, judge_backup);
}

static void
judge_offsite(struct policy_ctx *cx, const struct conf_node *db, const struct conf_node *key,
              const char *res)
{
    const struct conf_node *b = conf_key_get(db, XK(XK_BACKUP));
    const char *repo = inspect_str(conf_key_get(b, XK(XK_BK_REPOSITORY)));
    static const char *const remote[] = { "sftp:", "s3:", "rest:", "b2:", "azure:", "gs:",
                                          "swift:", "rclone:", NULL };

    if (!repo)
        return;                         /* no backups: TD-DATA-003's */
    for (const char *const *r = remote; *r; r++)
        if (strncmp(repo, *r, strlen(*r)) == 0) {
            policy_pass(cx, conf_key_node(b, XK(XK_BK_REPOSITORY)), res);
            return;
        }
    policy_fail(cx, conf_key_node(b, XK(XK_BK_REPOSITORY)), POLICY_MEDIUM, res,
                "%s: backup.repository %s is a path on this host: one lost host takes the "
                "data and its backups", res, repo);
}

void
check_data_offsite(struct policy_ctx *cx, const struct conf_node *root)
{
    each_db(cx, root, judge_offsite);
}

static void
judge_deletion(struct policy_ctx *cx, const struct conf_node *db, const struct conf_node *key,
               const char *res)
{
    const struct conf_node *n = conf_key_get(db, XK(XK_DELETION_PROTECTION));

    if (inspect_is_false(n))
        policy_fail(cx, conf_key_node(db, XK(XK_DELETION_PROTECTION)), POLICY_MEDIUM, res,
                    "%s: deletion_protection is off: an apply of a file without it deletes "
                    "its datadir", res);
    else
        policy_pass(cx, inspect_key_or(db, XK(XK_DELETION_PROTECTION), key), res);
}

void
check_data_deletion(struct policy_ctx *cx, const struct conf_node *root)
{
    each_db(cx, root, judge_deletion);
}

/* Calls judge on every user of db. */
static void
judge_users(struct policy_ctx *cx, const struct conf_node *db, const char *res,
            bool (*judge)(struct policy_ctx *, const struct conf_node *user,
                          const struct conf_node *ukey, const char *res))
{
    const struct conf_node *us = conf_key_get(db, XK(XK_USERS));
    bool failed = false;

    for (unsigned i = 0; i < inspect_nmap(us); i++)
        failed |= judge(cx, us->pairs[i].value, us->pairs[i].key, res);
    if (!failed && inspect_nmap(us))
        policy_pass(cx, conf_key_node(db, XK(XK_USERS)), res);
}

static bool
user_any_host(struct policy_ctx *cx, const struct conf_node *u, const struct conf_node *ukey,
              const char *res)
{
    const char *h = inspect_str(conf_key_get(u, XK(XK_USER_HOST)));

    if (!h || !strchr(h, '%'))
        return false;
    policy_fail(cx, conf_key_node(u, XK(XK_USER_HOST)), POLICY_HIGH, res,
                "%s: user %s may connect from host \"%s\"", res, ukey->str, h);
    return true;
}

static void
judge_any_host(struct policy_ctx *cx, const struct conf_node *db, const struct conf_node *key,
               const char *res)
{
    judge_users(cx, db, res, user_any_host);
}

void
check_data_any_host(struct policy_ctx *cx, const struct conf_node *root)
{
    each_db(cx, root, judge_any_host);
}

static bool
user_literal(struct policy_ctx *cx, const struct conf_node *u, const struct conf_node *ukey,
             const char *res)
{
    const char *pw = inspect_str(conf_key_get(u, XK(XK_USER_PASSWORD)));

    if (!pw || !*pw || inspect_is_env_ref(pw))
        return false;
    policy_fail(cx, conf_key_node(u, XK(XK_USER_PASSWORD)), POLICY_CRITICAL, res,
                "%s: user %s's password is written literally in the stack file", res,
                ukey->str);
    return true;
}

static void
judge_literal(struct policy_ctx *cx, const struct conf_node *db, const struct conf_node *key,
              const char *res)
{
    judge_users(cx, db, res, user_literal);
}

void
check_data_literal_password(struct policy_ctx *cx, const struct conf_node *root)
{
    each_db(cx, root, judge_literal);
}

/* True (after failing) when the file named by k in map exists and others may read it. */
static bool
file_too_open(struct policy_ctx *cx, const struct conf_node *map, const struct conf_key *k,
              const char *res, const char *what)
{
    const char *path = inspect_str(conf_key_get(map, k));
    struct stat st;

    if (!path || stat(path, &st) < 0 || (st.st_mode & 0077) == 0)
        return false;
    policy_fail(cx, conf_key_node(map, k), POLICY_HIGH, res, "%s: %s %s is mode %04o: other "
                "users can read it", res, what, path, (unsigned)(st.st_mode & 07777));
    return true;
}

static void
judge_secret_files(struct policy_ctx *cx, const struct conf_node *db,
                   const struct conf_node *key, const char *res)
{
    const struct conf_node *b = conf_key_get(db, XK(XK_BACKUP));
    const struct conf_node *e = conf_key_get(db, XK(XK_ENCRYPTION));
    bool failed = file_too_open(cx, b, XK(XK_BK_PASSWORD_FILE), res, "backup.password_file");

    failed |= file_too_open(cx, e, XK(XK_ENC_KEY_FILE), res, "storage_encryption.key_file");
    if (!failed && (b || e))
        policy_pass(cx, key, res);
}

void
check_data_secret_files(struct policy_ctx *cx, const struct conf_node *root)
{
    each_db(cx, root, judge_secret_files);
}
