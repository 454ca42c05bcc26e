/*
 * shield/banstore.h: the durable ban list, SQLite at <state_dir>/shield.db (WAL,
 * synchronous=FULL, so a ban that was inserted survives a crash or power loss). Keeps every
 * ban, expired ones too, for 30 days after expiry: the repeat-offender count comes from it.
 * The same database records the nftables tables tierd created to mirror those bans, so that
 * a later start can remove them (docs/internals/nftables.md).
 * Blocking: called only from the shield's own thread and the control thread, never from an
 * edge loop. Not thread-safe; the shield serialises calls with a mutex.
 */
#ifndef SHIELD_BANSTORE_H
#define SHIELD_BANSTORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BANSTORE_KEEP_MS (30ULL * 86400 * 1000)

struct banstore;

struct banstore_row {
    char addr[64];              /* "203.0.113.7" or a CIDR */
    char reason[64];
    char evidence[256];
    int64_t start_ms, expiry_ms;        /* Unix milliseconds */
    bool counted_only;
};

/* Opens (creating) dir/shield.db, or an in-memory database when dir is NULL. Returns 0 and
 * sets *out, or a negative errno with a message in err. */
int banstore_open(const char *dir, struct banstore **out, char *err, size_t errlen);
void banstore_close(struct banstore *b);
/* Commits one ban (its own transaction, fsync'd) before returning 0; -EIO on failure. */
int banstore_insert(struct banstore *b, const struct banstore_row *r);
/* Enforced (not counted-only) bans of addr recorded so far, expired ones included. */
int banstore_count(struct banstore *b, const char *addr, unsigned *n);
/* Calls fn for every ban whose expiry is after now_ms and that was not removed. */
typedef void (*banstore_fn)(void *ctx, const struct banstore_row *r);
int banstore_load_active(struct banstore *b, int64_t now_ms, banstore_fn fn, void *ctx);
/* Ends the active bans of addr at now_ms (kept as history). -ENOENT when none was active. */
int banstore_end(struct banstore *b, const char *addr, int64_t now_ms);
/* Deletes bans that expired before before_ms. */
int banstore_purge(struct banstore *b, int64_t before_ms);

/* A kernel table tierd created (or is about to create): recorded before the table is made
 * and forgotten once it is gone, so a table tierd made is always on record. */
struct banstore_nft {
    char family[8];             /* "inet" */
    char table[40];
    char set[40];               /* the sets are <set>_v4 and <set>_v6 */
    char token[40];             /* the mark in the table's comment: "tierd <token>" */
    int64_t created_ms;         /* Unix milliseconds of the first record */
};

/* Records t, replacing the record of the same family and table; committed before 0 returns.
 * -EIO on failure. */
int banstore_nft_put(struct banstore *b, const struct banstore_nft *t);
/* Forgets the record of family/table; 0 also when there was none, -EIO on failure. */
int banstore_nft_forget(struct banstore *b, const char *family, const char *table);
/* Copies up to max records, oldest first, into out and sets *n. 0 or -EIO. */
int banstore_nft_list(struct banstore *b, struct banstore_nft *out, size_t max, size_t *n);

/* The shield's long memory of clients (clientmem.h), one row per client key. */
struct clientmem_rec;
/* Replaces the rows of n clients (keys as text: "203.0.113.7", "2001:db8:1:2::/64") in one
 * transaction, committed before 0 returns. -EIO on failure. */
int banstore_clients_put(struct banstore *b, const char *const *keys,
                         const struct clientmem_rec *recs, size_t n);
/* Calls fn for every client seen at or after since_ms; deletes the others. */
typedef void (*banstore_client_fn)(void *ctx, const char *key, const struct clientmem_rec *r);
int banstore_clients_load(struct banstore *b, int64_t since_ms, banstore_client_fn fn,
                          void *ctx);
/* Deletes clients last seen before before_ms. */
int banstore_clients_purge(struct banstore *b, int64_t before_ms);

#endif
