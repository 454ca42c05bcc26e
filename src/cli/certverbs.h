/*
 * cli/certverbs.h: `tierd certs`, a client of GET /v1/certs: the automatic certificates
 * with their state, expiry, next renewal and last error. Takes the verb's argv and
 * returns the exit code: 0, 1 when the daemon refused, 2 for usage errors, 3 when it
 * cannot be reached.
 */
#ifndef CLI_CERTVERBS_H
#define CLI_CERTVERBS_H

int certverbs_certs(int argc, char **argv);

#endif
