/*
 * watch/sns.h: the notification texts, in SNS's shapes (aws-semantics.md 3.4 and 3.5):
 * the alarm message JSON with CloudWatch's field names, the subject, the HTTP envelope,
 * MessageId (UUID v4) and the X-Tierd-Signature HMAC. Pure functions over their
 * arguments, except sns_uuid4() which reads getrandom(2).
 */
#ifndef WATCH_SNS_H
#define WATCH_SNS_H
#include <stddef.h>
#include <stdint.h>

#include "watch/alarm_run.h"
#include "watch/internal.h"

#define SNS_REGION "tierd"          /* where CloudWatch names its region, in subjects */
#define SNS_ACCOUNT "000000000000"

/* "arn:tierd:sns:local:<topic>" into buf. */
void sns_topic_arn(const char *topic, char *buf, size_t len);
/* `ALARM: "<name>" in tierd` into buf. */
void sns_subject(const char *alarm, enum alarm_state to, char *buf, size_t len);
/* "2025-01-10T09:21:07.552+0000" (zone "+0000") or "...552Z" (zone "Z"). */
void sns_time(uint64_t wall_ms, const char *zone, char *buf, size_t len);
/* A new random UUID v4, lower-case, 36 characters + NUL. */
void sns_uuid4(char out[37]);

/* The alarm message (a new JSON text): the transition t of alarm a, whose configuration
 * last changed at config_ms. */
char *sns_alarm_message(const struct watch_alarm_conf *a, const struct alarm_transition *t,
                        uint64_t config_ms);
/* The HTTP body (a new JSON text): Type Notification, MessageId, TopicArn, Subject,
 * Message, Timestamp, SignatureVersion. */
char *sns_envelope(const char *message_id, const char *topic, const char *subject,
                   const char *message, uint64_t wall_ms);
/* Lower-case hex HMAC-SHA256(secret, body) into out (65 bytes). */
void sns_signature(const char *secret, const void *body, size_t len, char out[65]);

#endif
