/*
 * data/mariadb.c: one MariaDB server's files and administration (data/mariadb.h). The
 * config tierd writes holds the settings a durable server needs whatever the stack file
 * says: every commit synced to the redo log and the binlog (innodb_flush_log_at_trx_commit
 * =1, sync_binlog=1), row-based binlogs with GTIDs (what point-in-time recovery replays),
 * and a loopback or socket-only listener unless the stack file gives an address.
 */
#include "data/mariadb.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/ref.h"
#include "core/mem.h"
#include "data/proc.h"

#define MARIADB_SQL_TIMEOUT_MS 60000
#define MARIADB_INIT_TIMEOUT_MS 120000

static int
mariadb_abs(char *out, size_t len, const char *path)
{
    char cwd[PATH_MAX];

    if (path[0] == '/')
        return snprintf(out, len, "%s", path) >= (int)len ? -ENAMETOOLONG : 0;
    if (!getcwd(cwd, sizeof(cwd)))
        return -errno;
    return snprintf(out, len, "%s/%s", cwd, path) >= (int)len ? -ENAMETOOLONG : 0;
}

int
mariadb_paths_init(struct mariadb_paths *p, const char *state_dir,
                   const struct data_db_conf *db, char *err, size_t errlen)
{
    char base[PATH_MAX];
    int rc;

    memset(p, 0, sizeof(*p));
    if (snprintf(base, sizeof(base), "%s/db", state_dir) >= (int)sizeof(base) ||
        (rc = mariadb_abs(p->dir, sizeof(p->dir), base)) < 0)
        goto long_path;
    if (snprintf(p->cnf, sizeof(p->cnf), "%s/%s.cnf", p->dir, db->name) >= (int)sizeof(p->cnf) ||
        snprintf(p->errlog, sizeof(p->errlog), "%s/%s.err", p->dir, db->name) >=
            (int)sizeof(p->errlog) ||
        snprintf(p->slowlog, sizeof(p->slowlog), "%s/%s-slow.log", p->dir, db->name) >=
            (int)sizeof(p->slowlog) ||
        snprintf(p->pidfile, sizeof(p->pidfile), "%s/%s.pid", p->dir, db->name) >=
            (int)sizeof(p->pidfile))
        goto long_path;
    if (db->datadir)
        rc = mariadb_abs(p->datadir, sizeof(p->datadir), db->datadir);
    else
        rc = snprintf(p->datadir, sizeof(p->datadir), "%s/%s/data", p->dir, db->name) >=
                     (int)sizeof(p->datadir) ? -ENAMETOOLONG : 0;
    if (rc < 0)
        goto long_path;
    if (db->socket)
        rc = mariadb_abs(p->socket, sizeof(p->socket), db->socket);
    else
        rc = snprintf(p->socket, sizeof(p->socket), "%s/%s.sock", p->dir, db->name) >=
                     (int)sizeof(p->socket) ? -ENAMETOOLONG : 0;
    if (rc < 0) {
        snprintf(err, errlen, "database %s: the socket path is longer than a unix socket "
                 "allows (107 bytes); set socket: to a shorter path", db->name);
        return -ENAMETOOLONG;
    }
    if (db->key_file && mariadb_abs(p->key_file, sizeof(p->key_file), db->key_file) < 0)
        goto long_path;
    return 0;
long_path:
    snprintf(err, errlen, "database %s: a path under state_dir %s is too long", db->name,
             state_dir);
    return -ENAMETOOLONG;
}

static int
mariadb_mkdirs(const char *dir, mode_t mode)
{
    char p[PATH_MAX];
    size_t n = strlen(dir);

    if (n >= sizeof(p))
        return -ENAMETOOLONG;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return -errno;
        p[i] = c;
    }
    return 0;
}

/* Writes text to path through path.tmp, fsync and rename, then syncs the directory. */
static int
mariadb_write_file(const char *path, const char *text, mode_t mode)
{
    char tmp[PATH_MAX + 8];
    size_t len = strlen(text);

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    fchmod(fd, mode);
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
        int e = errno ? errno : EIO;
        close(fd);
        unlink(tmp);
        return -e;
    }
    close(fd);
    if (rename(tmp, path) < 0)
        return -errno;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return 0;
}

/* A file_key_management key file: key id 1, a random 256-bit AES key in hex. */
static int
mariadb_make_key(const char *path)
{
    unsigned char key[32];
    char text[80];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, key, sizeof(key));
    close(fd);
    if (n != (ssize_t)sizeof(key))
        return -EIO;
    int o = snprintf(text, sizeof(text), "1;");
    for (size_t i = 0; i < sizeof(key); i++)
        o += snprintf(text + o, sizeof(text) - (size_t)o, "%02x", key[i]);
    snprintf(text + o, sizeof(text) - (size_t)o, "\n");
    memset(key, 0, sizeof(key));
    int rc = mariadb_write_file(path, text, 0600);
    memset(text, 0, sizeof(text));
    return rc;
}

