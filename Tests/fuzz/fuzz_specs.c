/* Target: the specifications. The first byte picks the parser, the rest is its JSON: a
 * searcher spec (st_searcher_new; a searcher made suggests, is told, and its saved state
 * restores), a scheduler spec (st_scheduler_new), or an experiment config (st_experiment_new
 * over a fixed searcher; an experiment made is asked for its first trial and its state restores). */
#include "fuzz.h"

static const char *SEARCHER =
    "{\"algorithm\": \"random\", \"seed\": 1, \"space\": {\"format\": \"swifttune.space\", \"version\": 1, "
    "\"space\": {\"type\": \"dict\", \"items\": {\"x\": {\"type\": \"tune.uniform\", \"lower\": 0, \"upper\": 1}}}}}";

static void searcher(const char *spec) {
    st_searcher *s = NULL;
    if (fuzz_status(st_searcher_new(spec, &s)) != ST_OK) {
        FUZZ_REQUIRE(s == NULL);
        return;
    }
    const char *ids[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        char *config = NULL;
        if (fuzz_status(st_searcher_suggest(s, ids[i], &config)) == ST_OK) {
            st_free(config);
            fuzz_status(st_searcher_tell(s, ids[i], i == 2 ? ST_OUTCOME_FAILED : ST_OUTCOME_COMPLETED, (double)i));
        }
    }
    fuzz_searcher_restores(s);
    st_searcher_free(s);
}

static void scheduler(const char *spec) {
    st_scheduler *s = NULL;
    if (fuzz_status(st_scheduler_new(spec, &s)) == ST_OK) st_scheduler_free(s);
    else FUZZ_REQUIRE(s == NULL);
}

static void experiment(const char *config) {
    st_searcher *s = NULL;
    FUZZ_REQUIRE(st_searcher_new(SEARCHER, &s) == ST_OK);
    st_experiment *e = NULL;
    if (fuzz_status(st_experiment_new(config, s, NULL, &e)) == ST_OK) {
        int32_t action = -1;
        char *id = NULL, *cfg = NULL;
        if (fuzz_status(st_experiment_next(e, &action, &id, &cfg)) == ST_OK) {
            st_free(id);
            st_free(cfg);
        }
        fuzz_experiment_restores(e);
        st_experiment_free(e);
    } else {
        FUZZ_REQUIRE(e == NULL);
    }
    st_searcher_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *text = fuzz_text(data + 1, size - 1);
    switch (data[0] % 3) {
    case 0: searcher(text); break;
    case 1: scheduler(text); break;
    default: experiment(text); break;
    }
    free(text);
    return 0;
}
