/* tests/unit/conf/list.h: unit tests of src/conf/. */