int
mariadb_write_config(const struct mariadb_paths *p, const struct data_db_conf *db,
                     char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc;

    if ((rc = mariadb_mkdirs(p->dir, 0750)) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", p->dir, strerror(-rc));
        fclose(f);
        free(text);
        return rc;
    }
    if (p->key_file[0] && access(p->key_file, F_OK) < 0) {
        char kdir[PATH_MAX];
        snprintf(kdir, sizeof(kdir), "%s", p->key_file);
        char *slash = strrchr(kdir, '/');
        if (slash && slash != kdir) {
            *slash = '\0';
            mariadb_mkdirs(kdir, 0700);
        }
        if ((rc = mariadb_make_key(p->key_file)) < 0) {
            snprintf(err, errlen, "cannot create the key file %s: %s", p->key_file,
                     strerror(-rc));
            fclose(f);
            free(text);
            return rc;
        }
    }
    fprintf(f, "# Written by tierd for database %s; tierd rewrites it on every start.\n"
            "[mysqld]\n", db->name);
    fprintf(f, "datadir = %s\nsocket = %s\npid-file = %s\nlog-error = %s\n", p->datadir,
            p->socket, p->pidfile, p->errlog);
    if (db->address)
        fprintf(f, "bind-address = %s\nport = %u\n", db->host, db->port);
    else
        fprintf(f, "skip-networking\n");
    if (geteuid() == 0)
        fprintf(f, "user = root\n");
    /* Durability: a committed transaction survives kill -9 and power loss. */
    fprintf(f, "innodb_flush_log_at_trx_commit = 1\nsync_binlog = 1\n"
            "log-bin = %s/binlog\nserver-id = 1\nbinlog_format = ROW\n", p->datadir);
    fprintf(f, "slow_query_log = ON\nslow_query_log_file = %s\nlong_query_time = 1\n",
            p->slowlog);
    if (p->key_file[0])
        fprintf(f, "plugin_load_add = file_key_management\n"
                "file_key_management_filename = %s\n"
                "innodb_encrypt_tables = FORCE\ninnodb_encrypt_log = ON\n"
                "innodb_encryption_threads = 2\nencrypt_binlog = ON\nencrypt_tmp_files = ON\n"
                "encrypt_tmp_disk_tables = ON\naria_encrypt_tables = ON\n", p->key_file);
    for (unsigned i = 0; i < db->nparams; i++)
        fprintf(f, "%s = %s\n", db->params[i].name, db->params[i].value);
    fclose(f);
    rc = mariadb_write_file(p->cnf, text, 0640);
    free(text);
    if (rc < 0)
        snprintf(err, errlen, "cannot write %s: %s", p->cnf, strerror(-rc));
    return rc;
}

static bool
mariadb_is_initialised(const char *datadir)
{
    char path[PATH_MAX + 16];
    struct stat st;

    snprintf(path, sizeof(path), "%s/mysql", datadir);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
mariadb_rmtree(const char *dir)
{
    char *const argv[] = { "rm", "-rf", "--", (char *)dir, NULL };

    return proc_run(argv, NULL, NULL, 0, 60000) == 0 ? 0 : -EIO;
}

bool
mariadb_datadir_ready(const struct mariadb_paths *p)
{
    return mariadb_is_initialised(p->datadir);
}

int
mariadb_init_datadir(const struct mariadb_paths *p, char *err, size_t errlen)
{
    char scratch[PATH_MAX + 8], arg_cnf[PATH_MAX + 20], arg_dir[PATH_MAX + 20], out[2048];
    int rc;

    if (mariadb_is_initialised(p->datadir))
        return 0;
    snprintf(scratch, sizeof(scratch), "%s.init", p->datadir);
    mariadb_rmtree(scratch);            /* what an interrupted initialisation left */
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%s", p->datadir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if ((rc = mariadb_mkdirs(parent, 0750)) < 0) {
            snprintf(err, errlen, "cannot create %s: %s", parent, strerror(-rc));
            return rc;
        }
    }
    rmdir(p->datadir);                  /* an empty datadir someone made for us */
    if (access(p->datadir, F_OK) == 0) {
        snprintf(err, errlen, "datadir %s exists but holds no database (no mysql/); tierd "
                 "never writes over a directory it did not create: empty it or point "
                 "datadir: elsewhere", p->datadir);
        return -EEXIST;
    }
    snprintf(arg_cnf, sizeof(arg_cnf), "--defaults-file=%s", p->cnf);
    snprintf(arg_dir, sizeof(arg_dir), "--datadir=%s", scratch);
    char *const argv[] = { "mariadb-install-db", arg_cnf, arg_dir,
                           "--auth-root-authentication-method=socket", "--skip-test-db",
                           "--skip-name-resolve", NULL };
    rc = proc_run(argv, NULL, out, sizeof(out), MARIADB_INIT_TIMEOUT_MS);
    if (rc != 0) {
        char st[32];
        const char *last = out;
        for (char *q = out; (q = strstr(q, "\n")) && q[1]; q++)
            last = q + 1;
        snprintf(err, errlen, "mariadb-install-db failed (%s): %.300s",
                 rc < 0 ? strerror(-rc) : proc_status_text(rc, st, sizeof(st)), last);
        mariadb_rmtree(scratch);
        return -EIO;
    }
    if (rename(scratch, p->datadir) < 0) {
        rc = -errno;
        snprintf(err, errlen, "cannot rename %s to %s: %s", scratch, p->datadir,
                 strerror(errno));
        return rc;
    }
    return 0;
}

