/* tests/unit/watch/list.h: unit tests of src/watch/. */
UNIT(alarm_eval_matches_the_missing_data_table)
UNIT(alarm_eval_premature_alarm_guard)
UNIT(alarm_eval_m_of_n_and_comparisons)
