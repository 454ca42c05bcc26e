/*
 * cli/planapply.c: the plan and apply verbs. Reads the stack file, POSTs it to /v1/plan,
 * prints the plan (cli/planview.c); apply then asks on the terminal (unless
 * --auto-approve; with no terminal it refuses, as terraform -input=false does) and POSTs
 * the same text with the plan's base to /v1/apply, so that a configuration changed in
 * between is refused rather than overwritten unseen.
 */
#include "cli/planapply.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/planview.h"
#include "ctl/ctl_conf.h"

#define PLANAPPLY_FILE_MAX_BYTES (900u << 10)   /* the control API takes 1 MiB bodies */

struct opts {
    bool apply, json, auto_approve;
    const char *file;
    const char *socket_flag;
};

static int
usage(const char *verb, const char *what, const char *arg)
{
    fprintf(stderr, "tierd %s: %s \"%s\"\n", verb, what, arg);
    fprintf(stderr, "usage: tierd plan [FILE] [--json] [--socket PATH]\n"
                    "       tierd apply [FILE] [--auto-approve] [--socket PATH]\n");
    return 1;
}

static int
parse(int argc, char **argv, struct opts *o)
{
    const char *verb = argv[0];

    o->apply = strcmp(verb, "apply") == 0;
    o->file = "tierd.yaml";
    bool have_file = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0 && !o->apply) {
            o->json = true;
        } else if (o->apply && (strcmp(a, "--auto-approve") == 0 ||
                                strcmp(a, "-auto-approve") == 0)) {
            o->auto_approve = true;
        } else if (strcmp(a, "--socket") == 0 || strncmp(a, "--socket=", 9) == 0) {
            if (a[8] == '=')
                o->socket_flag = a + 9;
            else if (i + 1 < argc)
                o->socket_flag = argv[++i];
            else
                return usage(verb, "a path must follow", a);
        } else if (a[0] == '-' && a[1]) {
            return usage(verb, "unknown option", a);
        } else if (!have_file) {
            o->file = a;
            have_file = true;
        } else {
            return usage(verb, "unexpected argument", a);
        }
    }
    return -1;
}

/* The file as a JSON string; NULL after printing why. */
static json_t *
read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;

    if (!f) {
        fprintf(stderr, "tierd: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    buf = malloc(PLANAPPLY_FILE_MAX_BYTES + 1);
    n = buf ? fread(buf, 1, PLANAPPLY_FILE_MAX_BYTES + 1, f) : 0;
    bool bad = !buf || ferror(f);
    fclose(f);
    if (bad || n > PLANAPPLY_FILE_MAX_BYTES) {
        fprintf(stderr, "tierd: cannot read %s: %s\n", path,
                bad ? "read error" : "larger than 900 KiB");
        free(buf);
        return NULL;
    }
    json_t *s = json_stringn(buf, n);
    free(buf);
    if (!s)
        fprintf(stderr, "tierd: %s is not valid UTF-8 text\n", path);
    return s;
}

/* POSTs body to path; 0 with *r filled, or 1 after printing why (the daemon's errors,
 * each "file:line:col: message" for an invalid file). */
static int
post(const char *socket, const char *path, json_t *body, struct client_reply *r)
{
    char err[256];
    char *text = json_dumps(body, JSON_COMPACT);
    int rc = text ? client_request(socket, "POST", path, text, r, err, sizeof(err)) : -ENOMEM;

    free(text);
    if (rc < 0) {
        if (rc == -ENOMEM)
            snprintf(err, sizeof(err), "out of memory");
        err[0] = (char)tolower((unsigned char)err[0]);
        fprintf(stderr, "tierd: cannot reach the daemon at %s: %s (is \"tierd run\" "
                        "running?)\n", socket, err);
        return 1;
    }
    if (r->status == 200 && r->json)
        return 0;
    json_t *e, *msg = json_object_get(json_object_get(r->json, "error"), "message");
    size_t i;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
        fprintf(stderr, "%s\n", json_string_value(e));
    if (json_is_string(msg))
        fprintf(stderr, "tierd: %s\n", json_string_value(msg));
    else
        fprintf(stderr, "tierd: the daemon answered %d with %s\n", r->status,
                r->json ? "an unexpected body" : "a body that is not JSON");
    client_reply_fini(r);
    return 1;
}

/* Asks on the terminal; true when the answer is exactly "yes". */
static bool
confirm(void)
{
    char line[64];

    printf("\nDo you want to perform these actions? Only 'yes' will be accepted to approve.\n"
           "\n  Enter a value: ");
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin))
        return false;
    line[strcspn(line, "\r\n")] = '\0';
    return strcmp(line, "yes") == 0;
}

static int
run(const struct opts *o, const char *socket)
{
    struct client_reply r;
    json_t *text = read_file(o->file);
    bool color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");

    if (!text)
        return 1;
    json_t *body = json_pack("{s:O, s:s}", "text", text, "path", o->file);
    int rc = post(socket, "/v1/plan", body, &r);
    if (rc != 0)
        goto out;
    bool changes = json_is_true(json_object_get(r.json, "changes"));
    if (o->json) {
        fwrite(r.body, 1, r.body_len, stdout);
        if (r.body_len && r.body[r.body_len - 1] != '\n')
            putchar('\n');
    } else {
        planview_print(r.json, o->file, color, stdout);
    }
    if (!o->apply) {
        rc = changes ? 2 : 0;
        client_reply_fini(&r);
        goto out;
    }
    json_object_set(body, "base", json_object_get(r.json, "base"));
    client_reply_fini(&r);
    if (!changes)
        goto out;
    if (!o->auto_approve) {
        if (!isatty(STDIN_FILENO)) {
            fprintf(stderr, "\ntierd apply: no terminal to ask for approval on; nothing was "
                            "applied. Run \"tierd apply %s --auto-approve\" to apply without "
                            "asking.\n", o->file);
            rc = 1;
            goto out;
        }
        if (!confirm()) {
            fprintf(stderr, "\nApply cancelled.\n");
            rc = 1;
            goto out;
        }
    }
    if ((rc = post(socket, "/v1/apply", body, &r)) != 0)
        goto out;
    json_t *sum = json_object_get(json_object_get(r.json, "plan"), "summary");
    printf("\n%sApply complete! Resources: %lld added, %lld changed, %lld destroyed.%s\n",
           color ? "\033[1;32m" : "",
           (long long)json_integer_value(json_object_get(sum, "add")),
           (long long)json_integer_value(json_object_get(sum, "change")),
           (long long)json_integer_value(json_object_get(sum, "destroy")),
           color ? "\033[0m" : "");
    client_reply_fini(&r);
out:
    json_decref(body);
    json_decref(text);
    return rc;
}

int
planapply_main(int argc, char **argv)
{
    struct opts o = { 0 };
    char socket[PATH_MAX];
    const char *env = getenv("TIERD_SOCKET");
    int rc = parse(argc, argv, &o);

    if (rc >= 0)
        return rc;
    /* The socket: --socket, $TIERD_SOCKET, control.socket of FILE, else the default. */
    if (o.socket_flag && *o.socket_flag)
        snprintf(socket, sizeof(socket), "%s", o.socket_flag);
    else if (env && *env)
        snprintf(socket, sizeof(socket), "%s", env);
    else if (ctl_conf_socket_of(o.file, socket, sizeof(socket)) != 0)
        client_socket_path(NULL, socket, sizeof(socket));
    return run(&o, socket);
}
