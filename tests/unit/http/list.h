/* tests/unit/http/list.h: unit tests of src/http/. */
