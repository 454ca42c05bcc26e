/*
 * acme/acme.c: the certificate keeper (see acme.h). Owns the ACME thread, the account
 * key, one job per configured certificate, and the tables of challenge answers the edge
 * reads while the CA validates. The lock guards jobs and tables; the thread drops it for
 * every exchange with the CA, so the edge's lookups never wait on the network.
 */
#include "acme/acme.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

#include "acme/acme_jws.h"
#include "acme/acme_renew.h"
#include "acme/acme_store.h"
#include "acme/acme_x509.h"
#include "core/log.h"
#include "core/mem.h"

#define ACME_ANSWERS_MAX 64
#define ACME_PEM_MAX (256u << 10)

enum job_state { JOB_MISSING = 0, JOB_ISSUING, JOB_VALID, JOB_RENEWING, JOB_FAILED };
static const char *const job_state_names[] = { "missing", "issuing", "valid", "renewing",
                                               "failed" };

struct acme_job {
    struct acme_cert_conf conf;
    char name[256];
    char cert_path[ACME_PATH_MAX], key_path[ACME_PATH_MAX];
    char domains_text[1024];
    enum job_state state;
    bool has_cert;
    struct acme_cert_info info;
    bool has_window;
    struct acme_renewal_info window;
    double pick;                /* where in the ARI window, drawn per window */
    int64_t next_s;             /* when the thread looks at this job again */
    int64_t renew_at_s;
    int64_t ari_next_s;         /* 0: ask renewalInfo at the next look */
    unsigned failures;
    char last_error[512];
    int64_t last_success_s;
    bool busy;                  /* the thread works on it with the lock dropped */
    bool orphan;                /* apply() dropped it while busy: the thread frees it */
};

struct acme_answer {
    bool used;
    enum acme_chal_kind kind;
    char domain[ACME_NAME_MAX];
    char token[128];
    char key_authz[256];
    X509 *cert;                 /* tls-alpn-01 only */
    EVP_PKEY *key;
};

struct acme {
    char dir[1100];             /* state_dir/acme */
    char state_dir[1024];
    EVP_PKEY *account;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    struct acme_job **jobs;
    unsigned njobs;
    struct acme_answer answers[ACME_ANSWERS_MAX];
    acme_installed_fn installed;
    void *installed_ctx;
};

void
acme_cert_name(const struct acme_cert_conf *c, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", c->ndomains ? c->domains[0] : "none");
    for (char *p = out; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-'))
            *p = '_';
    if (out[0] == '.')
        out[0] = '_';           /* never "." or ".." */
}

void
acme_cert_paths(const char *state_dir, const char *name, char *cert, char *key)
{
    snprintf(cert, ACME_PATH_MAX, "%.1024s/acme/%.255s/cert.pem", state_dir, name);
    snprintf(key, ACME_PATH_MAX, "%.1024s/acme/%.255s/key.pem", state_dir, name);
}

static void
cert_conf_fini(struct acme_cert_conf *c)
{
    free(c->listener);
    for (unsigned i = 0; i < c->ndomains; i++)
        free(c->domains[i]);
    free(c->email);
    free(c->directory);
    free(c->ca_bundle);
    memset(c, 0, sizeof(*c));
}

void
acme_conf_free(struct acme_conf *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->n; i++)
        cert_conf_fini(&c->certs[i]);
    free(c->certs);
    free(c);
}

static void
answer_clear(struct acme_answer *an)
{
    X509_free(an->cert);
    EVP_PKEY_free(an->key);
    memset(an, 0, sizeof(*an));
}

