/*
 * edge/internal.h: every type of edge/ at once, for the unit tests. Files of src/edge
 * include the headers they use instead (conn.h, txn.h, upstream.h, ...), so that a change
 * to one struct recompiles only its users; docs/internals/edge.md says which file owns
 * what.
 *
 * Ownership: the edge owns its workers and the current generation; a generation owns
 * its edge_conf and holds references on its listener sockets; a worker owns its client
 * connections, upstream connections and pools; a client connection owns its current
 * transaction, which holds a reference on the generation it started under.
 */
#ifndef EDGE_INTERNAL_H
#define EDGE_INTERNAL_H
#include "edge/accesslog.h"
#include "edge/conn.h"
#include "edge/forward.h"
#include "edge/gen.h"
#include "edge/guard.h"
#include "edge/health.h"
#include "edge/registry.h"
#include "edge/route.h"
#include "edge/session.h"
#include "edge/stats.h"
#include "edge/sticky.h"
#include "edge/transport.h"
#include "edge/txn.h"
#include "edge/upstream.h"
#include "edge/uproto.h"
#include "edge/worker.h"

#endif
