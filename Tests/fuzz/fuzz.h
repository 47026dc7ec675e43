/* Shared by the libFuzzer targets of `make fuzz` (Tests/fuzz/README.md). */
#ifndef SWIFTTUNE_FUZZ_H
#define SWIFTTUNE_FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "swifttune.h"

/* The input as a NUL-terminated string (the C API takes C strings); the caller frees it. */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) abort();
    if (size) memcpy(text, data, size);
    text[size] = 0;
    return text;
}

/* An invariant of the library broke: a crash for libFuzzer, with the reason. */
#define FUZZ_REQUIRE(cond)                                                                    \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "invariant failed: %s (%s:%d); last error: %s\n", #cond, __FILE__, \
                    __LINE__, st_last_error());                                               \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* Every status the library returns is one of st_status's, and an error (not ST_WAIT) leaves a message. */
static inline int32_t fuzz_status(int32_t status) {
    FUZZ_REQUIRE(status >= ST_OK && status <= ST_ERROR);
    if (status != ST_OK && status != ST_WAIT) FUZZ_REQUIRE(st_last_error() != NULL && st_last_error()[0] != 0);
    return status;
}

/* A saved searcher restores. */
static inline void fuzz_searcher_restores(st_searcher *s) {
    char *state = NULL;
    FUZZ_REQUIRE(fuzz_status(st_searcher_save(s, &state)) == ST_OK);
    st_searcher *again = NULL;
    FUZZ_REQUIRE(fuzz_status(st_searcher_restore(state, &again)) == ST_OK);
    st_searcher_free(again);
    st_free(state);
}

/* A saved experiment restores. */
static inline void fuzz_experiment_restores(st_experiment *e) {
    char *state = NULL;
    FUZZ_REQUIRE(fuzz_status(st_experiment_save(e, &state)) == ST_OK);
    st_experiment *again = NULL;
    FUZZ_REQUIRE(fuzz_status(st_experiment_restore(state, &again)) == ST_OK);
    st_experiment_free(again);
    st_free(state);
}

#endif
