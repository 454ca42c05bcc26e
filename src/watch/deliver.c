/*
 * watch/deliver.c: sends queued notifications (see deliver.h). Owns the curl multi handle,
 * the jobs in flight and their child processes; borrows the loop, the database and the
 * configuration. The database row is the truth: a job in memory is only an attempt.
 */
#include "watch/deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "watch/retry.h"
#include "watch/sns.h"

extern char **environ;

#define DELIVER_POLL_MS 10
#define DELIVER_SCAN_MS 1000

struct deliver_job {
    struct deliver_job *next;
    struct deliver *dv;
    int64_t id;
    char message_id[37];
    char *alarm, *topic;
    enum watch_sub_kind kind;
    uint64_t queued_ms, started_ms;
    unsigned attempts;
    CURL *easy;
    struct curl_slist *headers, *rcpt;
    char *payload;              /* body (webhook, command) or email text */
    size_t len, off;
    char errbuf[CURL_ERROR_SIZE];
    pid_t pid;                  /* command */
    int stdin_fd;
    bool finished;
};

struct deliver {
    struct loop *loop;
    struct store *db;
    const struct watch_conf *conf;
    CURLM *multi;
    struct deliver_job *jobs;
    unsigned njobs;
    struct loop_timer scan, poll;
    uint64_t ok, failed;
};

static void deliver_on_scan(struct loop *l, struct loop_timer *t);
static void deliver_on_poll(struct loop *l, struct loop_timer *t);

struct deliver *
deliver_new(struct loop *l, struct store *db)
{
    struct deliver *dv = mem_alloc_or_exit(sizeof(*dv));

    dv->loop = l;
    dv->db = db;
    dv->multi = curl_multi_init();
    if (!dv->multi) {
        fprintf(stderr, "tierd: out of memory (curl_multi_init)\n");
        exit(1);
    }
    loop_timer_start(l, &dv->scan, 0, deliver_on_scan);
    return dv;
}

void
deliver_set_conf(struct deliver *dv, const struct watch_conf *c)
{
    dv->conf = c;
}

unsigned
deliver_inflight(const struct deliver *dv)
{
    return dv->njobs;
}

void
deliver_counts(const struct deliver *dv, uint64_t *ok, uint64_t *failed)
{
    *ok = dv->ok;
    *failed = dv->failed;
}

void
deliver_kick(struct deliver *dv)
{
    loop_timer_start(dv->loop, &dv->scan, 0, deliver_on_scan);
}

static void
deliver_job_free(struct deliver_job *j)
{
    if (j->easy) {
        curl_multi_remove_handle(j->dv->multi, j->easy);
        curl_easy_cleanup(j->easy);
    }
    curl_slist_free_all(j->headers);
    curl_slist_free_all(j->rcpt);
    if (j->stdin_fd >= 0)
        close(j->stdin_fd);
    free(j->payload);
    free(j->alarm);
    free(j->topic);
    free(j);
}

/* Records the attempt's outcome in the database and schedules a retry when it failed. */
static void
deliver_finish(struct deliver_job *j, bool ok, const char *result)
{
    struct deliver *dv = j->dv;
    uint64_t now = clock_wall_ms();
    const char *status = "delivered";
    uint64_t next = now;

    j->finished = true;
    if (ok) {
        dv->ok++;
        log_info("watch", "notification delivered alarm=%s topic=%s message_id=%s attempt=%u",
                 j->alarm, j->topic, j->message_id, j->attempts + 1);
    } else {
        uint32_t rnd = 0;
        dv->failed++;
        if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
            rnd = (uint32_t)now;
        if (retry_is_expired(j->queued_ms, now)) {
            status = "failed";
            log_error("watch", "notification given up alarm=%s topic=%s message_id=%s "
                      "attempts=%u result=\"%s\"", j->alarm, j->topic, j->message_id,
                      j->attempts + 1, result);
        } else {
            status = "pending";
            next = now + retry_delay_ms(j->attempts + 1, rnd);
            log_warn("watch", "notification failed alarm=%s topic=%s message_id=%s attempt=%u "
                     "result=\"%s\" retry_in_ms=%llu", j->alarm, j->topic, j->message_id,
                     j->attempts + 1, result, (unsigned long long)(next - now));
        }
    }
    store_attempt(dv->db, j->id, now, status, result, next);
}

