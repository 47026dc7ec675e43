/*
 * Tests of libswifttune's C API: every exported function, and each error path (NULL handles and
 * out-pointers, malformed and truncated JSON, wrong types, wrong handle kinds, unknown and
 * finished trials, NaN and infinite metrics, calls after the experiment ended, freeing NULL).
 * Every error must come back as a status with a message; none may abort the process.
 * Ends with the line "N passed, N failed"; exits 1 if any check failed.
 */
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swifttune.h"

static int passed = 0, failed = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            passed++;                                                                 \
        } else {                                                                      \
            failed++;                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s (last error: %s)\n", __FILE__,   \
                    __LINE__, #cond, st_last_error());                                \
        }                                                                             \
    } while (0)

/* A call that must fail with `status` and leave a non-empty message. */
#define CHECK_ERROR(call, status)                                                     \
    do {                                                                              \
        int32_t rc_ = (call);                                                         \
        CHECK(rc_ == (status));                                                       \
        CHECK(strlen(st_last_error()) > 0);                                           \
    } while (0)

#define CHECK_OK(call)                                                                \
    do {                                                                              \
        int32_t rc_ = (call);                                                         \
        CHECK(rc_ == ST_OK);                                                          \
        CHECK(strcmp(st_last_error(), "") == 0);                                      \
    } while (0)

static const char *SPACE =
    "{\"format\": \"swifttune.space\", \"version\": 1, \"space\": {\"type\": \"dict\", \"items\": {"
    "\"width\": {\"type\": \"tune.uniform\", \"lower\": 0, \"upper\": 20},"
    "\"activation\": {\"type\": \"tune.choice\", \"categories\": [\"relu\", \"tanh\"]}}}}";

static char *searcher_spec(const char *algorithm, const char *extra) {
    static char buf[2048];
    snprintf(buf, sizeof buf, "{\"algorithm\": \"%s\", \"space\": %s%s}", algorithm, SPACE, extra);
    return buf;
}

static void test_basics(void) {
    CHECK(strcmp(st_version(), ST_VERSION) == 0);
    CHECK(st_version_number() == ST_VERSION_NUMBER);
    CHECK(ST_VERSION_NUMBER == ST_VERSION_MAJOR * 1000000 + ST_VERSION_MINOR * 1000 + ST_VERSION_PATCH);
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", ST_VERSION_MAJOR, ST_VERSION_MINOR, ST_VERSION_PATCH);
    CHECK(strcmp(st_version(), expected) == 0);
    CHECK(st_last_error() != NULL);
    st_free(NULL);
    st_space_free(NULL);
    st_searcher_free(NULL);
    st_scheduler_free(NULL);
    st_experiment_free(NULL);
    passed++; /* freeing NULL returned */
}

static void test_space(void) {
    st_space *space = NULL;
    CHECK_OK(st_space_from_json(SPACE, &space));
    CHECK(space != NULL);
    CHECK(st_space_parameter_count(space) == 2);
    char *json = NULL;
    CHECK_OK(st_space_to_json(space, &json));
    CHECK(json != NULL && strstr(json, "\"tune.uniform\"") != NULL);
    /* The JSON round-trips through another handle. */
    st_space *again = NULL;
    CHECK_OK(st_space_from_json(json, &again));
    char *json2 = NULL;
    CHECK_OK(st_space_to_json(again, &json2));
    CHECK(json2 && strcmp(json, json2) == 0);
    st_free(json);
    st_free(json2);
    st_space_free(again);

    /* Errors: NULLs, malformed and truncated JSON, wrong types, invalid spaces. */
    st_space *bad = (st_space *)&bad;
    CHECK_ERROR(st_space_from_json(NULL, &bad), ST_INVALID_ARGUMENT);
    CHECK(bad == NULL);
    CHECK_ERROR(st_space_from_json(SPACE, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_space_from_json("{\"format\": ", &bad), ST_INVALID_JSON);
    CHECK_ERROR(st_space_from_json("not json", &bad), ST_INVALID_JSON);
    CHECK_ERROR(st_space_from_json("\xff\xfe", &bad), ST_INVALID_JSON);
    CHECK_ERROR(st_space_from_json("[1, 2]", &bad), ST_INVALID_SPACE);
    CHECK_ERROR(st_space_from_json("{\"format\": \"swifttune.space\", \"version\": \"1\", \"space\": 1}", &bad), ST_INVALID_SPACE);
    CHECK_ERROR(st_space_from_json("{\"format\": \"swifttune.space\", \"version\": 1, \"space\": "
                                   "{\"type\": \"uniform\", \"label\": \"x\", \"low\": 5, \"high\": 1}}", &bad),
                ST_INVALID_SPACE);
    CHECK(strstr(st_last_error(), "low") != NULL);
    CHECK(bad == NULL);
    char *out = (char *)&out;
    CHECK_ERROR(st_space_to_json(NULL, &out), ST_INVALID_ARGUMENT);
    CHECK(out == NULL);
    CHECK_ERROR(st_space_to_json(space, NULL), ST_INVALID_ARGUMENT);
    CHECK(st_space_parameter_count(NULL) == 0);
    CHECK(strlen(st_last_error()) > 0);
    /* A handle of the wrong kind is refused, not misused. */
    CHECK_ERROR(st_searcher_suggest((st_searcher *)space, "t", &out), ST_INVALID_ARGUMENT);
    CHECK(strstr(st_last_error(), "space handle") != NULL);
    st_space_free(space);
}

static void test_searcher(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("tpe", ", \"seed\": 7, \"n_initial_points\": 3, \"max_concurrent\": 2"), &s));
    char *config = NULL;
    CHECK_OK(st_searcher_suggest(s, "a", &config));
    CHECK(config && strstr(config, "width"));
    st_free(config);
    CHECK_OK(st_searcher_suggest(s, "b", &config));
    st_free(config);
    /* The limiter holds a third suggestion back: ST_WAIT, no error message, no config. */
    config = (char *)&config;
    CHECK(st_searcher_suggest(s, "c", &config) == ST_WAIT);
    CHECK(config == NULL);
    CHECK_OK(st_searcher_tell(s, "a", ST_OUTCOME_COMPLETED, 1.5));
    CHECK_OK(st_searcher_tell(s, "b", ST_OUTCOME_COMPLETED, NAN)); /* NaN counts as failed */
    CHECK_OK(st_searcher_suggest(s, "c", &config));
    st_free(config);
    CHECK_OK(st_searcher_tell(s, "c", ST_OUTCOME_NO_METRIC, 0));
    CHECK_OK(st_searcher_tell(s, "unknown", ST_OUTCOME_FAILED, 0)); /* ignored, as Ray's limiter does */
    CHECK_ERROR(st_searcher_suggest(s, "a", &config), ST_INVALID_TRIAL_STATE); /* id already used */
    CHECK_ERROR(st_searcher_tell(s, "a", 42, 0), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_tell(NULL, "a", ST_OUTCOME_FAILED, 0), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_tell(s, NULL, ST_OUTCOME_FAILED, 0), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_suggest(s, NULL, &config), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_suggest(s, "d", NULL), ST_INVALID_ARGUMENT);

    /* Save, restore, and the restored searcher suggests what the original would have. */
    char *state = NULL;
    CHECK_OK(st_searcher_save(s, &state));
    st_searcher *r = NULL;
    CHECK_OK(st_searcher_restore(state, &r));
    char *c1 = NULL, *c2 = NULL;
    CHECK_OK(st_searcher_suggest(s, "next", &c1));
    CHECK_OK(st_searcher_suggest(r, "next", &c2));
    CHECK(c1 && c2 && strcmp(c1, c2) == 0);
    st_free(c1);
    st_free(c2);
    st_searcher *bad = NULL;
    CHECK_ERROR(st_searcher_restore("{\"limiter\": 1}", &bad), ST_INVALID_STATE);
    CHECK_ERROR(st_searcher_restore(state + 1, &bad), ST_INVALID_JSON); /* truncated */
    CHECK_ERROR(st_searcher_restore(NULL, &bad), ST_INVALID_ARGUMENT);
    char *no_state = NULL;
    CHECK_ERROR(st_searcher_save(NULL, &no_state), ST_INVALID_ARGUMENT);
    CHECK(no_state == NULL);
    CHECK_ERROR(st_searcher_save(s, NULL), ST_INVALID_ARGUMENT);
    st_free(state);
    st_searcher_free(r);
    st_searcher_free(s);

    /* Specification errors. */
    CHECK_ERROR(st_searcher_new(NULL, &bad), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_new("{}", NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_new("{\"algorithm\": \"grid\"}", &bad), ST_INVALID_CONFIG);
    CHECK_ERROR(st_searcher_new("{\"algorithm\": \"tpe\"}", &bad), ST_INVALID_CONFIG);
    CHECK_ERROR(st_searcher_new(searcher_spec("tpe", ", \"gamma\": \"high\""), &bad), ST_INVALID_CONFIG);
    CHECK_ERROR(st_searcher_new(searcher_spec("tpe", ", \"gamma\": 7"), &bad), ST_INVALID_CONFIG);
    CHECK_ERROR(st_searcher_new(searcher_spec("random", ", \"gamma\": 0.5"), &bad), ST_INVALID_CONFIG);
    CHECK_ERROR(st_searcher_new(searcher_spec("tpe", ", \"max_concurrent\": 0"), &bad), ST_INVALID_CONFIG);
    CHECK_ERROR(st_searcher_new(searcher_spec("tpe", ", \"colour\": 1"), &bad), ST_INVALID_CONFIG);
    CHECK_ERROR(st_searcher_new(searcher_spec("tpe", ", \"mode\": \"up\""), &bad), ST_INVALID_CONFIG);
    CHECK_ERROR(st_searcher_new(searcher_spec("tpe", ", \"points_to_evaluate\": [{\"width\": 99}]"), &bad), ST_INVALID_CONFIG);
    CHECK_ERROR(st_searcher_new("[\"tpe\"]", &bad), ST_INVALID_CONFIG);
    CHECK_ERROR(st_searcher_new("{\"algorithm\": \"tpe\", \"space\": ", &bad), ST_INVALID_JSON);
    CHECK(bad == NULL);
}

/* hyperopt's annealing: an "anneal" searcher over an hp space, its options checked, its state restored. */
static void test_anneal(void) {
    static const char *HP_SPACE =
        "{\"format\": \"swifttune.space\", \"version\": 1, \"space\": {\"type\": \"dict\", \"items\": {"
        "\"x\": {\"type\": \"uniform\", \"label\": \"x\", \"low\": -5, \"high\": 5},"
        "\"c\": {\"type\": \"choice\", \"label\": \"c\", \"options\": [\"p\", \"q\"]}}}}";
    char spec[1024];
    snprintf(spec, sizeof spec, "{\"algorithm\": \"anneal\", \"seed\": 3, \"avg_best_idx\": 3, \"shrink_coef\": 0.5, "
             "\"space\": %s}", HP_SPACE);
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(spec, &s));
    for (int i = 0; i < 12; i++) {
        char id[16], *config = NULL;
        snprintf(id, sizeof id, "t%d", i);
        CHECK_OK(st_searcher_suggest(s, id, &config));
        CHECK(config && strstr(config, "\"x\""));
        st_free(config);
        CHECK_OK(st_searcher_tell(s, id, i == 3 ? ST_OUTCOME_FAILED : ST_OUTCOME_COMPLETED, (double)(i % 5)));
    }
    char *state = NULL;
    CHECK_OK(st_searcher_save(s, &state));
    CHECK(strstr(state, "\"anneal\"") && strstr(state, "\"shrink_coef\":0.5"));
    st_searcher *r = NULL;
    CHECK_OK(st_searcher_restore(state, &r));
    char *c1 = NULL, *c2 = NULL;
    CHECK_OK(st_searcher_suggest(s, "next", &c1));
    CHECK_OK(st_searcher_suggest(r, "next", &c2));
    CHECK(c1 && c2 && strcmp(c1, c2) == 0);
    st_free(c1);
    st_free(c2);
    st_free(state);
    st_searcher_free(r);
    st_searcher_free(s);
    st_searcher *bad = NULL;
    snprintf(spec, sizeof spec, "{\"algorithm\": \"anneal\", \"avg_best_idx\": 0.5, \"space\": %s}", HP_SPACE);
    CHECK_ERROR(st_searcher_new(spec, &bad), ST_INVALID_CONFIG);
    CHECK(strstr(st_last_error(), "avg_best_idx"));
    CHECK_ERROR(st_searcher_new(searcher_spec("anneal", ""), &bad), ST_INVALID_CONFIG); /* tune.* kinds: not hyperopt's */
    CHECK(strstr(st_last_error(), "hyperopt's hp distributions only"));
    CHECK_ERROR(st_searcher_new(searcher_spec("tpe", ", \"shrink_coef\": 0.5"), &bad), ST_INVALID_CONFIG);
    CHECK(bad == NULL);
}

