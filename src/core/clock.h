/*
 * core/clock.h: time sources. The loop reads the clock once per iteration and passes
 * now_ms down; decision logic never reads the clock itself.
 */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H
#include <stdint.h>

uint64_t clock_mono_ms(void);      /* monotonic milliseconds */
uint64_t clock_mono_us(void);
uint64_t clock_wall_ms(void);      /* Unix epoch milliseconds */

#endif