/* Loads the account key, or makes and stores one. */
static int
acme_account_load(struct acme *a, char *err, size_t errlen)
{
    char path[4200], *pem;
    size_t n;
    int rc;

    snprintf(path, sizeof(path), "%s/account.key", a->dir);
    rc = acme_store_read(path, ACME_PEM_MAX, &pem, &n);
    if (rc == 0) {
        a->account = acme_jws_key_read(pem, n);
        OPENSSL_cleanse(pem, n);
        free(pem);
        if (!a->account) {
            snprintf(err, errlen, "%.300s: not a PEM EC private key; move it away and tierd makes a "
                     "new account", path);
            return -EINVAL;
        }
        return 0;
    }
    if (rc != -ENOENT) {
        snprintf(err, errlen, "%.300s: %s", path, strerror(-rc));
        return rc;
    }
    if (!(a->account = acme_jws_key_new()) || !(pem = acme_jws_key_pem(a->account, &n))) {
        snprintf(err, errlen, "cannot make an ACME account key");
        return -ENOMEM;
    }
    rc = acme_store_write(path, pem, n);
    OPENSSL_cleanse(pem, n);
    free(pem);
    if (rc < 0) {
        snprintf(err, errlen, "%.300s: %s; state_dir must be writable", path, strerror(-rc));
        return rc;
    }
    log_info("acme", "made a new account key path=%s", path);
    return 0;
}

struct acme *
acme_new(const char *state_dir, char *err, size_t errlen)
{
    struct acme *a;

    if (strlen(state_dir) >= sizeof(a->state_dir)) {
        snprintf(err, errlen, "state_dir is longer than 1023 bytes");
        return NULL;
    }
    a = mem_alloc_or_exit(sizeof(*a));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(a->state_dir, sizeof(a->state_dir), "%s", state_dir);
    snprintf(a->dir, sizeof(a->dir), "%s/acme", state_dir);
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->wake, NULL);
    return a;
}

/* The account key, loaded or made on first use (only the ACME thread calls this). */
static int
acme_account(struct acme *a, char *err, size_t errlen)
{
    int rc;

    if (a->account)
        return 0;
    if ((rc = acme_store_mkdir(a->dir)) < 0) {
        snprintf(err, errlen, "%.300s: %s; state_dir must be writable", a->dir, strerror(-rc));
        return rc;
    }
    return acme_account_load(a, err, errlen);
}

void
acme_set_installed(struct acme *a, acme_installed_fn fn, void *ctx)
{
    a->installed = fn;
    a->installed_ctx = ctx;
}

/* Reads what is on disk for job j into *info: true when a certificate that fits its key
 * and domains is there. Reads only j's paths and conf (fixed while the job lives). */
static bool
job_read(const struct acme_job *j, struct acme_cert_info *info)
{
    char *chain = NULL, *kpem = NULL;
    size_t cn, kn;
    EVP_PKEY *k = NULL;
    bool ok = false;

    memset(info, 0, sizeof(*info));
    if (acme_store_read(j->cert_path, ACME_PEM_MAX, &chain, &cn) == 0 &&
        acme_store_read(j->key_path, ACME_PEM_MAX, &kpem, &kn) == 0 &&
        (k = acme_jws_key_read(kpem, kn)) &&
        acme_x509_chain_fits(chain, cn, k, (const char *const *)j->conf.domains,
                             j->conf.ndomains) &&
        acme_x509_info(chain, cn, info) == 0)
        ok = true;
    if (kpem)
        OPENSSL_cleanse(kpem, kn);
    free(kpem);
    free(chain);
    EVP_PKEY_free(k);
    return ok;
}

static void
job_load(struct acme_job *j)
{
    j->has_cert = job_read(j, &j->info);
    j->state = j->has_cert ? JOB_VALID : JOB_MISSING;
}

bool
acme_cert_ready(const char *state_dir, char *const *domains, unsigned ndomains, int64_t now_s,
                char *cert, char *key)
{
    struct acme_cert_conf c = { .ndomains = ndomains ? 1 : 0 };
    struct acme_job *j = mem_alloc_or_exit(sizeof(*j));
    bool ok;

    /* Only the first domain must match: after a reload that adds names, the certificate
     * for the old ones keeps serving while the new one is ordered. */
    c.domains[0] = ndomains ? domains[0] : NULL;
    acme_cert_name(&c, j->name, sizeof(j->name));
    acme_cert_paths(state_dir, j->name, cert, key);
    memcpy(j->cert_path, cert, ACME_PATH_MAX);
    memcpy(j->key_path, key, ACME_PATH_MAX);
    j->conf = c;                /* borrowed: never freed through j */
    job_load(j);
    ok = j->has_cert && j->info.not_after_s > now_s;
    free(j);
    return ok;
}

