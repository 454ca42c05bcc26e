/*
 * cli/planapply.h: `tierd plan [FILE] [--json]` and `tierd apply [FILE] [--auto-approve]`:
 * send the stack file to the running daemon, print its plan, and (apply) ask, then apply.
 */
#ifndef CLI_PLANAPPLY_H
#define CLI_PLANAPPLY_H

/* argv[0] is "plan" or "apply". Exit codes as `terraform plan -detailed-exitcode`: plan
 * returns 0 (no changes), 2 (changes) or 1 (error, including an unreachable daemon or a
 * usage error); apply returns 0 (applied, or nothing to do) or 1. */
int planapply_main(int argc, char **argv);

#endif
