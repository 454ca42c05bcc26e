/* tests/unit/list.h: every unit test, by subsystem. Each list holds UNIT(name) lines. */
#include "core/list.h"
#include "http/list.h"
#include "conf/list.h"
#include "edge/list.h"
#include "fleet/list.h"
#include "watch/list.h"
#include "ctl/list.h"
#include "policy/list.h"