static struct acme_job *
job_new(struct acme *a, struct acme_cert_conf *c)
{
    struct acme_job *j = mem_alloc_or_exit(sizeof(*j));
    size_t off = 0;

    j->conf = *c;
    memset(c, 0, sizeof(*c));
    acme_cert_name(&j->conf, j->name, sizeof(j->name));
    acme_cert_paths(a->state_dir, j->name, j->cert_path, j->key_path);
    for (unsigned i = 0; i < j->conf.ndomains && off < sizeof(j->domains_text); i++)
        off += (size_t)snprintf(j->domains_text + off, sizeof(j->domains_text) - off, "%s%s",
                                i ? "," : "", j->conf.domains[i]);
    job_load(j);
    return j;
}

static bool
job_same(const struct acme_job *j, const struct acme_cert_conf *c)
{
    if (j->conf.ndomains != c->ndomains || j->conf.challenge != c->challenge)
        return false;
    for (unsigned i = 0; i < c->ndomains; i++)
        if (strcasecmp(j->conf.domains[i], c->domains[i]) != 0)
            return false;
#define SAME(f) ((!j->conf.f && !c->f) || (j->conf.f && c->f && strcmp(j->conf.f, c->f) == 0))
    return SAME(directory) && SAME(ca_bundle) && SAME(email);
#undef SAME
}

static void
job_free(struct acme_job *j)
{
    cert_conf_fini(&j->conf);
    free(j);
}

void
acme_apply(struct acme *a, struct acme_conf *conf)
{
    struct acme_job **jobs = conf->n ? mem_alloc_or_exit(conf->n * sizeof(*jobs)) : NULL;

    pthread_mutex_lock(&a->lock);
    for (unsigned i = 0; i < conf->n; i++) {
        jobs[i] = NULL;
        for (unsigned k = 0; k < a->njobs; k++)
            if (a->jobs[k] && !a->jobs[k]->busy && job_same(a->jobs[k], &conf->certs[i])) {
                jobs[i] = a->jobs[k];
                a->jobs[k] = NULL;
                cert_conf_fini(&conf->certs[i]);
                break;
            }
        if (!jobs[i])
            jobs[i] = job_new(a, &conf->certs[i]);
    }
    /* A job the thread is working on finishes first; it is dropped when it comes back. */
    for (unsigned k = 0; k < a->njobs; k++)
        if (a->jobs[k] && !a->jobs[k]->busy)
            job_free(a->jobs[k]);
        else if (a->jobs[k])
            a->jobs[k]->orphan = true;
    free(a->jobs);
    a->jobs = jobs;
    a->njobs = conf->n;
    pthread_cond_signal(&a->wake);
    pthread_mutex_unlock(&a->lock);
    free(conf->certs);
    conf->certs = NULL;
    conf->n = 0;
}

/* The flow's publish hook: adds or removes one challenge answer. */
static void
acme_on_publish(void *ctx, enum acme_chal_kind kind, const char *domain, const char *token,
                const char *key_authz, bool add)
{
    struct acme *a = ctx;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;

    if (add && kind == ACME_TLSALPN01 && acme_x509_alpn_cert(domain, key_authz, &cert, &key) < 0)
        log_error("acme", "cannot make the tls-alpn-01 certificate domain=%s", domain);
    pthread_mutex_lock(&a->lock);
    /* One answer per token, and for tls-alpn-01 one per name (the lookup is by SNI). */
    for (unsigned i = 0; i < ACME_ANSWERS_MAX; i++) {
        struct acme_answer *an = &a->answers[i];
        if (an->used && an->kind == kind &&
            (strcmp(an->token, token) == 0 ||
             (kind == ACME_TLSALPN01 && strcasecmp(an->domain, domain) == 0)))
            answer_clear(an);
    }
    for (unsigned i = 0; add && i < ACME_ANSWERS_MAX; i++) {
        struct acme_answer *an = &a->answers[i];
        if (an->used)
            continue;
        an->used = true;
        an->kind = kind;
        snprintf(an->domain, sizeof(an->domain), "%s", domain);
        snprintf(an->token, sizeof(an->token), "%s", token);
        snprintf(an->key_authz, sizeof(an->key_authz), "%s", key_authz);
        an->cert = cert;
        an->key = key;
        cert = NULL;
        key = NULL;
        break;
    }
    pthread_mutex_unlock(&a->lock);
    X509_free(cert);            /* the table was full: the CA will fail the challenge */
    EVP_PKEY_free(key);
}