pid_t
mariadb_spawn(const struct mariadb_paths *p, bool detached)
{
    char arg_cnf[PATH_MAX + 20];

    snprintf(arg_cnf, sizeof(arg_cnf), "--defaults-file=%s", p->cnf);
    char *const argv[] = { "mariadbd", arg_cnf, NULL };
    return proc_spawn(argv, p->errlog, detached);
}

bool
mariadb_is_ours(const struct mariadb_paths *p, pid_t pid)
{
    char arg_cnf[PATH_MAX + 20];

    snprintf(arg_cnf, sizeof(arg_cnf), "--defaults-file=%s", p->cnf);
    return proc_runs_with(pid, arg_cnf);
}

pid_t
mariadb_running(const struct mariadb_paths *p)
{
    char buf[32];
    FILE *f = fopen(p->pidfile, "r");

    if (!f)
        return 0;
    pid_t pid = fgets(buf, sizeof(buf), f) ? (pid_t)strtol(buf, NULL, 10) : 0;
    fclose(f);
    return pid > 0 && mariadb_is_ours(p, pid) && mariadb_ping(p) ? pid : 0;
}

bool
mariadb_ping(const struct mariadb_paths *p)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    if (fd < 0)
        return false;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->socket);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

/* Blanks every occurrence of each secret in s (in place). */
static void
mariadb_scrub(char *s, const char *const *secrets)
{
    for (const char *const *k = secrets; k && *k; k++) {
        size_t n = strlen(*k);
        if (n == 0)
            continue;
        for (char *q = strstr(s, *k); q; q = strstr(q + n, *k))
            memset(q, '*', n);
    }
}

int
mariadb_sql(const struct mariadb_paths *p, const char *sql, const char *const *secrets,
            char *out, size_t outlen, char *err, size_t errlen)
{
    char arg_sock[160], arg_user[80], buf[4096];
    struct passwd *pw = getpwuid(geteuid());

    snprintf(arg_sock, sizeof(arg_sock), "--socket=%s", p->socket);
    snprintf(arg_user, sizeof(arg_user), "--user=%s", pw ? pw->pw_name : "root");
    char *const argv[] = { "mariadb", "--no-defaults", arg_sock, arg_user, "--batch",
                           "--skip-column-names", NULL };
    char *o = out ? out : buf;
    size_t ol = out ? outlen : sizeof(buf);
    int rc = proc_run(argv, sql, o, ol, MARIADB_SQL_TIMEOUT_MS);
    if (rc == 0)
        return 0;
    mariadb_scrub(o, secrets);
    char st[32];
    /* The client may echo the failed statement between dashes first: the ERROR line is
     * the one that says why. */
    const char *line = strncmp(o, "ERROR ", 6) == 0 ? o : strstr(o, "\nERROR ");
    line = line ? line + (line[0] == '\n') : o;
    snprintf(err, errlen, "%.*s", (int)strcspn(line, "\n"),
             rc < 0 ? strerror(-rc) : (line[0] ? line : proc_status_text(rc, st, sizeof(st))));
    return -EIO;
}

/* Appends s to f as an SQL string literal. */
static void
mariadb_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