static void test_scheduler(void) {
    st_scheduler *sch = NULL;
    CHECK_OK(st_scheduler_new("{\"type\": \"fifo\"}", &sch));
    st_scheduler_free(sch);
    CHECK_OK(st_scheduler_new("{\"type\": \"asha\", \"max_t\": 16, \"grace_period\": 1, \"reduction_factor\": 2}", &sch));
    st_scheduler_free(sch);
    CHECK_OK(st_scheduler_new("{\"type\": \"median_stopping_rule\", \"time_attr\": \"training_iteration\", \"grace_period\": 2}", &sch));
    st_scheduler_free(sch);
    sch = NULL;
    CHECK_ERROR(st_scheduler_new("{\"type\": \"pbt\"}", &sch), ST_INVALID_CONFIG);
    CHECK_ERROR(st_scheduler_new("{\"type\": \"asha\", \"reduction_factor\": 1}", &sch), ST_INVALID_CONFIG);
    CHECK_ERROR(st_scheduler_new("{\"type\": \"asha\", \"max_t\": \"long\"}", &sch), ST_INVALID_CONFIG);
    CHECK_ERROR(st_scheduler_new("{\"type\": \"fifo\", \"max_t\": 3}", &sch), ST_INVALID_CONFIG);
    CHECK_ERROR(st_scheduler_new("{\"type\": \"asha\"", &sch), ST_INVALID_JSON);
    CHECK_ERROR(st_scheduler_new(NULL, &sch), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_scheduler_new("{}", NULL), ST_INVALID_ARGUMENT);
    CHECK(sch == NULL);
}

