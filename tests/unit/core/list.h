/* tests/unit/core/list.h: unit tests of src/core/. */
UNIT(buf_append_consume_and_release)
UNIT(buf_grows_beyond_a_chunk)
UNIT(loop_timers_fire_in_deadline_order)
UNIT(loop_deferred_calls_run_once_in_queue_order)
UNIT(metric_hist_quantiles_within_one_percent)
UNIT(metric_hist_buckets_are_exact_below_64_and_merge)
UNIT(log_recent_keeps_info_and_above_oldest_first)