static const struct watch_sub *
deliver_find_sub(const struct deliver *dv, const char *topic, enum watch_sub_kind kind,
                 const char *endpoint)
{
    const struct watch_topic *t = dv->conf ? watch_conf_topic(dv->conf, topic) : NULL;

    for (unsigned i = 0; t && i < t->nsubs; i++)
        if (t->subs[i].kind == kind && strcmp(t->subs[i].endpoint, endpoint) == 0)
            return &t->subs[i];
    return NULL;
}

static size_t
deliver_on_read(char *dst, size_t size, size_t n, void *ctx)
{
    struct deliver_job *j = ctx;
    size_t want = size * n, left = j->len - j->off;

    if (want > left)
        want = left;
    memcpy(dst, j->payload + j->off, want);
    j->off += want;
    return want;
}

static size_t
deliver_on_discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

static int
deliver_start_webhook(struct deliver_job *j, const struct store_delivery *d,
                      const struct watch_sub *sub)
{
    char h[512], arn[320];

    j->payload = mem_strdup_or_exit(d->body);
    j->len = strlen(j->payload);
    j->easy = curl_easy_init();
    if (!j->easy)
        return -ENOMEM;
    sns_topic_arn(d->topic, arn, sizeof(arn));
    j->headers = curl_slist_append(j->headers, "Content-Type: text/plain; charset=UTF-8");
    j->headers = curl_slist_append(j->headers, "User-Agent: tierd (Amazon Simple Notification "
                                               "Service Agent compatible)");
    j->headers = curl_slist_append(j->headers, "x-amz-sns-message-type: Notification");
    snprintf(h, sizeof(h), "x-amz-sns-message-id: %s", d->message_id);
    j->headers = curl_slist_append(j->headers, h);
    snprintf(h, sizeof(h), "x-amz-sns-topic-arn: %s", arn);
    j->headers = curl_slist_append(j->headers, h);
    j->headers = curl_slist_append(j->headers, "Expect:");
    if (sub->secret) {
        char sig[65];
        sns_signature(sub->secret, j->payload, j->len, sig);
        snprintf(h, sizeof(h), "X-Tierd-Signature: sha256=%s", sig);
        j->headers = curl_slist_append(j->headers, h);
    }
    curl_easy_setopt(j->easy, CURLOPT_URL, sub->url ? sub->url : d->endpoint);
    curl_easy_setopt(j->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->payload);
    curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->len);
    curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
    curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, deliver_on_discard);
    curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, (long)DELIVER_TIMEOUT_MS);
    curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
    return curl_multi_add_handle(j->dv->multi, j->easy) == CURLM_OK ? 0 : -EIO;
}

char *
deliver_email_text(const char *from, const char *to, const char *subject,
                   const char *message_id, const char *message, uint64_t wall_ms)
{
    json_t *j = json_loads(message, 0, NULL);
    char *pretty = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    const char *body = pretty ? pretty : message;
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    char date[64];

    json_decref(j);
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    /* SMTP wants CRLF line ends. */
    size_t cap = strlen(body) * 2 + strlen(subject) + strlen(from) + strlen(to) + 512;
    char *out = mem_alloc_or_exit(cap);
    int n = snprintf(out, cap, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
                     "Message-ID: <%s@tierd>\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=UTF-8\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n\r\n", date, from, to, subject,
                     message_id);
    size_t p = n > 0 ? (size_t)n : 0;
    for (const char *q = body; *q && p + 4 < cap; q++) {
        if (*q == '\n')
            out[p++] = '\r';
        out[p++] = *q;
    }
    out[p++] = '\r';
    out[p++] = '\n';
    out[p] = '\0';
    free(pretty);
    return out;
}