static void test_experiment(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"seed\": 3"), &s));
    st_scheduler *asha = NULL;
    CHECK_OK(st_scheduler_new("{\"type\": \"asha\", \"max_t\": 4, \"grace_period\": 1, \"reduction_factor\": 2}", &asha));
    st_experiment *e = NULL;
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 3, \"stop\": {\"training_iteration\": 10}}",
                               s, asha, &e));
    int32_t action = -1;
    char *id = NULL, *config = NULL;
    CHECK_OK(st_experiment_next(e, &action, &id, &config));
    CHECK(action == ST_NEXT_START && id && strcmp(id, "trial_00000") == 0 && config);
    const char *names[] = {"loss", "accuracy"};
    double values[] = {1.0, 0.5};
    int32_t decision = -1;
    double iteration = -1, total = -1;
    CHECK_OK(st_experiment_report(e, id, names, values, 2, NULL, &decision, &iteration, &total, NULL));
    CHECK(decision == ST_CONTINUE);
    CHECK(iteration == 1 && total >= 0 && total < 60); /* the engine's automatic fields */
    CHECK_OK(st_experiment_report(e, id, names, values, 0, NULL, NULL, NULL, NULL, NULL)); /* nothing wanted back */
    double nan_values[] = {NAN, INFINITY};
    CHECK_OK(st_experiment_report(e, id, names, nan_values, 2, NULL, &decision, &iteration, NULL, NULL)); /* recorded, never "best" */
    CHECK(iteration == 3);
    int32_t status = -1, failures = -1, metric = -1;
    CHECK_OK(st_experiment_finish(e, id, ST_END_COMPLETED, NULL, &status, &failures, &metric));
    CHECK(status == ST_TRIAL_TERMINATED && failures == 0 && metric == ST_METRIC_NOT_FINITE);
    /* A finished trial refuses reports and a second finish; the out-values stay as they were. */
    CHECK_ERROR(st_experiment_report(e, id, names, values, 2, NULL, &decision, NULL, NULL, NULL), ST_INVALID_TRIAL_STATE);
    CHECK_ERROR(st_experiment_finish(e, id, ST_END_COMPLETED, NULL, &status, NULL, NULL), ST_INVALID_TRIAL_STATE);
    CHECK(status == ST_TRIAL_TERMINATED);
    CHECK_ERROR(st_experiment_attach_checkpoint(e, id, "late"), ST_INVALID_TRIAL_STATE);
    CHECK_ERROR(st_experiment_attach_checkpoint(e, "no_such_trial", "x"), ST_UNKNOWN_TRIAL);
    CHECK_ERROR(st_experiment_report(e, "no_such_trial", names, values, 2, NULL, &decision, NULL, NULL, NULL), ST_UNKNOWN_TRIAL);
    CHECK_ERROR(st_experiment_finish(e, "no_such_trial", ST_END_FAILED, "x", NULL, NULL, NULL), ST_UNKNOWN_TRIAL);
    char *one = NULL;
    CHECK_OK(st_experiment_trial(e, id, &one));
    CHECK(one && strstr(one, "\"TERMINATED\"") && strstr(one, "\"num_reports\":3"));
    st_free(one);
    CHECK_ERROR(st_experiment_trial(e, "nope", &one), ST_UNKNOWN_TRIAL);
    CHECK(one == NULL);
    st_free(id);
    st_free(config);

    /* Two more trials: one fails, one reports well. */
    CHECK_OK(st_experiment_next(e, &action, &id, NULL));
    CHECK(action == ST_NEXT_START);
    CHECK_OK(st_experiment_finish(e, id, ST_END_FAILED, "the objective raised", &status, &failures, &metric));
    CHECK(status == ST_TRIAL_ERROR && failures == 1 && metric == ST_METRIC_OK); /* max_failures 0: no retry */
    char *t = NULL;
    CHECK_OK(st_experiment_trial(e, id, &t));
    CHECK(t && strstr(t, "\"ERROR\"") && strstr(t, "the objective raised"));
    st_free(t);
    st_free(id);
    CHECK_OK(st_experiment_next(e, &action, &id, NULL));
    double good[] = {0.25, 0.9};
    CHECK_OK(st_experiment_report(e, id, names, good, 2, NULL, &decision, NULL, NULL, NULL));
    CHECK_OK(st_experiment_finish(e, id, ST_END_COMPLETED, NULL, &status, NULL, &metric));
    CHECK(status == ST_TRIAL_TERMINATED && metric == ST_METRIC_OK);
    /* Three samples used: the experiment is over, and it stays over. */
    CHECK_OK(st_experiment_next(e, &action, NULL, NULL));
    CHECK(action == ST_NEXT_FINISHED);
    CHECK_OK(st_experiment_next(e, &action, NULL, NULL));
    CHECK(action == ST_NEXT_FINISHED);

    /* Best trial: the NaN-reporting trial is never best; scopes and modes. */
    char *best = NULL;
    CHECK_OK(st_experiment_best_trial(e, NULL, NULL, NULL, 1, &best));
    CHECK(best && strstr(best, id));
    st_free(best);
    CHECK_OK(st_experiment_best_trial(e, "accuracy", "max", "all", 1, &best));
    CHECK(best && strstr(best, id));
    st_free(best);
    CHECK_OK(st_experiment_best_trial(e, "no_such_metric", NULL, "avg", 1, &best));
    CHECK(best && strcmp(best, "null") == 0);
    st_free(best);
    CHECK_ERROR(st_experiment_best_trial(e, NULL, "sideways", NULL, 1, &best), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_best_trial(e, NULL, NULL, "median", 1, &best), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_best_trial(e, NULL, NULL, NULL, 1, NULL), ST_INVALID_ARGUMENT);
    st_free(id);

    char *trials = NULL;
    CHECK_OK(st_experiment_trials(e, &trials));
    CHECK(trials && trials[0] == '[' && strstr(trials, "trial_00002"));
    st_free(trials);
    /* The summaries: every trial, each result counted instead of listed. */
    char *summaries = NULL;
    CHECK_OK(st_experiment_trial_summaries(e, &summaries));
    CHECK(summaries && summaries[0] == '[' && strstr(summaries, "trial_00002") && strstr(summaries, "\"num_results\":")
          && !strstr(summaries, "\"results\":"));
    st_free(summaries);
    CHECK_ERROR(st_experiment_trial_summaries(NULL, &summaries), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_trial_summaries(e, NULL), ST_INVALID_ARGUMENT);

    /* Save and restore. */
    char *state = NULL;
    CHECK_OK(st_experiment_save(e, &state));
    st_experiment *r = NULL;
    CHECK_OK(st_experiment_restore(state, &r));
    char *t1 = NULL, *t2 = NULL;
    CHECK_OK(st_experiment_trials(e, &t1));
    CHECK_OK(st_experiment_trials(r, &t2));
    CHECK(t1 && t2 && strcmp(t1, t2) == 0);
    st_free(t1);
    st_free(t2);
    st_experiment *bad = NULL;
    CHECK_ERROR(st_experiment_restore("{\"format\": \"swifttune.experiment\", \"version\": 2}", &bad), ST_INVALID_STATE);
    state[strlen(state) / 2] = 0; /* truncated */
    CHECK_ERROR(st_experiment_restore(state, &bad), ST_INVALID_JSON);
    CHECK(bad == NULL);
    st_free(state);
    st_experiment_free(r);

    /* NULL handles and out-pointers everywhere. */
    CHECK_ERROR(st_experiment_next(NULL, &action, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_next(e, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_report(NULL, "x", names, values, 2, NULL, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_report(e, NULL, names, values, 2, NULL, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_report(e, "trial_00000", NULL, values, 2, NULL, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_report(e, "trial_00000", names, NULL, 2, NULL, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_report(e, "trial_00000", names, values, -1, NULL, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    const char *null_name[] = {NULL};
    CHECK_ERROR(st_experiment_report(e, "trial_00000", null_name, values, 1, NULL, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_finish(NULL, "x", ST_END_COMPLETED, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_finish(e, NULL, ST_END_COMPLETED, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_finish(e, "trial_00000", 99, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_trials(NULL, &trials), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_trials(e, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_trial(e, NULL, &trials), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_save(NULL, &state), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_save(e, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_restore(NULL, &bad), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_restore("{}", NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_best_trial(NULL, NULL, NULL, NULL, 1, &best), ST_INVALID_ARGUMENT);
    st_experiment_free(e);

    /* Creation errors. */
    CHECK_ERROR(st_experiment_new(NULL, s, NULL, &e), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\"}", NULL, NULL, &e), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\"}", s, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_new("{\"num_samples\": 2}", s, asha, &e), ST_INVALID_CONFIG); /* ASHA needs a metric */
    CHECK(strstr(st_last_error(), "AsyncHyperBandScheduler has been instantiated without a valid `metric`") != NULL);
    CHECK_ERROR(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"max\"}", s, NULL, &e), ST_INVALID_CONFIG);
    CHECK_ERROR(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": -1}", s, NULL, &e), ST_INVALID_CONFIG);
    CHECK_ERROR(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"stop\": {\"x\": \"y\"}}", s, NULL, &e), ST_INVALID_CONFIG);
    CHECK_ERROR(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 1.5}", s, NULL, &e), ST_INVALID_CONFIG);
    CHECK_ERROR(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\"", s, NULL, &e), ST_INVALID_JSON);
    CHECK_ERROR(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\"}", s, (st_scheduler *)s, &e), ST_INVALID_ARGUMENT);
    CHECK(e == NULL);
    st_scheduler_free(asha);
    st_searcher_free(s);
}

/* The run loop: an objective that stops when told, fails on some trials, and reports NaN once. */
static int32_t objective(const char *trial_id, const char *config_json, st_reporter *reporter, void *user_data) {
    int *calls = (int *)user_data;
    __atomic_add_fetch(calls, 1, __ATOMIC_SEQ_CST);
    if (!trial_id || !config_json || !strstr(config_json, "width")) return 1;
    if (strcmp(trial_id, "trial_00003") == 0) {
        st_reporter_fail(reporter, "trial 3 always fails");
        return 1;
    }
    const char *names[] = {"loss"};
    for (int step = 0; step < 20; step++) {
        double v[] = {strcmp(trial_id, "trial_00004") == 0 && step == 0 ? NAN : 10.0 - step};
        int32_t decision = ST_CONTINUE;
        if (st_reporter_report(reporter, names, v, 1, NULL, &decision, NULL, NULL) != ST_OK) return 1;
        if (decision != ST_CONTINUE) return 0;
    }
    return 0;
}

static void test_run_loop(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("tpe", ", \"seed\": 11, \"max_concurrent\": 3"), &s));
    st_experiment *e = NULL;
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 12, \"stop\": {\"training_iteration\": 5}}",
                               s, NULL, &e));
    int calls = 0;
    CHECK_OK(st_experiment_run(e, 4, objective, &calls));
    CHECK(calls == 12);
    char *trials = NULL;
    CHECK_OK(st_experiment_trials(e, &trials));
    int terminated = 0, errors = 0;
    for (const char *p = trials; (p = strstr(p, "\"status\":")) != NULL; p++) {
        if (strncmp(p + 9, "\"TERMINATED\"", 12) == 0) terminated++;
        if (strncmp(p + 9, "\"ERROR\"", 7) == 0) errors++;
    }
    CHECK(terminated == 11 && errors == 1);
    CHECK(strstr(trials, "trial 3 always fails") != NULL);
    CHECK(strstr(trials, "\"num_reports\":5") != NULL); /* the stop criterion ended trials at iteration 5 */
    st_free(trials);
    /* Nothing left to run: a second run returns at once. */
    CHECK_OK(st_experiment_run(e, 2, objective, &calls));
    CHECK(calls == 12);
    CHECK_ERROR(st_experiment_run(e, 0, objective, &calls), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_run(e, 2, NULL, &calls), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_run(NULL, 2, objective, &calls), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_reporter_report(NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_reporter_fail(NULL, "x"), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_reporter_report((st_reporter *)e, NULL, NULL, 0, NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    st_experiment_free(e);
    st_searcher_free(s);
}

/* Fails once at its third report, after a checkpoint at the second; the retry must resume there. */
static int32_t flaky(const char *trial_id, const char *config, st_reporter *reporter, void *user_data) {
    (void)config;
    int *resumed = user_data;
    const char *checkpoint = NULL;
    int64_t kept = -1;
    if (st_reporter_checkpoint(reporter, &checkpoint, &kept) != ST_OK) return 1;
    if (checkpoint != NULL) {
        char expected[64];
        snprintf(expected, sizeof expected, "%s/checkpoint_2", trial_id);
        if (strcmp(checkpoint, expected) != 0 || kept != 2) return 1;
        __atomic_add_fetch(resumed, 1, __ATOMIC_SEQ_CST);
    }
    const char *names[] = {"loss", "training_iteration"};
    for (int64_t step = kept + 1; step <= 4; step++) {
        double v[] = {10.0 - (double)step, (double)step};
        int32_t rc;
        if (step == 2) {
            char name[64];
            snprintf(name, sizeof name, "%s/checkpoint_2", trial_id);
            rc = st_reporter_report(reporter, names, v, 2, name, NULL, NULL, NULL);
        } else {
            rc = st_reporter_report(reporter, names, v, 2, NULL, NULL, NULL, NULL);
        }
        if (rc != ST_OK) return 1;
        if (step == 3 && checkpoint == NULL) {
            st_reporter_fail(reporter, "simulated crash");
            return 1;
        }
    }
    return 0;
}

static void test_fault_tolerance(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"seed\": 5"), &s));
    st_experiment *e = NULL;
    CHECK_ERROR(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"max_failures\": 1, \"fail_fast\": true}", s, NULL, &e),
                ST_INVALID_CONFIG);
    CHECK(strstr(st_last_error(), "max_failures must be 0 if fail_fast") != NULL);
    CHECK_ERROR(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"fail_fast\": 1}", s, NULL, &e), ST_INVALID_CONFIG);
    CHECK(strstr(st_last_error(), "fail_fast") != NULL);
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 6, \"max_failures\": 1}", s, NULL, &e));
    int resumed = 0;
    CHECK_OK(st_experiment_run(e, 3, flaky, &resumed));
    CHECK(resumed == 6);
    char *trials = NULL;
    CHECK_OK(st_experiment_trials(e, &trials));
    int terminated = 0;
    for (const char *p = trials; (p = strstr(p, "\"status\":\"TERMINATED\"")) != NULL; p++) terminated++;
    CHECK(terminated == 6);
    CHECK(strstr(trials, "\"num_failures\":1") != NULL && strstr(trials, "\"checkpoint\":\"trial_00000/checkpoint_2\"") != NULL);
    CHECK(strstr(trials, "\"training_iteration\":3") != NULL && strstr(trials, "\"num_reports\":4") != NULL);
    st_free(trials);

    /* A trial that failed for good, restored with each of Ray's resume flags. */
    st_experiment *f = NULL;
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 2}", s, NULL, &f));
    int32_t action = -1;
    char *id = NULL;
    CHECK_OK(st_experiment_next(f, &action, &id, NULL));
    const char *names[] = {"loss"};
    double v[] = {1.0};
    CHECK_OK(st_experiment_report(f, id, names, v, 1, "ck", NULL, NULL, NULL, NULL));
    CHECK_ERROR(st_experiment_report(f, id, names, v, 1, "", NULL, NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK(strstr(st_last_error(), "checkpoint is empty") != NULL);
    int32_t status = -1, failures = -1;
    CHECK_OK(st_experiment_finish(f, id, ST_END_FAILED, "boom", &status, &failures, NULL));
    CHECK(status == ST_TRIAL_ERROR && failures == 1);
    char *state = NULL;
    CHECK_OK(st_experiment_save(f, &state));
    st_experiment *r = NULL;
    CHECK_OK(st_experiment_resume(state, "{\"errored\": \"resume\"}", &r));
    char *one = NULL;
    CHECK_OK(st_experiment_trial(r, id, &one));
    CHECK(one && strstr(one, "\"status\":\"PENDING\"") && strstr(one, "\"checkpoint\":\"ck\"") && strstr(one, "\"num_reports\":1"));
    st_free(one);
    st_experiment_free(r);
    CHECK_OK(st_experiment_resume(state, "{\"errored\": \"restart\", \"unfinished\": \"skip\"}", &r));
    CHECK_OK(st_experiment_trial(r, id, &one));
    CHECK(one && strstr(one, "\"status\":\"PENDING\"") && strstr(one, "\"checkpoint\":null") && strstr(one, "\"num_reports\":0"));
    st_free(one);
    st_experiment_free(r);
    CHECK_OK(st_experiment_resume(state, NULL, &r));
    CHECK_OK(st_experiment_trial(r, id, &one));
    CHECK(one && strstr(one, "\"status\":\"ERROR\"") && strstr(one, "\"error\":\"boom\""));
    st_free(one);
    st_experiment_free(r);
    r = NULL;
    CHECK_ERROR(st_experiment_resume(state, "{\"errored\": \"again\"}", &r), ST_INVALID_CONFIG);
    CHECK(strstr(st_last_error(), "errored") != NULL && r == NULL);
    CHECK_ERROR(st_experiment_resume(state, "{\"finished\": \"skip\"}", &r), ST_INVALID_CONFIG);
    CHECK_ERROR(st_experiment_resume(state, "[", &r), ST_INVALID_JSON);
    CHECK_ERROR(st_experiment_resume(state, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_reporter_checkpoint(NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_reporter_report(NULL, names, v, 1, "x", NULL, NULL, NULL), ST_INVALID_ARGUMENT);
    st_free(state);
    st_free(id);
    st_experiment_free(f);
    st_experiment_free(e);
    st_searcher_free(s);
}

/* A suggestion's assignment: label -> value, a choice by its option index, in the space's order. */
static void test_assignment(void) {
    st_searcher *s = NULL;
    const char *space =
        "{\"format\": \"swifttune.space\", \"version\": 1, \"space\": {\"type\": \"dict\", \"items\": {"
        "\"act\": {\"type\": \"choice\", \"label\": \"act\", \"options\": ["
        "{\"type\": \"dict\", \"items\": {\"name\": \"relu\", \"mult\": {\"type\": \"uniform\", \"label\": \"mult\", \"low\": 1, \"high\": 2}}},"
        "\"tanh\"]},"
        "\"n\": {\"type\": \"randint\", \"label\": \"n\", \"low\": 0, \"high\": 5}}}}";
    char spec[1024];
    snprintf(spec, sizeof spec, "{\"algorithm\": \"random\", \"seed\": 1, \"space\": %s, \"points_to_evaluate\": "
             "[{\"act\": {\"name\": \"relu\", \"mult\": 1.5}, \"n\": 3}, {\"act\": \"tanh\", \"n\": 0}]}", space);
    CHECK_OK(st_searcher_new(spec, &s));
    char *config = NULL, *assignment = NULL;
    CHECK_OK(st_searcher_suggest_with_assignment(s, "a", &config, &assignment));
    CHECK(config && strcmp(config, "{\"act\":{\"name\":\"relu\",\"mult\":1.5},\"n\":3}") == 0);
    CHECK(assignment && strcmp(assignment, "{\"act\":0,\"mult\":1.5,\"n\":3}") == 0);
    st_free(config);
    st_free(assignment);
    CHECK_OK(st_searcher_suggest_with_assignment(s, "b", &config, &assignment));
    CHECK(assignment && strcmp(assignment, "{\"act\":1,\"n\":0}") == 0); /* mult is inactive: left out */
    st_free(config);
    st_free(assignment);
    CHECK_OK(st_searcher_suggest_with_assignment(s, "c", &config, NULL)); /* the assignment is optional */
    CHECK(config != NULL);
    st_free(config);
    assignment = (char *)&assignment;
    CHECK_ERROR(st_searcher_suggest_with_assignment(s, "a", &config, &assignment), ST_INVALID_TRIAL_STATE);
    CHECK(config == NULL && assignment == NULL);
    CHECK_ERROR(st_searcher_suggest_with_assignment(NULL, "d", &config, &assignment), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_suggest_with_assignment(s, NULL, &config, &assignment), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_suggest_with_assignment(s, "d", NULL, &assignment), ST_INVALID_ARGUMENT);
    CHECK(assignment == NULL);
    st_searcher_free(s);
    /* ST_WAIT under a concurrency limit: both strings NULL. */
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"max_concurrent\": 1"), &s));
    CHECK_OK(st_searcher_suggest_with_assignment(s, "a", &config, &assignment));
    CHECK(assignment && strstr(assignment, "\"width\":") && strstr(assignment, "\"activation\":"));
    st_free(config);
    st_free(assignment);
    CHECK(st_searcher_suggest_with_assignment(s, "b", &config, &assignment) == ST_WAIT);
    CHECK(config == NULL && assignment == NULL);
    st_searcher_free(s);
}