/* The flow's sleep hook: waits on the condition so acme_stop() interrupts it. */
static int
acme_on_sleep(void *ctx, uint64_t ms)
{
    struct acme *a = ctx;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&a->lock);
    while (!atomic_load(&a->stop) && pthread_cond_timedwait(&a->wake, &a->lock, &ts) == 0)
        ;
    pthread_mutex_unlock(&a->lock);
    return atomic_load(&a->stop) ? -ECANCELED : 0;
}

bool
acme_http01_answer(struct acme *a, const char *token, char *out, size_t outlen)
{
    bool found = false;

    pthread_mutex_lock(&a->lock);
    for (unsigned i = 0; i < ACME_ANSWERS_MAX && !found; i++) {
        const struct acme_answer *an = &a->answers[i];
        if (an->used && an->kind == ACME_HTTP01 && strcmp(an->token, token) == 0) {
            snprintf(out, outlen, "%s", an->key_authz);
            found = true;
        }
    }
    pthread_mutex_unlock(&a->lock);
    return found;
}

bool
acme_alpn_cert(struct acme *a, const char *servername, X509 **cert, EVP_PKEY **key)
{
    bool found = false;

    if (!servername)
        return false;
    pthread_mutex_lock(&a->lock);
    for (unsigned i = 0; i < ACME_ANSWERS_MAX && !found; i++) {
        const struct acme_answer *an = &a->answers[i];
        if (an->used && an->kind == ACME_TLSALPN01 && an->cert &&
            strcasecmp(an->domain, servername) == 0) {
            X509_up_ref(an->cert);
            EVP_PKEY_up_ref(an->key);
            *cert = an->cert;
            *key = an->key;
            found = true;
        }
    }
    pthread_mutex_unlock(&a->lock);
    return found;
}

/* Writes a new certificate's files: the key first, so a chain on disk never names a key
 * that is not there yet; then the chain. */
static int
job_install(struct acme *a, struct acme_job *j, const struct acme_issued *is, char *err,
            size_t errlen)
{
    char dir[1400];
    int rc;

    snprintf(dir, sizeof(dir), "%s/%s", a->dir, j->name);
    if ((rc = acme_store_mkdir(dir)) < 0 ||
        (rc = acme_store_write(j->key_path, is->key, is->key_len)) < 0 ||
        (rc = acme_store_write(j->cert_path, is->chain, is->chain_len)) < 0) {
        snprintf(err, errlen, "cannot store the certificate %s under state_dir: %s", j->name,
                 strerror(-rc));
        return rc;
    }
    return 0;
}

static double
acme_random_unit(void)
{
    uint32_t r = 0;

    if (getrandom(&r, sizeof(r), 0) != sizeof(r))
        r = (uint32_t)time(NULL);
    return (double)r / 4294967296.0;
}

static int64_t
job_renew_at(const struct acme_job *j, int64_t now)
{
    struct acme_renew_in in = {
        .now_s = now, .has_cert = j->has_cert, .not_before_s = j->info.not_before_s,
        .not_after_s = j->info.not_after_s, .has_window = j->has_window,
        .win_start_s = j->window.start_s, .win_end_s = j->window.end_s, .pick = j->pick,
    };

    return acme_renew_at(&in);
}

/* One look at job j: renewalInfo when due, then an order when the certificate is missing
 * or due. Called and returns with the lock held; drops it for every exchange with the CA
 * (j->busy meanwhile), and changes j's fields only while holding it, so acme_visit()
 * always reads a consistent job. */
