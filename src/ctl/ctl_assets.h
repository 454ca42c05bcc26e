/*
 * ctl/ctl_assets.h: the console's files (web/console/ and the uPlot build from
 * node_modules/), turned into C arrays at build time by scripts/embed.js into
 * build/gen/console_assets.c. Nothing is read from disk or the network at run time.
 */
#ifndef CTL_CTL_ASSETS_H
#define CTL_CTL_ASSETS_H
#include <stddef.h>

struct ctl_asset {
    const char *name;           /* "app.js": served as /console/app.js */
    const char *type;           /* Content-Type */
    const unsigned char *data;
    size_t len;
};

extern const struct ctl_asset ctl_assets[];
extern const size_t ctl_nassets;

#endif