/* What st_experiment_finish reports: a retried run, a run that failed for good, a missing metric. */
static void test_finish_outcome(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"seed\": 2"), &s));
    st_experiment *e = NULL;
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 2, \"max_failures\": 1}", s, NULL, &e));
    int32_t action = -1, status = -1, failures = -1, metric = -1;
    char *id = NULL, *again = NULL;
    CHECK_OK(st_experiment_next(e, &action, &id, NULL));
    CHECK_OK(st_experiment_finish(e, id, ST_END_FAILED, "first", &status, &failures, &metric));
    CHECK(status == ST_TRIAL_PENDING && failures == 1 && metric == ST_METRIC_OK); /* retried */
    CHECK_OK(st_experiment_next(e, &action, &again, NULL));
    CHECK(action == ST_NEXT_START && again && strcmp(id, again) == 0); /* the retried trial comes first */
    CHECK_OK(st_experiment_finish(e, id, ST_END_FAILED, NULL, &status, &failures, NULL));
    CHECK(status == ST_TRIAL_ERROR && failures == 2);
    st_free(id);
    st_free(again);
    CHECK_OK(st_experiment_next(e, &action, &id, NULL));
    const char *names[] = {"accuracy"};
    double v[] = {0.5};
    double total = -1;
    CHECK_OK(st_experiment_report(e, id, names, v, 1, NULL, NULL, NULL, &total, NULL));
    CHECK(total >= 0);
    const char *with_iteration[] = {"accuracy", "training_iteration", "time_total_s"};
    double own[] = {0.6, 7.0, 12.5};
    double iteration = -1;
    CHECK_OK(st_experiment_report(e, id, with_iteration, own, 3, NULL, NULL, &iteration, &total, NULL));
    CHECK(iteration == 7 && total == 12.5); /* reported values stand */
    CHECK_OK(st_experiment_report(e, id, names, v, 1, NULL, NULL, &iteration, NULL, NULL));
    CHECK(iteration == 3); /* the engine counts results */
    CHECK_OK(st_experiment_finish(e, id, ST_END_COMPLETED, NULL, &status, &failures, &metric));
    CHECK(status == ST_TRIAL_TERMINATED && failures == 0 && metric == ST_METRIC_MISSING);
    st_free(id);
    st_experiment_free(e);
    st_searcher_free(s);
}

/* The checkpoint rule (checkpoint_frequency, checkpoint_at_end) answered by st_experiment_report,
 * and a checkpoint saved after a result attached with st_experiment_attach_checkpoint. */
static void test_checkpoint_rule(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"seed\": 3"), &s));
    st_experiment *e = NULL;
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 1, \"stop\": "
                               "{\"training_iteration\": 3}, \"checkpoint_frequency\": 2, \"checkpoint_at_end\": true}",
                               s, NULL, &e));
    int32_t action = -1, decision = -1, due = -1;
    char *id = NULL;
    CHECK_OK(st_experiment_next(e, &action, &id, NULL));
    const char *names[] = {"loss"};
    double v[] = {1.0};
    int32_t expected[] = {0, 1, 1}; /* iteration 2 by frequency, 3 at the end */
    for (int k = 0; k < 3; k++) {
        CHECK_OK(st_experiment_report(e, id, names, v, 1, NULL, &decision, NULL, NULL, &due));
        CHECK(due == expected[k]);
    }
    CHECK(decision == ST_STOP);
    CHECK_ERROR(st_experiment_attach_checkpoint(e, id, ""), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_attach_checkpoint(e, id, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_attach_checkpoint(NULL, id, "c"), ST_INVALID_ARGUMENT);
    CHECK_OK(st_experiment_attach_checkpoint(e, id, "checkpoint_000000"));
    char *one = NULL;
    CHECK_OK(st_experiment_trial(e, id, &one));
    CHECK(one && strstr(one, "\"checkpoint\":\"checkpoint_000000\""));
    st_free(one);
    char *state = NULL;
    CHECK_OK(st_experiment_save(e, &state));
    CHECK(state && strstr(state, "\"checkpoint_frequency\":2") && strstr(state, "\"checkpoint_at_end\":true"));
    st_free(state);
    CHECK_OK(st_experiment_finish(e, id, ST_END_STOPPED, NULL, NULL, NULL, NULL));
    st_free(id);
    st_experiment_free(e);
    st_searcher_free(s);
}

/* A caller-side stopper: stops a trial at its result with "loss" <= 1, the experiment once it saw
 * `all_after` results; "loss" == 99 makes it fail (returns non-zero). */
struct stop_state {
    int results, all_asked, all_after, finals;
    char last_trial[64];
};

static int32_t my_stopper(int32_t id, int32_t query, const char *trial_id, const char *const *names,
                          const double *values, int32_t count, int32_t *out_stop, void *user_data) {
    struct stop_state *st = user_data;
    if (id != 0) return 7;
    if (query == ST_STOP_ALL) {
        if (trial_id != NULL || names != NULL || values != NULL || count != 0) return 8;
        st->all_asked++;
        *out_stop = st->all_after > 0 && st->results >= st->all_after;
        return 0;
    }
    st->results++;
    snprintf(st->last_trial, sizeof st->last_trial, "%s", trial_id);
    double loss = 1e9, done = 0, iteration = -1;
    for (int32_t i = 0; i < count; i++) {
        if (strcmp(names[i], "loss") == 0) loss = values[i];
        if (strcmp(names[i], "done") == 0) done = values[i];
        if (strcmp(names[i], "training_iteration") == 0) iteration = values[i];
    }
    if (iteration < 1) return 9; /* the engine's automatic fields are there */
    if (done != 0) st->finals++;
    if (loss == 99) return 42;
    *out_stop = loss <= 1;
    return 0;
}

static void test_stopper_callback(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"seed\": 3"), &s));
    st_experiment *e = NULL;
    /* No metric, no mode: random search and FIFO need none. A callback stopper OR Ray's MaximumIterationStopper. */
    const char *config = "{\"num_samples\": 4, \"stopper\": {\"type\": \"combined\", \"stoppers\": ["
                         "{\"type\": \"callback\", \"id\": 0}, {\"type\": \"maximum_iteration\", \"max_iter\": 3}]}}";
    CHECK_OK(st_experiment_new(config, s, NULL, &e));
    int32_t action = -1, decision = -1, status = -1;
    char *id = NULL;
    /* Without a callback, asking the stopper fails; the engine does not crash. */
    CHECK_ERROR(st_experiment_next(e, &action, &id, NULL), ST_ERROR);
    CHECK(strstr(st_last_error(), "stopper callback 0 is not set") != NULL);
    CHECK_ERROR(st_experiment_set_stopper(NULL, my_stopper, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_set_stopper(e, NULL, NULL), ST_INVALID_ARGUMENT);
    struct stop_state st = {0, 0, 5, 0, ""};
    CHECK_OK(st_experiment_set_stopper(e, my_stopper, &st));
    CHECK_OK(st_experiment_next(e, &action, &id, NULL));
    CHECK(action == ST_NEXT_START && st.all_asked >= 1);
    const char *names[] = {"loss"};
    double high[] = {5}, low[] = {0.5}, boom[] = {99};
    CHECK_OK(st_experiment_report(e, id, names, high, 1, NULL, &decision, NULL, NULL, NULL));
    CHECK(decision == ST_CONTINUE && st.results == 1 && strcmp(st.last_trial, id) == 0);
    CHECK_OK(st_experiment_report(e, id, names, low, 1, NULL, &decision, NULL, NULL, NULL));
    CHECK(decision == ST_STOP && st.results == 2); /* the callback stopped it */
    CHECK_OK(st_experiment_finish(e, id, ST_END_STOPPED, NULL, &status, NULL, NULL));
    st_free(id);
    /* Ray's MaximumIterationStopper(3) stops the next one; a completed trial is asked once more with done = 1. */
    CHECK_OK(st_experiment_next(e, &action, &id, NULL));
    CHECK_OK(st_experiment_report(e, id, names, high, 1, NULL, &decision, NULL, NULL, NULL));
    CHECK(decision == ST_CONTINUE);
    CHECK_OK(st_experiment_finish(e, id, ST_END_COMPLETED, NULL, &status, NULL, NULL));
    CHECK(st.finals == 1 && status == ST_TRIAL_TERMINATED);
    st_free(id);
    /* A callback returning an error: the report fails with ST_ERROR and the message says so. */
    CHECK_OK(st_experiment_next(e, &action, &id, NULL));
    CHECK_ERROR(st_experiment_report(e, id, names, boom, 1, NULL, &decision, NULL, NULL, NULL), ST_ERROR);
    CHECK(strstr(st_last_error(), "stopper callback 0 failed (it returned 42)") != NULL);
    /* stop_all: once the callback saw 5 results (the failed one and the final one count) the experiment
     * stops: the running trial's next report answers stop, nothing new starts. */
    CHECK_OK(st_experiment_report(e, id, names, high, 1, NULL, &decision, NULL, NULL, NULL));
    CHECK(st.results == 6 && decision == ST_STOP);
    CHECK_OK(st_experiment_finish(e, id, ST_END_STOPPED, NULL, &status, NULL, NULL));
    st_free(id);
    id = NULL;
    CHECK_OK(st_experiment_next(e, &action, &id, NULL));
    CHECK(action == ST_NEXT_FINISHED && id == NULL);
    /* The stopper's state is saved; a restored experiment needs the callback again. */
    char *saved = NULL;
    CHECK_OK(st_experiment_save(e, &saved));
    CHECK(saved && strstr(saved, "\"stopper\"") != NULL);
    st_experiment *r = NULL;
    CHECK_OK(st_experiment_restore(saved, &r));
    CHECK_ERROR(st_experiment_next(r, &action, NULL, NULL), ST_ERROR);
    st_free(saved);
    st_experiment_free(r);
    st_experiment_free(e);
    /* Ray's argument checks, with Ray's messages; TPE needs a metric. */
    CHECK_ERROR(st_experiment_new("{\"stopper\": {\"type\": \"experiment_plateau\", \"metric\": \"m\", \"top\": 1}}", s, NULL, &e),
                ST_INVALID_CONFIG);
    CHECK(strstr(st_last_error(), "Top results to consider must be a positive integer greater than one.") != NULL);
    st_searcher *tpe = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("tpe", ""), &tpe));
    CHECK_ERROR(st_experiment_new("{\"num_samples\": 2}", tpe, NULL, &e), ST_INVALID_CONFIG);
    CHECK(strstr(st_last_error(), "Trying to sample a configuration from TPESearch") != NULL);
    CHECK(e == NULL);
    st_searcher_free(tpe);
    st_searcher_free(s);
}

struct search_state {
    int made, limit, results, completes, errored;
    char config[64];
    double mean; /* a Repeater group's mean, -1 for none */
};

