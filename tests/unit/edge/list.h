/* tests/unit/edge/list.h: unit tests of src/edge/. */