static void
job_run(struct acme *a, struct acme_job *j, int64_t now)
{
    struct acme_flow_hooks hooks = { acme_on_publish, acme_on_sleep, a };
    struct acme_flow f = { .retry_after_s = -1 };
    struct acme_issued is = { 0 };
    struct acme_renewal_info ri;
    struct acme_cert_info info;
    char err[512] = "", ari_id[sizeof(j->info.ari_id)];
    int rc = 0, ar = -ENOTSUP;
    bool ordered = false, has_cert = false;
    bool want_ari = j->has_cert && j->info.ari_id[0] && now >= j->ari_next_s;

    memcpy(ari_id, j->info.ari_id, sizeof(ari_id));
    j->busy = true;
    pthread_mutex_unlock(&a->lock);
    if ((rc = acme_account(a, err, sizeof(err))) < 0) {
        /* reported below as this job's failure */
    } else if (acme_flow_init(&f, j->conf.directory ? j->conf.directory : ACME_DEFAULT_DIRECTORY,
                              j->conf.ca_bundle, j->conf.email, a->account, &hooks,
                              &a->stop) < 0) {
        snprintf(err, sizeof(err), "cannot start an ACME client");
        rc = -ENOMEM;
    }
    if (rc == 0 && want_ari) {
        char aerr[512];
        ar = acme_flow_renewal_info(&f, ari_id, &ri, aerr, sizeof(aerr));
        if (ar != 0 && ar != -ENOTSUP && ar != -ECANCELED)
            /* A bad reply keeps the last good window, or the lifetime rule. */
            log_warn("acme", "renewalInfo name=%s: %s; keeping the previous schedule", j->name,
                     aerr);
    }
    pthread_mutex_lock(&a->lock);
    if (want_ari && rc == 0) {
        if (ar == 0) {
            if (!j->has_window || ri.start_s != j->window.start_s || ri.end_s != j->window.end_s) {
                j->pick = acme_random_unit();
                log_info("acme", "renewal window name=%s start=%lld end=%lld", j->name,
                         (long long)ri.start_s, (long long)ri.end_s);
            }
            j->window = ri;
            j->has_window = true;
        }
        j->ari_next_s = ar == -ENOTSUP ? INT64_MAX : acme_renew_ari_next(now, f.retry_after_s);
    }
    j->renew_at_s = job_renew_at(j, now);
    if (rc == 0 && now >= j->renew_at_s && j->conf.ndomains) {
        ordered = true;
        j->state = j->has_cert ? JOB_RENEWING : JOB_ISSUING;
    }
    has_cert = j->has_cert;
    pthread_mutex_unlock(&a->lock);
    if (ordered) {
        log_info("acme", "%s name=%s domains=%s", has_cert ? "renewing" : "issuing", j->name,
                 j->domains_text);
        rc = acme_flow_issue(&f, (const char *const *)j->conf.domains, j->conf.ndomains,
                             j->conf.challenge, has_cert ? ari_id : NULL, &is, err,
                             sizeof(err));
        if (rc == 0)
            rc = job_install(a, j, &is, err, sizeof(err));
        if (rc == 0 && !job_read(j, &info)) {
            snprintf(err, sizeof(err), "the certificate just stored does not read back");
            rc = -EIO;
        }
    }
    int64_t retry_after = f.retry_after_s;
    acme_flow_fini(&f);
    if (is.key)
        OPENSSL_cleanse(is.key, is.key_len);
    free(is.key);
    free(is.chain);
    now = (int64_t)time(NULL);
    pthread_mutex_lock(&a->lock);
    j->busy = false;
    if (ordered && rc == 0) {
        j->has_cert = true;
        j->info = info;
        j->state = JOB_VALID;
        j->failures = 0;
        j->last_error[0] = '\0';
        j->last_success_s = now;
        j->has_window = false;
        j->ari_next_s = 0;
        log_info("acme", "installed name=%s not_after=%lld path=%s", j->name,
                 (long long)info.not_after_s, j->cert_path);
        /* Under the lock, with the job no longer busy: an apply the callback causes keeps
         * this job (and its history) rather than replacing it. */
        if (a->installed)
            a->installed(a->installed_ctx, j->name, j->cert_path, j->key_path);
    }
    if (rc == -ECANCELED)
        return;
    if (rc < 0) {
        j->failures++;
        snprintf(j->last_error, sizeof(j->last_error), "%s", err);
        j->state = j->has_cert ? JOB_VALID : JOB_FAILED;
        j->next_s = now + acme_renew_backoff_s(j->failures, retry_after);
        log_error("acme", "%s failed name=%s failures=%u retry_in_s=%lld: %s",
                  j->has_cert ? "renewal" : "issuance", j->name, j->failures,
                  (long long)(j->next_s - now), err);
        return;
    }
    j->renew_at_s = job_renew_at(j, now);
    j->next_s = j->renew_at_s;
    if (j->has_cert && j->info.ari_id[0] && j->ari_next_s < j->next_s)
        j->next_s = j->ari_next_s;
    if (j->next_s <= now)
        j->next_s = now + 1;
}

