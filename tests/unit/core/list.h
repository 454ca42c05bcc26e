/* tests/unit/core/list.h: unit tests of src/core/. */
UNIT(buf_append_consume_and_release)
UNIT(buf_grows_beyond_a_chunk)
