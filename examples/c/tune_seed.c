/*
 * The seed tutorial's first experiment from C: TPE (behind a concurrency limiter of 4) tunes
 * (0.1 + width * step / 100)^-1 + height * 0.1 over 100 steps, on 4 library-owned threads
 * through st_experiment_run, and prints the best configuration.
 *
 *   cc tune_seed.c $(pkg-config --cflags --libs swifttune) -o tune_seed && ./tune_seed [num_samples]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swifttune.h"

static const char *SEARCHER =
    "{\"algorithm\": \"tpe\", \"mode\": \"min\", \"seed\": 2026, \"max_concurrent\": 4,"
    " \"points_to_evaluate\": [{\"width\": 1, \"height\": 2, \"activation\": \"relu\"},"
    "                          {\"width\": 4, \"height\": 2, \"activation\": \"tanh\"}],"
    " \"space\": {\"format\": \"swifttune.space\", \"version\": 1, \"space\": {\"type\": \"dict\", \"items\": {"
    "   \"steps\": 100,"
    "   \"width\": {\"type\": \"tune.uniform\", \"lower\": 0, \"upper\": 20},"
    "   \"height\": {\"type\": \"tune.uniform\", \"lower\": -100, \"upper\": 100},"
    "   \"activation\": {\"type\": \"tune.choice\", \"categories\": [\"relu\", \"tanh\"]}}}}}";

/* A number from the configuration JSON (enough parsing for this flat example). */
static double number(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(json, pattern);
    return at ? strtod(at + strlen(pattern), NULL) : 0.0;
}

/* The text of an object member's value (an object or a scalar), copied; NULL if absent. */
static char *member(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *start = strstr(json, pattern);
    if (!start) return NULL;
    start += strlen(pattern);
    const char *p = start;
    int depth = 0, in_string = 0;
    for (; *p; p++) {
        if (in_string) {
            if (*p == '\\') p++;
            else if (*p == '"') in_string = 0;
        } else if (*p == '"') {
            in_string = 1;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (depth == 0) break;
            if (--depth == 0) { p++; break; }
        } else if (*p == ',' && depth == 0) {
            break;
        }
    }
    size_t n = (size_t)(p - start);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, start, n);
    out[n] = 0;
    return out;
}

static int32_t objective(const char *trial_id, const char *config_json, st_reporter *reporter, void *user_data) {
    (void)trial_id;
    (void)user_data;
    double width = number(config_json, "width"), height = number(config_json, "height");
    int steps = (int)number(config_json, "steps");
    const char *names[] = {"iterations", "mean_loss"};
    for (int step = 0; step < steps; step++) {
        double values[2] = {step, 1.0 / (0.1 + width * step / 100.0) + height * 0.1};
        int32_t decision = ST_CONTINUE;
        if (st_reporter_report(reporter, names, values, 2, NULL, &decision, NULL, NULL) != ST_OK) {
            st_reporter_fail(reporter, st_last_error());
            return 1;
        }
        if (decision != ST_CONTINUE) break;
    }
    return 0;
}

#define CHECK(call)                                                              \
    do {                                                                         \
        if ((call) != ST_OK) {                                                   \
            fprintf(stderr, "%s failed: %s\n", #call, st_last_error());          \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

int main(int argc, char **argv) {
    int samples = argc > 1 ? atoi(argv[1]) : 1000;
    char config[128];
    snprintf(config, sizeof config, "{\"metric\": \"mean_loss\", \"mode\": \"min\", \"num_samples\": %d}", samples);

    if (st_version_number() != ST_VERSION_NUMBER) { /* the library this program was compiled for */
        fprintf(stderr, "libswifttune %s, but this program was compiled against %s\n", st_version(), ST_VERSION);
        return 1;
    }
    st_searcher *searcher = NULL;
    st_experiment *experiment = NULL;
    CHECK(st_searcher_new(SEARCHER, &searcher));
    CHECK(st_experiment_new(config, searcher, NULL, &experiment));
    CHECK(st_experiment_run(experiment, 4, objective, NULL));

    char *best = NULL;
    CHECK(st_experiment_best_trial(experiment, NULL, NULL, NULL, 1, &best));
    char *id = member(best, "id"), *cfg = member(best, "configuration"), *last = member(best, "last_result");
    char *loss = last ? member(last, "mean_loss") : NULL;
    printf("libswifttune %s: %d trials on 4 threads\n", st_version(), samples);
    printf("Best trial %s, mean_loss %s\n", id ? id : "none", loss ? loss : "none");
    printf("Best hyperparameters found were: %s\n", cfg ? cfg : "none");

    free(id);
    free(cfg);
    free(last);
    free(loss);
    st_free(best);
    st_experiment_free(experiment);
    st_searcher_free(searcher);
    return 0;
}