static int
deliver_start_email(struct deliver_job *j, const struct store_delivery *d)
{
    const struct watch_conf *c = j->dv->conf;
    char addr[320];

    if (!c->smtp_url || !c->smtp_from)
        return -EINVAL;
    j->payload = deliver_email_text(c->smtp_from, d->endpoint, d->subject, d->message_id,
                                    d->message, clock_wall_ms());
    j->len = strlen(j->payload);
    j->easy = curl_easy_init();
    if (!j->easy)
        return -ENOMEM;
    snprintf(addr, sizeof(addr), "<%s>", d->endpoint);
    j->rcpt = curl_slist_append(NULL, addr);
    snprintf(addr, sizeof(addr), "<%s>", c->smtp_from);
    curl_easy_setopt(j->easy, CURLOPT_URL, c->smtp_url);
    /* SMTP AUTH (smtp.username, smtp.password); libcurl copies both. Credentials inside
     * the url, when given there instead, are libcurl's to use as well. */
    if (c->smtp_username)
        curl_easy_setopt(j->easy, CURLOPT_USERNAME, c->smtp_username);
    if (c->smtp_password)
        curl_easy_setopt(j->easy, CURLOPT_PASSWORD, c->smtp_password);
    curl_easy_setopt(j->easy, CURLOPT_MAIL_FROM, addr);
    curl_easy_setopt(j->easy, CURLOPT_MAIL_RCPT, j->rcpt);
    curl_easy_setopt(j->easy, CURLOPT_READFUNCTION, deliver_on_read);
    curl_easy_setopt(j->easy, CURLOPT_READDATA, j);
    curl_easy_setopt(j->easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, (long)DELIVER_TIMEOUT_MS);
    curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
    return curl_multi_add_handle(j->dv->multi, j->easy) == CURLM_OK ? 0 : -EIO;
}