static int32_t my_searcher(int32_t id, int32_t query, const char *trial_id, const char *const *names,
                           const double *values, int32_t count, int32_t errored, int32_t *out_answer,
                           const char **out_config_json, void *user_data) {
    struct search_state *st = user_data;
    if (id != 2 || trial_id == NULL) return 7;
    if (query == ST_SEARCH_SUGGEST) {
        if (names != NULL || values != NULL || count != 0 || out_answer == NULL || out_config_json == NULL) return 8;
        if (st->made >= st->limit) {
            *out_answer = ST_SEARCH_FINISHED;
            return 0;
        }
        snprintf(st->config, sizeof st->config, "{\"x\": %d}", st->made++);
        *out_config_json = st->config; /* the caller's memory: the engine copies it */
        *out_answer = ST_SEARCH_CONFIG;
        return 0;
    }
    if (query == ST_SEARCH_RESULT) {
        double loss = -1;
        for (int32_t i = 0; i < count; i++)
            if (strcmp(names[i], "loss") == 0) loss = values[i];
        if (loss == 99) return 42;
        st->results++;
        return 0;
    }
    st->completes++;
    st->errored += errored != 0;
    st->mean = count == 1 && values != NULL && names == NULL ? values[0] : -1;
    return 0;
}

static void test_searcher_callback(void) {
    st_searcher *s = NULL;
    CHECK_ERROR(st_searcher_new("{\"algorithm\": \"callback\", \"id\": 2, \"space\": {}}", &s), ST_INVALID_CONFIG);
    CHECK_OK(st_searcher_new("{\"algorithm\": \"callback\", \"id\": 2, \"max_concurrent\": 1}", &s));
    st_experiment *e = NULL;
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 5}", s, NULL, &e));
    int32_t action = -1, decision = -1, status = -1;
    char *id = NULL, *config = NULL;
    CHECK_ERROR(st_experiment_next(e, &action, &id, &config), ST_ERROR);
    CHECK(strstr(st_last_error(), "searcher callback 2 is not set") != NULL);
    CHECK_ERROR(st_experiment_set_searcher(NULL, my_searcher, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_set_searcher(e, NULL, NULL), ST_INVALID_ARGUMENT);
    struct search_state st = {0, 2, 0, 0, 0, "", 0};
    CHECK_OK(st_experiment_set_searcher(e, my_searcher, &st));
    CHECK_OK(st_experiment_next(e, &action, &id, &config));
    CHECK(action == ST_NEXT_START && config && strcmp(config, "{\"x\":0}") == 0);
    const char *names[] = {"loss"};
    double one[] = {1}, boom[] = {99};
    CHECK_OK(st_experiment_report(e, id, names, one, 1, NULL, &decision, NULL, NULL, NULL));
    CHECK(decision == ST_CONTINUE && st.results == 1);
    CHECK_OK(st_experiment_finish(e, id, ST_END_FAILED, "boom", &status, NULL, NULL));
    CHECK(st.completes == 1 && st.errored == 1);
    st_free(id);
    st_free(config);
    CHECK_OK(st_experiment_next(e, &action, &id, &config));
    CHECK(action == ST_NEXT_START && strcmp(config, "{\"x\":1}") == 0);
    CHECK_ERROR(st_experiment_report(e, id, names, boom, 1, NULL, &decision, NULL, NULL, NULL), ST_ERROR);
    CHECK(strstr(st_last_error(), "searcher callback 2 failed (it returned 42)") != NULL);
    CHECK_OK(st_experiment_finish(e, id, ST_END_COMPLETED, NULL, &status, NULL, NULL));
    CHECK(st.completes == 2 && st.errored == 1);
    st_free(id);
    st_free(config);
    id = NULL;
    /* FINISHED: 2 of num_samples 5, and the search is over. */
    CHECK_OK(st_experiment_next(e, &action, &id, NULL));
    CHECK(action == ST_NEXT_FINISHED && id == NULL);
    CHECK(st.mean == -1);
    st_experiment_free(e);
    st_searcher_free(s);
    /* Behind Ray's Repeater: two trials per suggestion, the searcher told their mean for the first. */
    CHECK_OK(st_searcher_new("{\"algorithm\": \"callback\", \"id\": 2, \"repeat\": {\"repeat\": 2}}", &s));
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 2}", s, NULL, &e));
    struct search_state rs = {0, 5, 0, 0, 0, "", 0};
    CHECK_OK(st_experiment_set_searcher(e, my_searcher, &rs));
    char *a = NULL, *b = NULL, *ca = NULL, *cb = NULL;
    double two[] = {2}, four[] = {4};
    CHECK_OK(st_experiment_next(e, &action, &a, &ca));
    CHECK_OK(st_experiment_next(e, &action, &b, &cb));
    CHECK(ca && cb && strstr(ca, "\"__trial_index__\":0") && strstr(cb, "\"__trial_index__\":1") && rs.made == 1);
    CHECK_OK(st_experiment_report(e, a, names, two, 1, NULL, &decision, NULL, NULL, NULL));
    CHECK_OK(st_experiment_report(e, b, names, four, 1, NULL, &decision, NULL, NULL, NULL));
    CHECK_OK(st_experiment_finish(e, a, ST_END_COMPLETED, NULL, &status, NULL, NULL));
    CHECK(rs.completes == 0);
    CHECK_OK(st_experiment_finish(e, b, ST_END_COMPLETED, NULL, &status, NULL, NULL));
    CHECK(rs.completes == 1 && rs.mean == 3);
    st_free(a);
    st_free(b);
    st_free(ca);
    st_free(cb);
    st_experiment_free(e);
    st_searcher_free(s);
}


/* Resources: two GPUs, a GPU per trial: two trials at once, each holding its own device. */
static void test_resources(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"seed\": 3"), &s));
    st_experiment *e = NULL;
    CHECK_OK(st_experiment_new("{\"num_samples\": 3, \"resources\": {\"available\": {\"CPU\": 4, \"GPU\": 2}, "
                               "\"per_trial\": {\"CPU\": 1, \"GPU\": 1}}}", s, NULL, &e));
    int32_t n = 0, action = -1;
    CHECK_OK(st_experiment_max_running(e, &n));
    CHECK(n == 2);
    CHECK_ERROR(st_experiment_max_running(e, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_max_running(NULL, &n), ST_INVALID_ARGUMENT);
    char *a = NULL, *b = NULL, *c = NULL, *json = NULL;
    CHECK_OK(st_experiment_next(e, &action, &a, NULL));
    CHECK(action == ST_NEXT_START);
    CHECK_OK(st_experiment_next(e, &action, &b, NULL));
    CHECK(action == ST_NEXT_START);
    CHECK_OK(st_experiment_next(e, &action, &c, NULL));
    CHECK(action == ST_NEXT_WAIT && c == NULL);
    CHECK_OK(st_experiment_trial(e, b, &json));
    CHECK(json && strstr(json, "\"gpu_ids\":[1]"));
    st_free(json);
    st_free(a);
    st_free(b);
    st_experiment_free(e);
    /* a trial needing more than the machine offers: a clear error, no experiment */
    e = NULL;
    CHECK_ERROR(st_experiment_new("{\"resources\": {\"available\": {\"CPU\": 1}, \"per_trial\": {\"GPU\": 1}}}",
                                  s, NULL, &e), ST_INVALID_CONFIG);
    CHECK(e == NULL && strstr(st_last_error(), "GPU=1"));
    st_searcher_free(s);
}

/* TensorBoard event files: started, results appended (with an extra summary), hparams; read back
 * record by record (8-byte length, 4-byte checksum, data, 4-byte checksum); the error paths. */
/* How many TFRecords the file at `path` holds (-1: unreadable, or its framing does not end with
 * the file). */
static int tfrecords(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f), p = 0;
    fclose(f);
    int records = 0;
    while (p + 12 <= n) {
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--) len = (len << 8) | buf[p + (size_t)i];
        p += 12 + (size_t)len + 4;
        records++;
    }
    return p == n ? records : -1;
}

