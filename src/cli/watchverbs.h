/*
 * cli/watchverbs.h: `tierd alarms`, a client of the watch's control route GET /v1/alarms.
 * Takes the verb's argv (argv[0] is the verb) and returns the exit code: 0, 1 when the
 * daemon refused, 2 for usage errors, 3 when it cannot be reached.
 */
#ifndef CLI_WATCHVERBS_H
#define CLI_WATCHVERBS_H

int watchverbs_alarms(int argc, char **argv);

#endif
