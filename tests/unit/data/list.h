/* tests/unit/data/list.h: unit tests of src/data/. */
UNIT(data_keys_table_is_consistent)
UNIT(data_conf_reads_the_issue_example)
UNIT(data_conf_defaults_without_backup)
UNIT(data_conf_windows_parse_like_rds)
UNIT(data_conf_errors_name_the_position)
UNIT(data_conf_refuses_what_could_break_sql_or_config)
UNIT(data_conf_db_references_are_checked)
UNIT(data_catalog_retention_keeps_the_window_and_what_it_needs)
