/*
 * cli/fleetverbs.h: `tierd groups`, `tierd instances [GROUP]` and `tierd refresh
 * start|status|cancel GROUP` and `tierd scale GROUP N`, clients of the fleet's control routes. Each takes the verb's
 * argv (argv[0] is the verb) and returns the exit code: 0, 1 when the daemon refused, 2 for
 * usage errors, 3 when it cannot be reached.
 */
#ifndef CLI_FLEETVERBS_H
#define CLI_FLEETVERBS_H

int fleetverbs_groups(int argc, char **argv);
int fleetverbs_instances(int argc, char **argv);
int fleetverbs_refresh(int argc, char **argv);
int fleetverbs_scale(int argc, char **argv);

#endif
