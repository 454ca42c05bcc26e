/*
 * watch/deliver.h: the delivery worker. It runs on the watch thread's loop and never
 * blocks it: webhooks and email go through libcurl's multi interface (driven by a short
 * timer while transfers run), commands are spawned with posix_spawn and fed their stdin
 * through a non-blocking pipe. Deliveries come from the durable queue in watch.db
 * (store.h); each attempt is recorded there, and a failed one is retried on
 * retry_delay_ms()'s schedule until retry_is_expired().
 *
 * Webhook: POST the stored SNS envelope with SNS's headers and, when the subscription has
 * a secret, X-Tierd-Signature: sha256=<hex HMAC-SHA256(secret, body)>; 2xx = delivered.
 * Email: SMTP to smtp.url from smtp.from, text/plain, the alarm JSON; accepted = delivered.
 * Command: argv from the subscription, the envelope on stdin; exit 0 = delivered.
 */
#ifndef WATCH_DELIVER_H
#define WATCH_DELIVER_H
#include <stdint.h>

#include "core/loop.h"
#include "watch/internal.h"
#include "watch/store.h"

#define DELIVER_INFLIGHT_MAX 32
#define DELIVER_TIMEOUT_MS 15000        /* per webhook or email attempt */
#define DELIVER_COMMAND_TIMEOUT_MS 30000

struct deliver;

/* A worker on loop l using db (both borrowed; they outlive it). */
struct deliver *deliver_new(struct loop *l, struct store *db);
/* Borrows the applied configuration (secrets, SMTP); NULL pauses sending. */
void deliver_set_conf(struct deliver *dv, const struct watch_conf *c);
/* Looks for due deliveries now (after new ones are queued). */
void deliver_kick(struct deliver *dv);
/* Deliveries in flight (for metrics and tests). */
unsigned deliver_inflight(const struct deliver *dv);
/* Attempts finished since start: delivered and failed ones. */
void deliver_counts(const struct deliver *dv, uint64_t *ok, uint64_t *failed);
/* Abandons transfers in flight (they stay pending in the database) and frees. */
void deliver_free(struct deliver *dv);

/* The email text (a new string): headers and the pretty-printed alarm JSON. */
char *deliver_email_text(const char *from, const char *to, const char *subject,
                         const char *message_id, const char *message, uint64_t wall_ms);

#endif