/* The experiment state on disk as a snapshot and a journal (st_journal_*). */
static void test_journal(void) {
    char path[512], journal_path[600], missing[600];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/st_test_state.json", dir && *dir ? dir : "/tmp");
    snprintf(journal_path, sizeof journal_path, "%s.journal", path);
    snprintf(missing, sizeof missing, "%s/no/such/folder/state.json", dir && *dir ? dir : "/tmp");
    remove(path);
    remove(journal_path);
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"seed\": 5"), &s));
    st_experiment *e = NULL;
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 6}", s, NULL, &e));
    st_journal *j = NULL;
    CHECK_OK(st_journal_new(path, "engine", &j));
    int32_t wants = -1, err = -1;
    /* Nothing to append to before the first snapshot. */
    CHECK_ERROR(st_journal_append(j, e, &wants, &err), ST_ERROR);
    CHECK(strstr(st_last_error(), "no snapshot was written yet") != NULL && err == 0);
    CHECK_OK(st_journal_compact(j, e, "{\"name\": \"exp\", \"engine\": null}", 0, &err));
    CHECK(err == 0);
    const char *names[] = {"loss"};
    for (int n = 0; n < 6; n++) {
        int32_t action = -1;
        char *id = NULL, *config = NULL;
        CHECK_OK(st_experiment_next(e, &action, &id, &config));
        double v[] = {(double)n};
        CHECK_OK(st_experiment_report(e, id, names, v, 1, NULL, NULL, NULL, NULL, NULL));
        CHECK_OK(st_experiment_finish(e, id, ST_END_COMPLETED, NULL, NULL, NULL, NULL));
        CHECK_OK(st_journal_append(j, e, &wants, &err));
        CHECK(wants == 0 && err == 0);
        st_free(id);
        st_free(config);
    }
    /* The file and its journal read back as the experiment's state, under "engine", beside the head. */
    char *loaded = NULL, *saved = NULL;
    CHECK_OK(st_journal_load(path, "engine", &loaded));
    CHECK(loaded && strstr(loaded, "\"name\":\"exp\"") && strstr(loaded, "trial_00005"));
    CHECK_OK(st_experiment_save(e, &saved));
    const char *engine = loaded ? strstr(loaded, "\"engine\":") : NULL;
    CHECK(engine && saved && strstr(engine, "\"trials\":") != NULL);
    /* Restored from the journalled state, the engine has every trial. */
    FILE *f = fopen(journal_path, "r");
    int lines = 0;
    for (int c; f && (c = fgetc(f)) != EOF;) lines += c == '\n';
    if (f) fclose(f);
    CHECK(lines == 7); /* the header and six changes */
    /* A line that does not read is an error naming the file and line. */
    f = fopen(journal_path, "a");
    if (f) { fputs("{not json}\n{\"seq\": 8, \"ops\": []}\n", f); fclose(f); }
    char *bad = NULL;
    CHECK_ERROR(st_journal_load(path, "engine", &bad), ST_INVALID_STATE);
    CHECK(strstr(st_last_error(), "line 8") != NULL && bad == NULL);
    /* A compaction starts a new journal; the state reads back whole again. */
    CHECK_OK(st_journal_compact(j, e, "{\"name\": \"exp\"}", 0, &err));
    char *again = NULL;
    CHECK_OK(st_journal_load(path, "engine", &again));
    CHECK(again && strstr(again, "trial_00005"));
    /* A snapshot written in the background: changes go on being appended, and read back whole at
       every moment; a later append takes the snapshot in (the next journal becomes the journal). */
    CHECK_OK(st_journal_compact(j, e, "{\"name\": \"exp\"}", 1, &err));
    for (int n = 0; n < 200; n++) {
        CHECK_OK(st_journal_append(j, e, &wants, &err));
        char *now = NULL;
        CHECK_OK(st_journal_load(path, "engine", &now));
        CHECK(now && strstr(now, "trial_00005") && strstr(now, "\"name\":\"exp\""));
        st_free(now);
    }
    char next_path[700];
    snprintf(next_path, sizeof next_path, "%s.next", journal_path);
    f = fopen(next_path, "r");
    CHECK(f == NULL); /* taken in by then */
    if (f) fclose(f);
    /* Storage that fails names the path and gives the system's error number. */
    st_journal *nowhere = NULL;
    CHECK_OK(st_journal_new(missing, NULL, &nowhere));
    CHECK_ERROR(st_journal_compact(nowhere, e, NULL, 1, &err), ST_ERROR);
    CHECK(err == ENOENT && strstr(st_last_error(), "no/such/folder") != NULL);
    CHECK_ERROR(st_journal_append(nowhere, e, NULL, &err), ST_ERROR); /* the next write must be a compaction */
    CHECK_ERROR(st_journal_load(missing, NULL, &bad), ST_ERROR);
    CHECK_ERROR(st_journal_compact(nowhere, e, "{\"a\": 1}", 0, NULL), ST_INVALID_ARGUMENT); /* a head needs an engine key */
    CHECK_ERROR(st_journal_compact(j, e, "[1]", 0, NULL), ST_INVALID_JSON);
    st_journal_free(nowhere);
    nowhere = NULL;
    CHECK_ERROR(st_journal_new(NULL, NULL, &nowhere), ST_INVALID_ARGUMENT);
    CHECK(nowhere == NULL);
    CHECK_ERROR(st_journal_append(NULL, e, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_journal_append((st_journal *)e, e, NULL, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_journal_load(NULL, NULL, &bad), ST_INVALID_ARGUMENT);
    st_free(loaded);
    st_free(saved);
    st_free(again);
    st_journal_free(nowhere);
    st_journal_free(j);
    st_journal_free(NULL);
    st_experiment_free(e);
    st_searcher_free(s);
    remove(path);
    remove(journal_path);
}

static void test_tfevents(void) {
    char path[512], missing[600];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/st_test_api.tfevents", dir && *dir ? dir : "/tmp");
    snprintf(missing, sizeof missing, "%s/no/such/folder/events", dir && *dir ? dir : "/tmp");
    remove(path);
    const char *lines = "{\"loss\": 0.5, \"training_iteration\": 1, \"config\": {\"x\": [1, 2]}}\n"
                        "{\"loss\": 0.25, \"flag\": true, \"name\": \"n\", \"training_iteration\": 2}\n";
    const double times[2] = {1700000000.5, 1700000001.5};
    /* one extra summary for result 0: index 0, length 2, then the bytes of an empty Value */
    const char extras[10] = {0, 0, 0, 0, 2, 0, 0, 0, 0x0a, 0x00};
    CHECK_OK(st_tfevents_start(path, 1700000000.0));
    CHECK_OK(st_tfevents_append_results(path, lines, (int64_t)strlen(lines), times, 2, extras, 10));
    CHECK_OK(st_tfevents_append_hparams(path, "{\"hparams\": {\"x\": 1.5}, \"metrics\": [\"ray/tune/loss\"]}",
                                        1700000002.0));
    CHECK_OK(st_tfevents_append_results(path, NULL, 0, NULL, 0, NULL, 0));
    /* the file version, 1 + 2 scalars, the extra, 3 hparams summaries */
    CHECK(tfrecords(path) == 8);
    remove(path);
    CHECK_ERROR(st_tfevents_start(NULL, 1.0), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_tfevents_start(missing, 1.0), ST_ERROR);
    CHECK(strstr(st_last_error(), "No such file") != NULL);
    CHECK_ERROR(st_tfevents_append_results(path, lines, (int64_t)strlen(lines), times, 1, NULL, 0), ST_INVALID_JSON);
    CHECK_ERROR(st_tfevents_append_results(path, "{\"a\": }", 7, times, 1, NULL, 0), ST_INVALID_JSON);
    CHECK_ERROR(st_tfevents_append_results(path, NULL, 5, times, 1, NULL, 0), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_tfevents_append_results(path, lines, -1, times, 1, NULL, 0), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_tfevents_append_results(path, lines, (int64_t)strlen(lines), times, 2, extras, 9),
                ST_INVALID_ARGUMENT);
    CHECK(fopen(path, "rb") == NULL); /* failed calls write nothing */
    CHECK_ERROR(st_tfevents_append_hparams(path, "{\"hparams\": {}}", 1.0), ST_INVALID_CONFIG);
    CHECK_ERROR(st_tfevents_append_hparams(path, "{", 1.0), ST_INVALID_JSON);
    CHECK_ERROR(st_tfevents_append_hparams(path, NULL, 1.0), ST_INVALID_ARGUMENT);
}

/* st_tfevents_write_batch: one operation of the batch format (see the header). */
static size_t batch_op(unsigned char *out, unsigned char kind, const char *path, double wall, const double *times,
                       uint32_t count, const char *data, uint32_t data_length) {
    size_t p = 0;
    uint32_t path_length = (uint32_t)strlen(path), zero = 0;
    out[p++] = kind;
    memcpy(out + p, &path_length, 4); p += 4;  /* little-endian hosts (x86-64, arm64) */
    memcpy(out + p, path, path_length); p += path_length;
    memcpy(out + p, &wall, 8); p += 8;
    memcpy(out + p, &count, 4); p += 4;
    if (count) memcpy(out + p, times, 8 * (size_t)count); /* memcpy's source may not be NULL, even for 0 bytes */
    p += 8 * (size_t)count;
    memcpy(out + p, &data_length, 4); p += 4;
    if (data_length) memcpy(out + p, data, data_length);
    p += data_length;
    memcpy(out + p, &zero, 4); p += 4;
    return p;
}

static void test_tfevents_batch(void) {
    char path[512], bad[512], missing[600];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/st_test_batch.tfevents", dir && *dir ? dir : "/tmp");
    snprintf(bad, sizeof bad, "%s/st_test_batch_bad.tfevents", dir && *dir ? dir : "/tmp");
    snprintf(missing, sizeof missing, "%s/no/such/folder/events", dir && *dir ? dir : "/tmp");
    remove(path);
    remove(bad);
    const char *lines = "{\"loss\": 0.5, \"training_iteration\": 1}\n{\"loss\": 0.25, \"flag\": true, \"training_iteration\": 2}\n";
    const char *hparams = "{\"hparams\": {\"x\": 1.5}, \"metrics\": [\"ray/tune/loss\"]}";
    const double times[2] = {1700000000.5, 1700000001.5};
    static unsigned char batch[4096];
    size_t n = 0;
    n += batch_op(batch + n, 0, path, 1700000000.0, NULL, 0, "", 0);
    n += batch_op(batch + n, 0, missing, 1700000000.0, NULL, 0, "", 0);
    n += batch_op(batch + n, 1, bad, 0, times, 1, "{\"a\": }", 7);
    n += batch_op(batch + n, 1, path, 0, times, 2, lines, (uint32_t)strlen(lines));
    n += batch_op(batch + n, 1, bad, 0, times, 1, "{\"a\": 1}", 8);  /* after its failure: skipped */
    n += batch_op(batch + n, 2, path, 1700000002.0, NULL, 0, hparams, (uint32_t)strlen(hparams));
    char *failures = NULL;
    CHECK_OK(st_tfevents_write_batch((const char *)batch, (int64_t)n, &failures));
    CHECK(failures && strstr(failures, "no/such/folder") && strstr(failures, "st_test_batch_bad.tfevents"));
    st_free(failures);
    CHECK(fopen(bad, "rb") == NULL);
    CHECK(tfrecords(path) == 7); /* the file version, 1 + 2 scalars, 3 hparams summaries */
    remove(path);
    failures = NULL;
    CHECK_ERROR(st_tfevents_write_batch((const char *)batch, (int64_t)n - 3, &failures), ST_INVALID_ARGUMENT);
    CHECK(failures == NULL && fopen(path, "rb") == NULL); /* a broken batch writes nothing */
    CHECK_ERROR(st_tfevents_write_batch((const char *)batch, (int64_t)n, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_tfevents_write_batch(NULL, 5, &failures), ST_INVALID_ARGUMENT);
    CHECK_OK(st_tfevents_write_batch(NULL, 0, &failures));
    CHECK(failures == NULL);
}

/* A scheduler of the caller's: logs each query; stops a trial at loss >= 10, pauses it once at
 * loss 5; chooses a PAUSED trial before a PENDING one; returns 7 (a failure) at loss 99. */
struct sched_state {
    char log[1024];
    int paused_once;
    char chosen[32];
};

static int32_t my_scheduler(int32_t scheduler_id, int32_t query, const char *trial_id, const char *const *names,
                            const double *values, int32_t count, const char *text, int32_t *out_decision,
                            const char **out_trial_id, void *user_data) {
    struct sched_state *st = user_data;
    char line[160] = "";
    if (scheduler_id != 1) return 1;
    switch (query) {
    case ST_SCHEDULE_ADD:
        if (!trial_id || !text || !strstr(text, "\"configuration\":{")) return 2;
        snprintf(line, sizeof line, "add %s %.10s;", trial_id, strstr(text, "\"number\":"));
        break;
    case ST_SCHEDULE_RESULT: {
        double loss = NAN;
        for (int32_t i = 0; i < count; i++)
            if (strcmp(names[i], "loss") == 0) loss = values[i];
        if (loss == 99) return 7;
        if (loss >= 10) *out_decision = ST_STOP;
        else if (loss == 5 && !st->paused_once) { st->paused_once = 1; *out_decision = ST_PAUSE; }
        snprintf(line, sizeof line, "result %s %g;", trial_id, loss);
        break;
    }
    case ST_SCHEDULE_COMPLETE:
        snprintf(line, sizeof line, "complete %s %d;", trial_id, (int)count);
        break;
    case ST_SCHEDULE_ERROR:
        snprintf(line, sizeof line, "error %s;", trial_id);
        break;
    case ST_SCHEDULE_CHOOSE:
        if (trial_id != NULL || count < 1) return 3;
        *out_trial_id = names[0];
        for (int32_t i = 0; i < count; i++)
            if (values[i] == ST_TRIAL_PAUSED) *out_trial_id = names[i];
        snprintf(st->chosen, sizeof st->chosen, "%s", *out_trial_id);
        snprintf(line, sizeof line, "choose %s;", st->chosen);
        break;
    default:
        return 4;
    }
    strncat(st->log, line, sizeof st->log - strlen(st->log) - 1);
    return 0;
}

static void test_scheduler_callback(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"seed\": 3"), &s));
    st_scheduler *sch = NULL;
    CHECK_OK(st_scheduler_new("{\"type\": \"callback\", \"id\": 1}", &sch));
    st_experiment *e = NULL;
    /* one CPU, a CPU per trial: one trial runs at a time, any number may wait */
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 2, "
                               "\"resources\": {\"available\": {\"CPU\": 1}, \"per_trial\": {\"CPU\": 1}}}",
                               s, sch, &e));
    int32_t action = -1, decision = -1, status = -1;
    char *a = NULL, *b = NULL;
    CHECK_ERROR(st_experiment_next(e, &action, &a, NULL), ST_ERROR);
    CHECK(strstr(st_last_error(), "scheduler callback 1 is not set") != NULL);
    CHECK_ERROR(st_experiment_set_scheduler(NULL, my_scheduler, NULL), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_set_scheduler(e, NULL, NULL), ST_INVALID_ARGUMENT);
    struct sched_state st = {"", 0, ""};
    CHECK_OK(st_experiment_set_scheduler(e, my_scheduler, &st)); /* the add that waited is told */
    CHECK(strcmp(st.log, "add trial_00000 \"number\":0;") == 0);
    CHECK_OK(st_experiment_next(e, &action, &a, NULL));
    CHECK(action == ST_NEXT_START && strcmp(a, "trial_00000") == 0);
    const char *names[] = {"loss"};
    double five[] = {5}, twelve[] = {12}, boom[] = {99};
    CHECK_OK(st_experiment_report(e, a, names, five, 1, NULL, &decision, NULL, NULL, NULL));
    CHECK(decision == ST_PAUSE);
    CHECK_OK(st_experiment_finish(e, a, ST_END_STOPPED, NULL, &status, NULL, NULL));
    CHECK(status == ST_TRIAL_PAUSED);
    /* the trial created while the first ran (queued as it became pending) starts before the PAUSED
     * one the scheduler chose (Ray's staging order) */
    CHECK_OK(st_experiment_next(e, &action, &b, NULL));
    CHECK(action == ST_NEXT_START && strcmp(b, "trial_00001") == 0 && strcmp(st.chosen, "trial_00000") == 0);
    CHECK_OK(st_experiment_report(e, b, names, twelve, 1, NULL, &decision, NULL, NULL, NULL));
    CHECK(decision == ST_STOP);
    CHECK_OK(st_experiment_finish(e, b, ST_END_STOPPED, NULL, &status, NULL, NULL));
    st_free(a);
    a = NULL;
    CHECK_OK(st_experiment_next(e, &action, &a, NULL));
    CHECK(action == ST_NEXT_START && strcmp(a, "trial_00000") == 0);
    CHECK_ERROR(st_experiment_report(e, a, names, boom, 1, NULL, &decision, NULL, NULL, NULL), ST_ERROR);
    CHECK(strstr(st_last_error(), "scheduler callback 1 failed (it returned 7)") != NULL);
    CHECK_OK(st_experiment_finish(e, a, ST_END_FAILED, "boom", &status, NULL, NULL));
    /* Ray's loop takes a step (creates trials, asks for a choice) after each start and each result */
    CHECK(strcmp(st.log, "add trial_00000 \"number\":0;choose trial_00000;add trial_00001 \"number\":1;"
                         "choose trial_00001;result trial_00000 5;choose trial_00000;choose trial_00000;"
                         "choose trial_00000;result trial_00001 12;choose trial_00000;complete trial_00001 3;"
                         "choose trial_00000;error trial_00000;") == 0);
    /* saved and resumed: every trial is told again once a callback is set */
    char *state = NULL;
    CHECK_OK(st_experiment_save(e, &state));
    st_experiment *r = NULL;
    CHECK_OK(st_experiment_resume(state, NULL, &r));
    struct sched_state rs = {"", 0, ""};
    CHECK_OK(st_experiment_set_scheduler(r, my_scheduler, &rs));
    CHECK(strcmp(rs.log, "add trial_00000 \"number\":0;add trial_00001 \"number\":1;") == 0);
    st_free(state);
    st_experiment_free(r);
    st_free(a);
    st_free(b);
    st_experiment_free(e);
    st_scheduler_free(sch);
    st_searcher_free(s);
}

