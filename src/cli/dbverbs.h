/*
 * cli/dbverbs.h: `tierd db status|backups|backup|verify|restore|logs`, a client of the data
 * tier's control routes (daemon/routes_data.c). Takes the verb's argv (argv[0] is "db") and
 * returns the exit code: 0, 1 when the daemon refused, 2 for usage errors, 3 when it
 * cannot be reached.
 */
#ifndef CLI_DBVERBS_H
#define CLI_DBVERBS_H

int dbverbs_db(int argc, char **argv);

#endif
