/* Target: saved states (st_searcher_restore, st_experiment_restore, st_experiment_resume with
 * each of Ray's restore options) on arbitrary bytes. Whatever restores saves again, and that
 * saved state restores too. */
#include "fuzz.h"

static const char *OPTIONS[] = {NULL, "{\"unfinished\": \"skip\", \"errored\": \"restart\"}",
                                "{\"errored\": \"resume\"}"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_text(data, size);
    st_searcher *s = NULL;
    if (fuzz_status(st_searcher_restore(text, &s)) == ST_OK) {
        fuzz_searcher_restores(s);
        st_searcher_free(s);
    }
    for (int i = 0; i < 3; i++) {
        st_experiment *e = NULL;
        if (fuzz_status(st_experiment_resume(text, OPTIONS[i], &e)) == ST_OK) {
            fuzz_experiment_restores(e);
            st_experiment_free(e);
        } else {
            FUZZ_REQUIRE(e == NULL);
        }
    }
    free(text);
    return 0;
}