/* HyperBand (max_t 3, eta 3): brackets of 2 (milestone 3) and 3 (milestone 1) trials. In the second,
 * the first two pause at 1; the third's result halves it: the best (lowest loss) goes on, the third
 * is answered stop, and the PAUSED worse one ends TERMINATED, reported once by take_stopped. */
static void test_hyperband(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"seed\": 3"), &s));
    st_scheduler *sch = NULL;
    CHECK_OK(st_scheduler_new("{\"type\": \"hyperband\", \"max_t\": 3, \"reduction_factor\": 3}", &sch));
    st_experiment *e = NULL;
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 5, \"max_pending_trials\": 200}",
                               s, sch, &e));
    int32_t action = -1, decision = -1, status = -1;
    char *ids[5] = {NULL};
    for (int i = 0; i < 5; i++) {
        CHECK_OK(st_experiment_next(e, &action, &ids[i], NULL));
        CHECK(action == ST_NEXT_START && ids[i] != NULL);
    }
    const char *names[] = {"loss"};
    double losses[] = {2, 1, 3};
    for (int i = 2; i < 4; i++) {
        CHECK_OK(st_experiment_report(e, ids[i], names, &losses[i - 2], 1, NULL, &decision, NULL, NULL, NULL));
        CHECK(decision == ST_PAUSE);
        CHECK_OK(st_experiment_finish(e, ids[i], ST_END_STOPPED, NULL, &status, NULL, NULL));
        CHECK(status == ST_TRIAL_PAUSED);
    }
    char *stopped = NULL;
    CHECK_OK(st_experiment_take_stopped(e, &stopped));
    CHECK(stopped && strcmp(stopped, "[]") == 0);
    st_free(stopped);
    CHECK_OK(st_experiment_report(e, ids[4], names, &losses[2], 1, NULL, &decision, NULL, NULL, NULL));
    CHECK(decision == ST_STOP);
    CHECK_OK(st_experiment_take_stopped(e, &stopped));
    CHECK(stopped && strcmp(stopped, "[\"trial_00002\"]") == 0);
    st_free(stopped);
    CHECK_OK(st_experiment_take_stopped(e, &stopped));
    CHECK(stopped && strcmp(stopped, "[]") == 0);
    st_free(stopped);
    char *trial = NULL;
    CHECK_OK(st_experiment_trial(e, "trial_00002", &trial));
    CHECK(trial && strstr(trial, "\"TERMINATED\""));
    st_free(trial);
    CHECK_ERROR(st_experiment_take_stopped(NULL, &stopped), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_take_stopped(e, NULL), ST_INVALID_ARGUMENT);
    for (int i = 0; i < 5; i++) st_free(ids[i]);
    st_experiment_free(e);
    st_scheduler_free(sch);
    st_searcher_free(s);
}

/* PBT's explore callback: every configuration becomes {"lr": 0.5} (the C caller's "function"). */
static int32_t pbt_explore(int32_t scheduler_id, int32_t query, const char *trial_id, const char *const *names,
                           const double *values, int32_t count, const char *text, int32_t *out_decision,
                           const char **out_config, void *user_data) {
    (void)names; (void)values; (void)count; (void)out_decision;
    int *calls = user_data;
    if (scheduler_id != 0 || query != ST_SCHEDULE_EXPLORE || !trial_id || !text) return 1;
    if (!strstr(text, "\"samples\":[[\"lr\"]]")) return 2;
    ++*calls;
    *out_config = "{\"lr\": 0.5}";
    return 0;
}

/* Population Based Training through the C API: keys filled in by the caller's function, a kept
   checkpoint, an exploit that moves it to the worst trial (which pauses and resumes from it with
   the explored configuration), and the exploits' log. */
static void test_pbt(void) {
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ", \"seed\": 3"), &s));
    st_scheduler *sch = NULL;
    CHECK_OK(st_scheduler_new("{\"type\": \"pbt\", \"time_attr\": \"training_iteration\", \"perturbation_interval\": 1, "
                              "\"hyperparam_mutations\": {\"lr\": {\"function\": true}}, \"resample_probability\": 1, "
                              "\"callback_id\": 0}", &sch));
    st_experiment *e = NULL;
    CHECK_OK(st_experiment_new("{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 4, \"max_pending_trials\": 200}",
                               s, sch, &e));
    int calls = 0;
    CHECK_OK(st_experiment_set_scheduler(e, pbt_explore, &calls));
    int32_t action = -1, decision = -1, status = -1, save = -1;
    char *ids[4] = {NULL};
    char *config = NULL;
    for (int i = 0; i < 4; i++) {
        CHECK_OK(st_experiment_next(e, &action, &ids[i], i == 0 ? &config : NULL));
        CHECK(action == ST_NEXT_START && ids[i] != NULL);
    }
    CHECK(config && strcmp(config, "{\"lr\":0.5}") == 0);  /* filled in by the caller's function */
    st_free(config);
    CHECK(calls == 4);
    const char *names[] = {"loss"};
    for (int i = 0; i < 4; i++) {  /* the first perturbation: trial 0 was alone, so nobody kept a checkpoint */
        double loss = i;
        CHECK_OK(st_experiment_report(e, ids[i], names, &loss, 1, NULL, &decision, NULL, NULL, NULL));
        CHECK(decision == ST_CONTINUE);
    }
    double best = 0, worst = 3;
    CHECK_OK(st_experiment_report(e, ids[0], names, &best, 1, "c0", &decision, NULL, NULL, &save));
    CHECK(decision == ST_CONTINUE && save == 0);  /* the upper trial keeps the checkpoint it reported */
    CHECK_OK(st_experiment_report(e, ids[3], names, &worst, 1, NULL, &decision, NULL, NULL, &save));
    CHECK(decision == ST_PAUSE && save == 0);  /* exploited: no save of its own */
    CHECK(calls == 5);
    char *exploits = NULL;
    CHECK_OK(st_experiment_take_exploits(e, &exploits));
    CHECK(exploits && strstr(exploits, "\"trial\":\"trial_00003\"") && strstr(exploits, "\"clone\":\"trial_00000\"")
          && strstr(exploits, "\"trial_iteration\":1") && strstr(exploits, "\"clone_iteration\":2")
          && strstr(exploits, "\"operations\":{\"lr\":\"resample\"}"));
    st_free(exploits);
    CHECK_OK(st_experiment_take_exploits(e, &exploits));
    CHECK(exploits && strcmp(exploits, "[]") == 0);
    st_free(exploits);
    char *trial = NULL;
    CHECK_OK(st_experiment_trial(e, ids[3], &trial));
    CHECK(trial && strstr(trial, "\"checkpoint\":\"c0\"") && strstr(trial, "\"checkpoint_trial\":\"trial_00000\""));
    st_free(trial);
    CHECK_OK(st_experiment_finish(e, ids[3], ST_END_STOPPED, NULL, &status, NULL, NULL));
    CHECK(status == ST_TRIAL_PAUSED);
    char *again = NULL;
    CHECK_OK(st_experiment_next(e, &action, &again, NULL));
    CHECK(action == ST_NEXT_START && again && strcmp(again, ids[3]) == 0);
    double iteration = 0;
    CHECK_OK(st_experiment_report(e, again, names, &best, 1, NULL, &decision, &iteration, NULL, NULL));
    CHECK(iteration == 3);  /* counted on from the clone's checkpoint, at iteration 2 */
    st_free(again);
    CHECK_ERROR(st_experiment_take_exploits(NULL, &exploits), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_experiment_take_exploits(e, NULL), ST_INVALID_ARGUMENT);
    for (int i = 0; i < 4; i++) st_free(ids[i]);
    st_experiment_free(e);
    st_scheduler_free(sch);
    st_searcher_free(s);
}

/* Optuna's TPE through the C ABI: a space of Optuna's distributions, intermediate results
 * (st_searcher_observe), evaluated points (st_searcher_add_evaluated), and their bad input. */
/* A gamma (half the trials) and weights (all 2) function for st_optuna_set_functions: counts its
 * calls in ctx[0] (gamma) and ctx[1] (weights), and fails while ctx[2] is set. */
static int32_t optuna_functions(int32_t function, int64_t n, double *out, void *ctx) {
    int *calls = ctx;
    if (calls[2]) return 1;
    if (function == ST_OPTUNA_GAMMA) {
        calls[0]++;
        out[0] = (double)(n / 2);
    } else {
        calls[1]++;
        for (int64_t i = 0; i < n; i++) out[i] = 2;
    }
    return 0;
}