int
mariadb_provision(const struct mariadb_paths *p, const struct data_db_conf *db, char *err,
                  size_t errlen)
{
    char *sql = NULL, missing[160];
    size_t len = 0;
    const char **secrets = mem_alloc_or_exit((db->nusers + 1) * sizeof(char *));
    char **pw = mem_alloc_or_exit((db->nusers + 1) * sizeof(char *));
    FILE *f = open_memstream(&sql, &len);
    int rc = 0;

    for (unsigned i = 0; i < db->nschemas; i++)
        fprintf(f, "CREATE DATABASE IF NOT EXISTS `%s`;\n", db->schemas[i]);
    unsigned n = 0;
    for (unsigned i = 0; i < db->nusers; i++) {
        const struct data_user *u = &db->users[i];
        if (!(pw[n] = conf_ref_expand(u->password, missing, sizeof(missing)))) {
            snprintf(err, errlen, "database %s: user %s: password: environment variable %s "
                     "is not set in tierd's environment", db->name, u->name,
                     errno == ENOENT ? missing : "(malformed reference)");
            rc = -ENOKEY;
            break;
        }
        secrets[n] = pw[n];
        fprintf(f, "CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY ", u->name, u->host);
        mariadb_quote(f, pw[n]);
        fprintf(f, ";\nALTER USER '%s'@'%s' IDENTIFIED BY ", u->name, u->host);
        mariadb_quote(f, pw[n]);
        fprintf(f, ";\n");
        n++;
        for (unsigned j = 0; j < u->ngrants; j++)
            fprintf(f, "GRANT %s TO '%s'@'%s';\n", u->grants[j], u->name, u->host);
    }
    secrets[n] = NULL;
    fclose(f);
    if (rc == 0 && mariadb_sql(p, sql, secrets, NULL, 0, err, errlen) < 0)
        rc = -EIO;
    memset(sql, 0, len);
    free(sql);
    for (unsigned i = 0; i < n; i++) {
        memset(pw[i], 0, strlen(pw[i]));
        free(pw[i]);
    }
    free(pw);
    free(secrets);
    return rc;
}

/* Writes p's client option file for an external server: the first declared user, its
 * password expanded now, and where the server is, mode 0600 (a secret never goes on a
 * command line). 0 or -errno with err. */
static int
mariadb_client_cnf(const struct mariadb_paths *p, const struct data_db_conf *db, char *path,
                   size_t pathlen, char *err, size_t errlen)
{
    char missing[160], tmp[PATH_MAX + 48];

    if (db->nusers == 0) {
        snprintf(err, errlen, "external database %s: declare a user (users:) for tierd to "
                 "connect as", db->name);
        return -EINVAL;
    }
    const struct data_user *u = &db->users[0];
    char *pw = conf_ref_expand(u->password, missing, sizeof(missing));
    if (!pw) {
        snprintf(err, errlen, "database %s: user %s: password: environment variable %s is "
                 "not set in tierd's environment", db->name, u->name, missing);
        return -ENOKEY;
    }
    snprintf(path, pathlen, "%s/%s.client.cnf", p->dir, db->name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    mariadb_mkdirs(p->dir, 0750);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        memset(pw, 0, strlen(pw));
        free(pw);
        return -EIO;
    }
    fprintf(f, "[client]\nuser = %s\npassword = \"", u->name);
    for (const char *c = pw; *c; c++)
        fprintf(f, (*c == '"' || *c == '\\') ? "\\%c" : "%c", *c);
    fprintf(f, "\"\n");
    if (db->socket && !db->address)
        fprintf(f, "socket = %s\n", db->socket);
    else
        fprintf(f, "host = %s\nport = %u\nprotocol = tcp\n", db->host, db->port);
    memset(pw, 0, strlen(pw));
    free(pw);
    if (fclose(f) != 0 || rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -EIO;
    }
    return 0;
}

int
mariadb_sql_external(const struct mariadb_paths *p, const struct data_db_conf *db,
                     const char *sql, char *out, size_t outlen, char *err, size_t errlen)
{
    char cnf[PATH_MAX + 32], arg[PATH_MAX + 64], buf[4096];
    int rc = mariadb_client_cnf(p, db, cnf, sizeof(cnf), err, errlen);

    if (rc < 0)
        return rc;
    snprintf(arg, sizeof(arg), "--defaults-file=%s", cnf);
    char *const argv[] = { "mariadb", arg, "--batch", "--skip-column-names",
                           "--connect-timeout=5", NULL };
    char *o = out ? out : buf;
    size_t ol = out ? outlen : sizeof(buf);
    rc = proc_run(argv, sql, o, ol, MARIADB_SQL_TIMEOUT_MS);
    if (rc == 0)
        return 0;
    const char *line = strncmp(o, "ERROR ", 6) == 0 ? o : strstr(o, "\nERROR ");
    line = line ? line + (line[0] == '\n') : o;
    char st[32];
    snprintf(err, errlen, "%.*s", (int)strcspn(line, "\n"),
             rc < 0 ? strerror(-rc) : (line[0] ? line : proc_status_text(rc, st, sizeof(st))));
    return -EIO;
}
