/*
 * cli/shieldverbs.h: `tierd bans [list|add|remove]` and `tierd shield`, clients of the
 * shield's control routes. Each takes the verb's argv (argv[0] is the verb) and returns
 * the exit code: 0, 1 when the daemon refused, 2 for usage errors, 3 when unreachable.
 */
#ifndef CLI_SHIELDVERBS_H
#define CLI_SHIELDVERBS_H

int shieldverbs_bans(int argc, char **argv);
int shieldverbs_shield(int argc, char **argv);
/* Parses "30s", "10m", "1h", "1d", "1h30m" or a bare number of seconds; returns the
 * seconds, or -1 when s is not a duration. */
long long shieldverbs_duration_s(const char *s);

#endif
