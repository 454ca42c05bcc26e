/*
 * core/err.h: error conventions. Fallible functions return 0 or a negative errno value;
 * invariants use BUG_ON, active in every build.
 */
#ifndef CORE_ERR_H
#define CORE_ERR_H
#include <errno.h>

/* Prints file:line and the condition, then aborts. */
#define BUG_ON(cond)                                                                      \
    do {                                                                                  \
        if (__builtin_expect(!!(cond), 0))                                                \
            err_bug(__FILE__, __LINE__, #cond);                                           \
    } while (0)

void err_bug(const char *file, int line, const char *cond) __attribute__((noreturn));
/* Names a negative (or positive) errno value; never NULL. */
const char *err_str(int rc);

#endif
