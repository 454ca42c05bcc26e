/*
 * cli/ask.c: argument parsing, the control-API call and table cells shared by the operator
 * verbs of cli/shieldverbs.c and cli/fleetverbs.c. Talks to the daemon only through
 * cli/client.c; never prints a table itself.
 */
#include "cli/ask.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

int
ask_usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "tierd: %s \"%s\"\n", what, arg);
    cli_usage(stderr);
    return 2;
}

/* If a is "--name" or "--name=V", returns the value (taking the next argument when needed;
 * NULL when it is missing) and sets *matched; else returns NULL with *matched false. */
static const char *
option_value(int argc, char **argv, int *i, const char *name, bool *matched)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    *matched = false;
    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return NULL;
    *matched = true;
    if (a[n] == '=')
        return a + n + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

int
ask_parse(int argc, char **argv, const char *const *names, unsigned max_pos,
          struct ask_opts *o)
{
    const char *socket_flag = NULL;

    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool matched = false;

        if (strcmp(a, "--json") == 0) {
            o->json = true;
            continue;
        }
        v = option_value(argc, argv, &i, "--socket", &matched);
        if (matched) {
            if (!v || !*v)
                return ask_usage_error("a path must follow", a);
            socket_flag = v;
            continue;
        }
        for (unsigned k = 0; names && names[k] && k < ASK_VALUES_MAX; k++) {
            v = option_value(argc, argv, &i, names[k], &matched);
            if (!matched)
                continue;
            if (!v)
                return ask_usage_error("a value must follow", a);
            o->values[k] = v;
            break;
        }
        if (matched)
            continue;
        if (a[0] == '-' && a[1] != '\0')
            return ask_usage_error("unknown option", a);
        if (o->npos >= max_pos || o->npos >= ASK_POS_MAX)
            return ask_usage_error("unexpected argument", a);
        o->pos[o->npos++] = a;
    }
    client_socket_path(socket_flag, o->socket, sizeof(o->socket));
    return -1;
}

int
ask_call(const struct ask_opts *o, const char *method, const char *path, const char *body,
         struct client_reply *r)
{
    char err[256];
    int rc = client_request(o->socket, method, path, body, r, err, sizeof(err));

    if (rc < 0) {
        bool unreachable = rc == -ECONNREFUSED || rc == -ENOENT || rc == -EACCES ||
                           rc == -ENOTDIR || rc == -EAGAIN || rc == -ENAMETOOLONG;
        if (unreachable) {
            err[0] = (char)tolower((unsigned char)err[0]);
            fprintf(stderr, "tierd: cannot reach the daemon at %s: %s (is \"tierd run\" "
                            "running?)\n", o->socket, err);
        } else {
            fprintf(stderr, "tierd: talking to the daemon at %s: %s\n", o->socket, err);
        }
        return 3;
    }
    if (o->json) {
        fwrite(r->body, 1, r->body_len, stdout);
        if (r->body_len && r->body[r->body_len - 1] != '\n')
            putchar('\n');
    }
    if (r->status >= 300 || !r->json) {
        json_t *msg = json_object_get(json_object_get(r->json, "error"), "message");
        if (json_is_string(msg))
            fprintf(stderr, "tierd: %s\n", json_string_value(msg));
        else
            fprintf(stderr, "tierd: the daemon answered %d with %s\n", r->status,
                    r->json ? "an unexpected body" : "a body that is not JSON");
        client_reply_fini(r);
        return 1;
    }
    return 0;
}

const char *
ask_str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && *s ? s : "-";
}

const char *
ask_num(json_t *obj, const char *key, char *buf, size_t n)
{
    json_t *v = json_object_get(obj, key);

    if (json_is_integer(v))
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%.1f", json_real_value(v));
    else
        snprintf(buf, n, "-");
    return buf;
}

const char *
ask_time(long long unix_s, char *buf, size_t n)
{
    time_t t = (time_t)unix_s;
    struct tm tm;

    if (unix_s <= 0 || !gmtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "-");
    return buf;
}

const char *
ask_span(long long s, char *buf, size_t n)
{
    if (s < 0)
        s = 0;
    if (s >= 86400)
        snprintf(buf, n, "%lldd %lldh", s / 86400, s % 86400 / 3600);
    else if (s >= 3600)
        snprintf(buf, n, "%lldh %lldm", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        snprintf(buf, n, "%lldm %llds", s / 60, s % 60);
    else
        snprintf(buf, n, "%llds", s);
    return buf;
}

void
ask_segment(const char *s, char *out, size_t n)
{
    size_t o = 0;

    for (; *s && o + 4 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ':')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, n - o, "%%%02X", ch);
    }
    out[o] = '\0';
}

int
ask_get_view(int argc, char **argv, const char *path, struct ask_opts *o,
             struct client_reply *r)
{
    int rc = ask_parse(argc, argv, NULL, 0, o);

    if (rc >= 0)
        return rc;
    if ((rc = ask_call(o, "GET", path, NULL, r)) != 0 || o->json) {
        if (rc == 0)
            client_reply_fini(r);
        return rc;
    }
    return -1;
}