static void *
acme_main(void *arg)
{
    struct acme *a = arg;

    pthread_mutex_lock(&a->lock);
    while (!atomic_load(&a->stop)) {
        int64_t now = (int64_t)time(NULL), next = now + 3600;
        for (unsigned i = 0; i < a->njobs && !atomic_load(&a->stop); i++) {
            struct acme_job *j = a->jobs[i];
            if (j->next_s <= now) {
                job_run(a, j, now);
                /* apply() may have replaced the list meanwhile: start over. */
                if (i >= a->njobs || a->jobs[i] != j) {
                    if (j->orphan)
                        job_free(j);
                    next = now;
                    break;
                }
                now = (int64_t)time(NULL);
            }
            if (a->jobs[i]->next_s < next)
                next = a->jobs[i]->next_s;
        }
        if (next <= now)
            continue;
        struct timespec ts = { .tv_sec = (time_t)next };
        pthread_cond_timedwait(&a->wake, &a->lock, &ts);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

int
acme_start(struct acme *a)
{
    if (a->started)
        return 0;
    atomic_store(&a->stop, false);
    int rc = pthread_create(&a->thread, NULL, acme_main, a);
    if (rc != 0)
        return -rc;
    a->started = true;
    return 0;
}

void
acme_stop(struct acme *a)
{
    if (!a->started)
        return;
    pthread_mutex_lock(&a->lock);
    atomic_store(&a->stop, true);
    pthread_cond_broadcast(&a->wake);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->thread, NULL);
    a->started = false;
}

void
acme_free(struct acme *a)
{
    if (!a)
        return;
    acme_stop(a);
    for (unsigned i = 0; i < a->njobs; i++)
        job_free(a->jobs[i]);
    free(a->jobs);
    for (unsigned i = 0; i < ACME_ANSWERS_MAX; i++)
        answer_clear(&a->answers[i]);
    EVP_PKEY_free(a->account);
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->wake);
    free(a);
}

void
acme_visit(struct acme *a, acme_cert_fn fn, void *ctx)
{
    static const char *const chal[] = { "http-01", "tls-alpn-01" };

    pthread_mutex_lock(&a->lock);
    for (unsigned i = 0; i < a->njobs; i++) {
        const struct acme_job *j = a->jobs[i];
        struct acme_cert_view v = {
            .name = j->name, .listener = j->conf.listener ? j->conf.listener : "",
            .domains = j->domains_text, .challenge = chal[j->conf.challenge],
            .state = job_state_names[j->state], .cert_path = j->cert_path,
            .has_cert = j->has_cert, .not_before_s = j->info.not_before_s,
            .not_after_s = j->info.not_after_s, .next_renewal_s = j->next_s,
            .ari = j->has_window, .failures = j->failures, .last_error = j->last_error,
            .last_success_s = j->last_success_s,
        };
        if (j->state == JOB_VALID && j->renew_at_s > j->next_s)
            v.next_renewal_s = j->renew_at_s;
        fn(ctx, &v);
    }
    pthread_mutex_unlock(&a->lock);
}
