/* Writes the seed corpus of the fuzz targets (Tests/fuzz/corpus/<target>/): spaces, specifications,
 * states saved by the library, call sequences, the shapes the C API tests use. Run by hand when the
 * formats change: cc -Iinclude Tests/fuzz/seeds.c -L.build/release -lswifttune -o seeds && ./seeds Tests/fuzz/corpus */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "swifttune.h"
static void putn(const char *dir, const char *name, int prefix, const char *text, size_t n) {
    char path[512]; snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb"); if (prefix >= 0) fputc(prefix, f); fwrite(text, 1, n, f); fclose(f);
}
#define put(d, name, prefix, text) putn(d, name, (prefix) ? (unsigned char)((const char *)(prefix))[0] : -1, text, strlen(text))
#define putb(d, name, bytes) putn(d, name, -1, bytes, sizeof(bytes) - 1)
int main(int argc, char **argv) {
    const char *root = argv[1]; char d[400];
    const char *space = "{\"format\": \"swifttune.space\", \"version\": 1, \"space\": {\"type\": \"dict\", \"items\": {"
        "\"width\": {\"type\": \"tune.uniform\", \"lower\": 0, \"upper\": 20}, \"height\": {\"type\": \"tune.uniform\", \"lower\": -100, \"upper\": 100},"
        "\"activation\": {\"type\": \"choice\", \"label\": \"activation\", \"options\": [{\"type\": \"dict\", \"items\": {\"activation\": \"relu\", "
        "\"mult\": {\"type\": \"uniform\", \"label\": \"mult\", \"low\": 1, \"high\": 2}}}, {\"type\": \"dict\", \"items\": {\"activation\": \"tanh\"}}]},"
        "\"lr\": {\"type\": \"loguniform\", \"label\": \"lr\", \"low\": -7, \"high\": 0}, \"n\": {\"type\": \"quniform\", \"label\": \"n\", \"low\": 1, \"high\": 9, \"q\": 1},"
        "\"steps\": 100, \"c\": {\"type\": \"tune.choice\", \"categories\": [1, 2, 3]}}}}";
    snprintf(d, sizeof d, "%s/space", root); put(d, "seed_conditional", NULL, space);
    put(d, "grid", NULL, "{\"format\": \"swifttune.space\", \"version\": 1, \"space\": {\"type\": \"dict\", \"items\": {\"g\": {\"type\": \"grid_search\", \"values\": [1, 2]}, \"p\": {\"type\": \"pchoice\", \"label\": \"p\", \"options\": [1, 2], \"p\": [0.3, 0.7]}}}}");
    char spec[4096];
    snprintf(d, sizeof d, "%s/specs", root);
    snprintf(spec, sizeof spec, "{\"algorithm\": \"tpe\", \"seed\": 3, \"n_initial_points\": 2, \"space\": %s}", space); put(d, "searcher_tpe", "\x00", spec);
    snprintf(spec, sizeof spec, "{\"algorithm\": \"random\", \"seed\": 3, \"max_concurrent\": 2, \"space\": %s}", space); put(d, "searcher_random", "\x00", spec);
    snprintf(spec, sizeof spec, "{\"algorithm\": \"anneal\", \"seed\": 3, \"space\": %s}", space); put(d, "searcher_anneal", "\x00", spec);
    put(d, "scheduler_asha", "\x01", "{\"type\": \"asha\", \"metric\": \"loss\", \"mode\": \"min\", \"max_t\": 16, \"grace_period\": 1, \"reduction_factor\": 2}");
    put(d, "scheduler_median", "\x01", "{\"type\": \"median_stopping_rule\", \"time_attr\": \"training_iteration\", \"grace_period\": 2}");
    put(d, "scheduler_hyperband", "\x01", "{\"type\": \"hyperband\", \"metric\": \"loss\", \"mode\": \"min\", \"max_t\": 9}");
    put(d, "config", "\x02", "{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 10, \"max_concurrent_trials\": 2, \"stop\": {\"training_iteration\": 10}, \"time_budget_s\": 100, \"max_failures\": 1, \"fail_fast\": false, \"stopper\": {\"type\": \"maximum_iteration\", \"max_iter\": 10}}");
    /* saved states */
    snprintf(d, sizeof d, "%s/restore", root);
    st_searcher *s = NULL;
    snprintf(spec, sizeof spec, "{\"algorithm\": \"tpe\", \"seed\": 3, \"n_initial_points\": 2, \"space\": %s}", space);
    if (st_searcher_new(spec, &s)) { fprintf(stderr, "%s\n", st_last_error()); return 1; }
    const char *ids[] = {"t0", "t1", "t2", "t3"};
    for (int i = 0; i < 4; i++) { char *c = NULL; st_searcher_suggest(s, ids[i], &c); st_free(c); st_searcher_tell(s, ids[i], 0, i * 1.5); }
    char *state = NULL; st_searcher_save(s, &state); put(d, "searcher_tpe", NULL, state); st_free(state);
    st_scheduler *sch = NULL;
    st_scheduler_new("{\"type\": \"asha\", \"metric\": \"loss\", \"mode\": \"min\", \"max_t\": 16, \"grace_period\": 1, \"reduction_factor\": 2}", &sch);
    st_experiment *e = NULL;
    if (st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 6, \"max_failures\": 1}", s, sch, &e)) { fprintf(stderr, "%s\n", st_last_error()); return 1; }
    const char *names[] = {"loss"};
    for (int i = 0; i < 4; i++) {
        int32_t action; char *id = NULL, *cfg = NULL;
        st_experiment_next(e, &action, &id, &cfg);
        if (action != 0) break;
        for (int k = 0; k < 3; k++) { double v[] = {i + k * 0.1}; int32_t dec; st_experiment_report(e, id, names, v, 1, k == 1 ? "checkpoint_000001" : NULL, &dec, NULL, NULL, NULL); if (dec) break; }
        if (i < 3) st_experiment_finish(e, id, i == 1 ? 2 : 0, i == 1 ? "failed" : NULL, NULL, NULL, NULL);
        st_free(id); st_free(cfg);
    }
    st_experiment_save(e, &state); put(d, "experiment_asha", NULL, state); st_free(state);
    st_experiment_free(e); st_scheduler_free(sch); st_searcher_free(s);
    /* call sequences: next, reports, finishes, saves */
    snprintf(d, sizeof d, "%s/sequence", root);
    putb(d, "start_report_finish", "\x00\x00\x01\x03\x01\x05\x02\x07\x04\x00\x06\x00");
    putb(d, "three_trials_nan_fail", "\x00\x00\x00\x01\x00\x02\x01\x00\x01\x08\x04\x02\x04\x0b\x03\x01\x05\x0f\x06\x00");
    return 0;
}
