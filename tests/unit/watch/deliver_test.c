/* tests/unit/watch/deliver_test.c: a queued transition reaches a real local HTTP receiver
 * (a thread here) and a command: the receiver fails the first try, the retry comes after
 * about a second with the same MessageId, signed; every attempt is recorded. */
#include "watch/deliver.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "core/clock.h"
#include "watch/sns.h"

struct receiver {
    int fd;
    unsigned n;                 /* requests seen */
    char id[2][64], sig[2][80], type[2][40];
    char body[2][8192];
};

/* Copies the value of header `name` (case-insensitive) from a request head. */
static void
header(const char *head, const char *name, char *out, size_t len)
{
    size_t n = strlen(name);

    out[0] = '\0';
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n, *e = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            snprintf(out, len, "%.*s", (int)(e - v), v);
            return;
        }
}

static void *
receiver_main(void *arg)
{
    struct receiver *r = arg;

    for (unsigned i = 0; i < 2; i++) {
        int c = accept(r->fd, NULL, NULL);
        char req[16384], cl[32];
        size_t got = 0;
        if (c < 0)
            return NULL;
        for (;;) {
            ssize_t k = read(c, req + got, sizeof(req) - 1 - got);
            if (k <= 0)
                break;
            got += (size_t)k;
            req[got] = '\0';
            char *end = strstr(req, "\r\n\r\n");
            if (!end)
                continue;
            header(req, "Content-Length", cl, sizeof(cl));
            if (got >= (size_t)(end + 4 - req) + strtoul(cl, NULL, 10))
                break;
        }
        header(req, "x-amz-sns-message-id", r->id[i], sizeof(r->id[i]));
        header(req, "X-Tierd-Signature", r->sig[i], sizeof(r->sig[i]));
        header(req, "Content-Type", r->type[i], sizeof(r->type[i]));
        char *end = strstr(req, "\r\n\r\n");
        snprintf(r->body[i], sizeof(r->body[i]), "%s", end ? end + 4 : "");
        const char *resp = i == 0 ? "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"
                                  : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        if (write(c, resp, strlen(resp)) < 0)
            break;
        close(c);
        __atomic_store_n(&r->n, i + 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

struct run {
    struct loop_timer t;
    sqlite3 *check;
    uint64_t deadline;
};

static int
count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int n = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void
on_check(struct loop *l, struct loop_timer *t)
{
    struct run *r = (struct run *)t;

    if (count(r->check, "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'") == 0 ||
        clock_mono_ms() > r->deadline) {
        loop_stop(l);
        return;
    }
    loop_timer_start(l, t, 20, on_check);
}

TEST(watch_deliver_retries_a_webhook_and_runs_a_command)
{
    char dir[] = "/tmp/watch-deliver-XXXXXX", path[256], url[128], out[300], err[256];
    struct receiver rcv = { 0 };
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
    socklen_t slen = sizeof(sa);
    pthread_t th;

    EXPECT_TRUE(mkdtemp(dir) != NULL);
    rcv.fd = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(bind(rcv.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    EXPECT_EQ(listen(rcv.fd, 8), 0);
    getsockname(rcv.fd, (struct sockaddr *)&sa, &slen);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", ntohs(sa.sin_port));
    pthread_create(&th, NULL, receiver_main, &rcv);

    /* One topic: a signed webhook and a command that saves its stdin. */
    snprintf(out, sizeof(out), "cat > %s/stdin.json", dir);
    char *argv[] = { "/bin/sh", "-c", out, NULL };
    struct watch_sub subs[2] = {
        { .kind = WATCH_SUB_WEBHOOK, .endpoint = url, .secret = "k" },
        { .kind = WATCH_SUB_COMMAND, .endpoint = "[\"/bin/sh\",\"-c\",\"...\"]", .argv = argv },
    };
    struct watch_topic topic = { "ops", subs, 2 };
    struct watch_conf conf = { .topics = &topic, .ntopics = 1 };
    struct watch_alarm_conf ac = { .name = "high-cpu", .metric = "cpu_utilization",
                                   .period_s = 60, .hash = "h" };
    ac.rule = (struct alarm_rule){ ALARM_CMP_GT, 80, 1, 1, ALARM_MISSING_MISSING };

    snprintf(path, sizeof(path), "%s/watch.db", dir);
    struct store *db = store_open(path, err, sizeof(err));
    EXPECT_TRUE(db != NULL);
    struct store_alarm sa0 = { .hash = "h", .state = ALARM_STATE_OK, .reason = "r" };
    EXPECT_EQ(store_alarm_put(db, "high-cpu", &sa0), 0);

    uint64_t now = clock_wall_ms();
    struct alarm_transition t = { .old_state = ALARM_STATE_OK, .new_state = ALARM_STATE_ALARM,
                                  .reason = "Threshold Crossed", .at_ms = now };
    char *msg = sns_alarm_message(&ac, &t, now);
    struct store_delivery dl[2];
    char *bodies[2];
    for (int i = 0; i < 2; i++) {
        memset(&dl[i], 0, sizeof(dl[i]));
        sns_uuid4(dl[i].message_id);
        dl[i].alarm = "high-cpu";
        dl[i].topic = "ops";
        dl[i].kind = subs[i].kind;
        dl[i].endpoint = subs[i].endpoint;
        dl[i].subject = "ALARM: \"high-cpu\" in tierd";
        dl[i].message = msg;
        bodies[i] = sns_envelope(dl[i].message_id, "ops", dl[i].subject, msg, now);
        dl[i].body = bodies[i];
        dl[i].queued_ms = now;
    }
    EXPECT_EQ(store_transition(db, &ac, &t, "[]", dl, 2), 0);

    struct loop *l = loop_new();
    struct deliver *dv = deliver_new(l, db);
    struct run run = { .deadline = clock_mono_ms() + 4000 };
    deliver_set_conf(dv, &conf);
    sqlite3_open(path, &run.check);
    loop_timer_start(l, &run.t, 20, on_check);
    uint64_t t0 = clock_mono_ms();
    loop_run(l);
    uint64_t took = clock_mono_ms() - t0;

    EXPECT_EQ(count(run.check, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'"), 2);
    EXPECT_EQ(count(run.check, "SELECT attempts FROM deliveries WHERE kind = 0"), 2);
    EXPECT_EQ(count(run.check, "SELECT COUNT(*) FROM attempts WHERE status = 'pending'"), 1);
    EXPECT_EQ(count(run.check, "SELECT COUNT(*) FROM attempts WHERE result = 'HTTP 503'"), 1);
    EXPECT_EQ(count(run.check, "SELECT COUNT(*) FROM attempts WHERE result = 'exit 0'"), 1);
    EXPECT_TRUE(took >= 700 && took < 2500);          /* retried after ~1 s */
    pthread_join(th, NULL);
    EXPECT_EQ(rcv.n, 2);
    EXPECT_STREQ(rcv.id[0], dl[0].message_id);        /* stable across retries */
    EXPECT_STREQ(rcv.id[1], dl[0].message_id);
    EXPECT_STREQ(rcv.type[1], "text/plain; charset=UTF-8");
    EXPECT_STREQ(rcv.body[1], bodies[0]);
    char sig[65], want[80];
    sns_signature("k", bodies[0], strlen(bodies[0]), sig);
    snprintf(want, sizeof(want), "sha256=%s", sig);
    EXPECT_STREQ(rcv.sig[1], want);
    /* The command got the envelope on stdin. */
    char saved[8192] = "";
    snprintf(path, sizeof(path), "%s/stdin.json", dir);
    FILE *f = fopen(path, "r");
    EXPECT_TRUE(f != NULL);
    size_t n = fread(saved, 1, sizeof(saved) - 1, f);
    saved[n] = '\0';
    fclose(f);
    EXPECT_STREQ(saved, bodies[1]);

    sqlite3_close(run.check);
    deliver_free(dv);
    loop_free(l);
    store_close(db);
    close(rcv.fd);
    for (int i = 0; i < 2; i++)
        free(bodies[i]);
    free(msg);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    EXPECT_EQ(system(cmd), 0);
}

/* A minimal SMTP sink: answers one session and keeps the DATA. */
struct smtp_sink {
    int fd;
    char data[16384];
    char rcpt[128];
};

static void *
smtp_main(void *arg)
{
    struct smtp_sink *s = arg;
    int c = accept(s->fd, NULL, NULL);
    char line[4096];
    size_t got = 0;
    bool in_data = false;

    if (c < 0)
        return NULL;
    if (write(c, "220 sink\r\n", 10) < 0)
        goto out;
    for (;;) {
        ssize_t k = read(c, line + got, sizeof(line) - 1 - got);
        if (k <= 0)
            break;
        got += (size_t)k;
        line[got] = '\0';
        char *nl;
        while ((nl = strstr(line, "\r\n"))) {
            *nl = '\0';
            const char *reply = NULL;
            if (in_data) {
                if (strcmp(line, ".") == 0) {
                    in_data = false;
                    reply = "250 queued\r\n";
                } else {
                    strncat(s->data, line, sizeof(s->data) - strlen(s->data) - 3);
                    strcat(s->data, "\n");
                }
            } else if (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "HELO", 4) == 0) {
                reply = "250 sink\r\n";
            } else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
                snprintf(s->rcpt, sizeof(s->rcpt), "%.100s", line + 8);
                reply = "250 ok\r\n";
            } else if (strncasecmp(line, "DATA", 4) == 0) {
                in_data = true;
                reply = "354 go\r\n";
            } else if (strncasecmp(line, "QUIT", 4) == 0) {
                reply = "221 bye\r\n";
            } else {
                reply = "250 ok\r\n";
            }
            size_t used = (size_t)(nl + 2 - line);
            memmove(line, nl + 2, got - used + 1);
            got -= used;
            if (reply && write(c, reply, strlen(reply)) < 0)
                goto out;
            if (reply && reply[0] == '2' && reply[1] == '2' && reply[2] == '1')
                goto out;
        }
    }
out:
    close(c);
    return NULL;
}

TEST(watch_deliver_sends_email_through_smtp)
{
    char dir[] = "/tmp/watch-smtp-XXXXXX", path[256], url[128], err[256];
    struct smtp_sink sink = { 0 };
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
    socklen_t slen = sizeof(sa);
    pthread_t th;

    EXPECT_TRUE(mkdtemp(dir) != NULL);
    sink.fd = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(bind(sink.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    EXPECT_EQ(listen(sink.fd, 8), 0);
    getsockname(sink.fd, (struct sockaddr *)&sa, &slen);
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%u", ntohs(sa.sin_port));
    pthread_create(&th, NULL, smtp_main, &sink);

    struct watch_sub sub = { .kind = WATCH_SUB_EMAIL, .endpoint = "ops@example.com" };
    struct watch_topic topic = { "ops", &sub, 1 };
    struct watch_conf conf = { .topics = &topic, .ntopics = 1, .smtp_url = url,
                               .smtp_from = "tierd@example.com" };
    struct watch_alarm_conf ac = { .name = "high-cpu", .metric = "cpu_utilization",
                                   .period_s = 60, .hash = "h" };
    snprintf(path, sizeof(path), "%s/watch.db", dir);
    struct store *db = store_open(path, err, sizeof(err));
    struct store_alarm sa0 = { .hash = "h", .state = ALARM_STATE_OK, .reason = "r" };
    store_alarm_put(db, "high-cpu", &sa0);
    uint64_t now = clock_wall_ms();
    struct alarm_transition t = { .old_state = ALARM_STATE_OK, .new_state = ALARM_STATE_ALARM,
                                  .reason = "Threshold Crossed", .at_ms = now };
    char *msg = sns_alarm_message(&ac, &t, now);
    struct store_delivery d = { .alarm = "high-cpu", .topic = "ops", .endpoint = "ops@example.com",
                                .subject = "ALARM: \"high-cpu\" in tierd", .message = msg,
                                .body = "{}", .kind = WATCH_SUB_EMAIL, .queued_ms = now };
    sns_uuid4(d.message_id);
    EXPECT_EQ(store_transition(db, &ac, &t, "[]", &d, 1), 0);

    struct loop *l = loop_new();
    struct deliver *dv = deliver_new(l, db);
    struct run run = { .deadline = clock_mono_ms() + 3000 };
    deliver_set_conf(dv, &conf);
    sqlite3_open(path, &run.check);
    loop_timer_start(l, &run.t, 20, on_check);
    loop_run(l);
    EXPECT_EQ(count(run.check, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'"), 1);
    deliver_free(dv);           /* closes the cached SMTP connection: QUIT */
    pthread_join(th, NULL);
    EXPECT_STREQ(sink.rcpt, "<ops@example.com>");
    EXPECT_TRUE(strstr(sink.data, "Subject: ALARM: \"high-cpu\" in tierd\n") != NULL);
    EXPECT_TRUE(strstr(sink.data, "Content-Type: text/plain; charset=UTF-8\n") != NULL);
    EXPECT_TRUE(strstr(sink.data, "  \"AlarmName\": \"high-cpu\",\n") != NULL);

    sqlite3_close(run.check);
    loop_free(l);
    store_close(db);
    close(sink.fd);
    free(msg);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    EXPECT_EQ(system(cmd), 0);
}