static void test_optuna_tpe(void) {
    const char *spec =
        "{\"algorithm\": \"optuna_tpe\", \"metric\": \"loss\", \"seed\": 5, \"optuna\": {\"n_startup_trials\": 2},"
        " \"space\": {\"format\": \"swifttune.space\", \"version\": 1, \"space\": {\"type\": \"dict\", \"items\": {"
        "\"x\": {\"type\": \"optuna.float\", \"low\": 0, \"high\": 1},"
        " \"n\": {\"type\": \"optuna.int\", \"low\": 1, \"high\": 9, \"step\": 2}}}}}";
    st_searcher *s = NULL;
    CHECK_OK(st_searcher_new(spec, &s));
    CHECK_OK(st_searcher_add_evaluated(s, "e0", "{\"x\": 0.25, \"n\": 3}", ST_OUTCOME_COMPLETED, 0.5));
    CHECK_OK(st_searcher_add_evaluated(s, "e1", "{\"x\": 0.75, \"n\": 9}", ST_OUTCOME_NO_METRIC, 0));
    CHECK_ERROR(st_searcher_add_evaluated(s, "e0", "{\"x\": 0.25, \"n\": 3}", ST_OUTCOME_COMPLETED, 0.5), ST_INVALID_TRIAL_STATE);
    CHECK_ERROR(st_searcher_add_evaluated(s, "e2", "{\"x\": 0.25, \"n\": 4}", ST_OUTCOME_COMPLETED, 0.5), ST_INVALID_SPACE);
    CHECK_ERROR(st_searcher_add_evaluated(s, "e2", "{\"x\": ", ST_OUTCOME_COMPLETED, 0.5), ST_INVALID_JSON);
    CHECK_ERROR(st_searcher_add_evaluated(s, "e2", NULL, ST_OUTCOME_COMPLETED, 0.5), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_add_evaluated(s, "e2", "{\"x\": 0.2, \"n\": 1}", 42, 0.5), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_add_evaluated(NULL, "e2", "{}", ST_OUTCOME_FAILED, 0), ST_INVALID_ARGUMENT);
    char *config = NULL;
    CHECK_OK(st_searcher_suggest(s, "t0", &config));
    CHECK(config != NULL && strstr(config, "\"n\"") != NULL);
    st_free(config);
    const char *names[] = {"loss", "training_iteration"};
    double values[] = {0.3, 1};
    CHECK_OK(st_searcher_observe(s, "t0", names, values, 2));
    CHECK_OK(st_searcher_observe(s, "not-live", names, values, 2)); /* ignored, as results of trials not live are */
    CHECK_ERROR(st_searcher_observe(s, "t0", NULL, values, 2), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_observe(s, "t0", names, values, -1), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_searcher_observe(s, NULL, names, values, 2), ST_INVALID_ARGUMENT);
    CHECK_OK(st_searcher_tell(s, "t0", ST_OUTCOME_NO_METRIC, 0));
    char *state = NULL;
    CHECK_OK(st_searcher_save(s, &state));
    CHECK(state != NULL && strstr(state, "\"reports\":{\"t0\":[1.0,0.3]}") != NULL);
    st_searcher *r = NULL;
    CHECK_OK(st_searcher_restore(state, &r));
    char *a = NULL, *b = NULL;
    CHECK_OK(st_searcher_suggest(s, "t1", &a));
    CHECK_OK(st_searcher_suggest(r, "t1", &b));
    CHECK(a != NULL && b != NULL && strcmp(a, b) == 0);
    st_free(a);
    st_free(b);
    st_free(state);
    st_searcher_free(r);
    st_searcher_free(s);
    /* hyperopt's TPE refuses Optuna's distributions, by name */
    const char *hyperopt_spec =
        "{\"algorithm\": \"tpe\", \"space\": {\"format\": \"swifttune.space\", \"version\": 1, \"space\": {\"type\": \"dict\","
        " \"items\": {\"x\": {\"type\": \"optuna.float\", \"low\": 0, \"high\": 1}}}}}";
    CHECK_ERROR(st_searcher_new(hyperopt_spec, &s), ST_INVALID_CONFIG);
    CHECK(strstr(st_last_error(), "OptunaTPESearch") != NULL);
}

/* Optuna's TPE over a study of the caller's (st_optuna): slots, mirrored trials, the three
 * questions, and their bad input. */
static void test_optuna_study(void) {
    st_optuna *o = NULL;
    CHECK_ERROR(st_optuna_new("{\"direction\": \"sideways\"}", &o), ST_INVALID_CONFIG);
    CHECK_ERROR(st_optuna_new("{\"bogus\": 1}", &o), ST_INVALID_CONFIG);
    CHECK_ERROR(st_optuna_new("{", &o), ST_INVALID_JSON);
    CHECK_ERROR(st_optuna_new(NULL, &o), ST_INVALID_ARGUMENT);
    CHECK_OK(st_optuna_new("{\"optuna\": {\"n_startup_trials\": 3}, \"direction\": \"maximize\", \"seed\": 7}", &o));
    int32_t x = -1, c = -1;
    CHECK_OK(st_optuna_slot(o, "x", 0, 0, 1, NAN, 0, 0, &x));
    CHECK_OK(st_optuna_slot(o, "c", 2, 0, 0, 0, 0, 3, &c));
    CHECK(x == 0 && c == 1);
    CHECK_ERROR(st_optuna_slot(o, "bad", 0, 2, 1, NAN, 0, 0, &x), ST_INVALID_SPACE);
    CHECK_ERROR(st_optuna_slot(o, "bad", 5, 0, 1, NAN, 0, 0, &x), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_optuna_slot(o, "bad", 0, 0, 1, NAN, 0, 0, NULL), ST_INVALID_ARGUMENT);
    CHECK(x == 0);
    for (int t = 0; t < 6; t++) {
        int32_t slots[] = {0, 1};
        double v = 0;
        CHECK_OK(st_optuna_sample_independent(o, t, 0, &v));
        CHECK(v >= 0 && v < 1);
        double values[] = {v, (double)(t % 3)};
        CHECK_OK(st_optuna_set_trial(o, t, ST_OPTUNA_COMPLETE, v, slots, values, 2, NAN, 0, NULL, NULL, 0));
    }
    int32_t space[4], count = -1, sampled = -1;
    CHECK_OK(st_optuna_relative_space(o, 6, space, 4, &count));
    CHECK(count == 2 && space[0] == 0 && space[1] == 1);
    CHECK_ERROR(st_optuna_relative_space(o, 6, space, 1, &count), ST_INVALID_ARGUMENT);
    double out[2];
    CHECK_OK(st_optuna_sample_relative(o, 6, space, 2, out, &sampled));
    CHECK(sampled == 1 && out[0] >= 0 && out[0] < 1 && (out[1] == 0 || out[1] == 1 || out[1] == 2));
    int32_t unknown[] = {9};
    double nine = 0;
    CHECK_ERROR(st_optuna_set_trial(o, 7, ST_OPTUNA_RUNNING, NAN, unknown, &nine, 1, NAN, 0, NULL, NULL, 0), ST_INVALID_CONFIG);
    CHECK_ERROR(st_optuna_set_trial(o, 7, 42, NAN, NULL, NULL, 0, NAN, 0, NULL, NULL, 0), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_optuna_set_trial(o, 7, ST_OPTUNA_RUNNING, NAN, NULL, NULL, 1, NAN, 0, NULL, NULL, 0), ST_INVALID_ARGUMENT);
    CHECK_ERROR(st_optuna_sample_independent(o, 7, 9, &nine), ST_INVALID_CONFIG);
    CHECK_ERROR(st_optuna_sample_independent(NULL, 7, 0, &nine), ST_INVALID_ARGUMENT);
    st_searcher *wrong = NULL;
    CHECK_OK(st_searcher_new(searcher_spec("random", ""), &wrong));
    CHECK_ERROR(st_optuna_sample_independent((st_optuna *)wrong, 7, 0, &nine), ST_INVALID_ARGUMENT);
    CHECK(strstr(st_last_error(), "not an optuna handle") != NULL);
    st_searcher_free(wrong);
    st_optuna_free(o);
    st_optuna_free(NULL);

    /* A study of two objectives (the second maximised): complete trials carry both values. */
    st_optuna *m = NULL;
    CHECK_ERROR(st_optuna_new("{\"directions\": []}", &m), ST_INVALID_CONFIG);
    CHECK_ERROR(st_optuna_new("{\"direction\": \"minimize\", \"directions\": [\"minimize\"]}", &m), ST_INVALID_CONFIG);
    CHECK_OK(st_optuna_new("{\"optuna\": {\"n_startup_trials\": 3, \"multivariate\": false}, "
                           "\"directions\": [\"minimize\", \"maximize\"], \"seed\": 1}", &m));
    int32_t mx = -1;
    CHECK_OK(st_optuna_slot(m, "x", 0, 0, 1, NAN, 0, 0, &mx));
    for (int t = 0; t < 5; t++) {
        double v = t / 5.0, objectives[] = {v, v * v};
        CHECK_OK(st_optuna_set_trial_values(m, t, ST_OPTUNA_COMPLETE, objectives, 2, &mx, &v, 1, NAN, 0, NULL, NULL, 0, 0));
    }
    double one = 0.5;
    CHECK_ERROR(st_optuna_set_trial_values(m, 5, ST_OPTUNA_COMPLETE, &one, 1, &mx, &one, 1, NAN, 0, NULL, NULL, 0, 0),
                ST_INVALID_CONFIG);
    CHECK(strstr(st_last_error(), "without its 2 values") != NULL);
    CHECK_ERROR(st_optuna_set_trial(m, 5, ST_OPTUNA_COMPLETE, 0.5, &mx, &one, 1, NAN, 0, NULL, NULL, 0), ST_INVALID_CONFIG);
    CHECK_ERROR(st_optuna_set_trial_values(m, 5, ST_OPTUNA_COMPLETE, NULL, 0, &mx, &one, 1, NAN, 0, NULL, NULL, 0, 0),
                ST_INVALID_CONFIG);
    CHECK_ERROR(st_optuna_set_trial_values(m, 5, ST_OPTUNA_COMPLETE, NULL, 2, &mx, &one, 1, NAN, 0, NULL, NULL, 0, 0),
                ST_INVALID_ARGUMENT);
    CHECK_OK(st_optuna_set_trial_values(m, 5, ST_OPTUNA_RUNNING, NULL, 0, &mx, &one, 1, NAN, 0, NULL, NULL, 0, 0));
    double next = -1;
    CHECK_OK(st_optuna_sample_independent(m, 6, mx, &next));
    CHECK(next >= 0 && next <= 1);
    /* gamma and weights functions of the caller's: asked with n; a failure fails the sampling call. */
    int calls[3] = {0, 0, 0};
    CHECK_ERROR(st_optuna_set_functions(m, optuna_functions, 4, calls), ST_INVALID_ARGUMENT);
    CHECK_OK(st_optuna_set_functions(m, optuna_functions, ST_OPTUNA_GAMMA + ST_OPTUNA_WEIGHTS, calls));
    CHECK_OK(st_optuna_sample_independent(m, 6, mx, &next));
    CHECK(calls[0] >= 1 && calls[1] >= 1 && next >= 0 && next <= 1);
    calls[2] = 1; /* fail from now on */
    CHECK_ERROR(st_optuna_sample_independent(m, 6, mx, &next), ST_ERROR);
    CHECK(strstr(st_last_error(), "function failed") != NULL);
    CHECK_OK(st_optuna_set_functions(m, NULL, 0, NULL));
    CHECK_OK(st_optuna_sample_independent(m, 6, mx, &next));
    st_optuna_free(m);
}

int main(void) {
    test_basics();
    test_space();
    test_searcher();
    test_anneal();
    test_scheduler();
    test_experiment();
    test_run_loop();
    test_fault_tolerance();
    test_assignment();
    test_finish_outcome();
    test_checkpoint_rule();
    test_stopper_callback();
    test_searcher_callback();
    test_resources();
    test_tfevents();
    test_tfevents_batch();
    test_scheduler_callback();
    test_hyperband();
    test_pbt();
    test_optuna_tpe();
    test_optuna_study();
    test_journal();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