static int
deliver_start_command(struct deliver_job *j, const struct store_delivery *d,
                      const struct watch_sub *sub)
{
    posix_spawn_file_actions_t fa;
    int p[2], rc;

    j->payload = mem_strdup_or_exit(d->body);
    j->len = strlen(j->payload);
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    rc = posix_spawnp(&j->pid, sub->argv[0], &fa, NULL, sub->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[0]);
    if (rc != 0) {
        close(p[1]);
        j->pid = 0;
        return -rc;
    }
    j->stdin_fd = p[1];
    fcntl(j->stdin_fd, F_SETFL, fcntl(j->stdin_fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

/* Writes what the pipe takes; closes it when all is written or the reader left. */
static void
deliver_feed_stdin(struct deliver_job *j)
{
    while (j->stdin_fd >= 0 && j->off < j->len) {
        ssize_t n = write(j->stdin_fd, j->payload + j->off, j->len - j->off);
        if (n > 0) {
            j->off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        break;      /* EPIPE: the command does not read its stdin; its exit status decides */
    }
    if (j->stdin_fd >= 0) {
        close(j->stdin_fd);
        j->stdin_fd = -1;
    }
}

static void
deliver_start(void *ctx, const struct store_delivery *d)
{
    struct deliver *dv = ctx;
    struct deliver_job *j = mem_alloc_or_exit(sizeof(*j));
    const struct watch_sub *sub = deliver_find_sub(dv, d->topic, d->kind, d->endpoint);
    int rc;

    j->dv = dv;
    j->id = d->id;
    memcpy(j->message_id, d->message_id, sizeof(j->message_id));
    j->alarm = mem_strdup_or_exit(d->alarm);
    j->topic = mem_strdup_or_exit(d->topic);
    j->kind = d->kind;
    j->queued_ms = d->queued_ms;
    j->started_ms = clock_wall_ms();
    j->attempts = d->attempts;
    j->stdin_fd = -1;
    j->next = dv->jobs;
    dv->jobs = j;
    dv->njobs++;
    if (!sub) {
        /* The subscription left the stack file: nobody to send to any more. */
        log_warn("watch", "notification dropped alarm=%s topic=%s message_id=%s: the "
                 "subscription was removed", d->alarm, d->topic, d->message_id);
        j->finished = true;
        store_attempt(dv->db, j->id, j->started_ms, "dropped", "subscription removed",
                      j->started_ms);
        return;
    }
    switch (d->kind) {
    case WATCH_SUB_WEBHOOK:
        rc = deliver_start_webhook(j, d, sub);
        break;
    case WATCH_SUB_EMAIL:
        rc = deliver_start_email(j, d);
        break;
    case WATCH_SUB_COMMAND:
        rc = deliver_start_command(j, d, sub);
        break;
    default:
        rc = -EINVAL;
        break;
    }
    if (rc < 0) {
        char why[128];
        snprintf(why, sizeof(why), "could not start: %s", strerror(-rc));
        deliver_finish(j, false, why);
    }
}

/* Frees finished jobs. */
static void
deliver_reap(struct deliver *dv)
{
    for (struct deliver_job **pp = &dv->jobs; *pp;) {
        struct deliver_job *j = *pp;
        if (!j->finished) {
            pp = &j->next;
            continue;
        }
        *pp = j->next;
        dv->njobs--;
        deliver_job_free(j);
    }
}

static void
deliver_check_commands(struct deliver *dv, uint64_t now)
{
    for (struct deliver_job *j = dv->jobs; j; j = j->next) {
        int status;
        if (j->finished || j->kind != WATCH_SUB_COMMAND || j->pid <= 0)
            continue;
        deliver_feed_stdin(j);
        pid_t r = waitpid(j->pid, &status, WNOHANG);
        if (r == j->pid) {
            char why[64];
            j->pid = 0;
            if (WIFEXITED(status))
                snprintf(why, sizeof(why), "exit %d", WEXITSTATUS(status));
            else
                snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
            deliver_finish(j, WIFEXITED(status) && WEXITSTATUS(status) == 0, why);
        } else if (r < 0 && errno == ECHILD) {
            j->pid = 0;
            deliver_finish(j, false, "exit status lost (reaped elsewhere)");
        } else if (now - j->started_ms > DELIVER_COMMAND_TIMEOUT_MS) {
            kill(j->pid, SIGKILL);
            waitpid(j->pid, &status, 0);    /* SIGKILLed: returns at once */
            j->pid = 0;
            deliver_finish(j, false, "timed out");
        }
    }
}

static void
deliver_check_transfers(struct deliver *dv)
{
    CURLMsg *m;
    int running, left;

    curl_multi_perform(dv->multi, &running);
    while ((m = curl_multi_info_read(dv->multi, &left))) {
        struct deliver_job *j = NULL;
        char why[CURL_ERROR_SIZE + 64];
        long code = 0;
        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
        if (m->data.result != CURLE_OK) {
            snprintf(why, sizeof(why), "%s", j->errbuf[0] ? j->errbuf
                                                          : curl_easy_strerror(m->data.result));
            deliver_finish(j, false, why);
        } else if (j->kind == WATCH_SUB_WEBHOOK) {
            snprintf(why, sizeof(why), "HTTP %ld", code);
            deliver_finish(j, code >= 200 && code < 300, why);
        } else {
            snprintf(why, sizeof(why), "SMTP %ld", code);
            deliver_finish(j, true, why);
        }
    }
}

static void
deliver_on_poll(struct loop *l, struct loop_timer *t)
{
    struct deliver *dv = container_of(t, struct deliver, poll);

    deliver_check_transfers(dv);
    deliver_check_commands(dv, clock_wall_ms());
    bool any_done = false;
    for (struct deliver_job *j = dv->jobs; j; j = j->next)
        any_done |= j->finished;
    deliver_reap(dv);
    if (any_done)
        deliver_kick(dv);       /* room for more */
    if (dv->njobs)
        loop_timer_start(l, &dv->poll, DELIVER_POLL_MS, deliver_on_poll);
}

static void
deliver_on_scan(struct loop *l, struct loop_timer *t)
{
    struct deliver *dv = container_of(t, struct deliver, scan);
    int64_t skip[DELIVER_INFLIGHT_MAX];
    unsigned nskip = 0;

    if (dv->conf && dv->njobs < DELIVER_INFLIGHT_MAX) {
        for (struct deliver_job *j = dv->jobs; j && nskip < DELIVER_INFLIGHT_MAX; j = j->next)
            skip[nskip++] = j->id;
        store_due(dv->db, clock_wall_ms(), DELIVER_INFLIGHT_MAX - dv->njobs, skip,
                  nskip, deliver_start, dv);
        deliver_reap(dv);
    }
    if (dv->njobs && !loop_timer_is_armed(&dv->poll))
        loop_timer_start(l, &dv->poll, 0, deliver_on_poll);
    /* Wake for the earliest retry, and at least once a second for new rows. */
    uint64_t next, now = clock_wall_ms(), in = DELIVER_SCAN_MS;
    if (store_next_due(dv->db, &next) && next > now && next - now < in)
        in = next - now;
    loop_timer_start(l, &dv->scan, in, deliver_on_scan);
}

void
deliver_free(struct deliver *dv)
{
    if (!dv)
        return;
    loop_timer_stop(dv->loop, &dv->scan);
    loop_timer_stop(dv->loop, &dv->poll);
    for (struct deliver_job *j = dv->jobs, *next; j; j = next) {
        next = j->next;
        if (j->pid > 0) {
            int status;
            kill(j->pid, SIGKILL);
            waitpid(j->pid, &status, 0);
        }
        deliver_job_free(j);
    }
    curl_multi_cleanup(dv->multi);
    free(dv);
}
