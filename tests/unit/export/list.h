/* tests/unit/export/list.h: unit tests of src/export/. */
UNIT(export_hcl_strings_never_interpolate)
UNIT(export_names_are_identifiers)
UNIT(export_ports_and_loopback_binds)
UNIT(export_notes_carry_positions_and_reach_the_output)
