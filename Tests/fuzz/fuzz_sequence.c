/* Target: an experiment handle driven by arbitrary calls. One valid experiment (TPE behind a
 * concurrency limit of 3, ASHA, a stop rule, retries) per input; each byte pair is a call: next,
 * report (a known, finished or unknown trial id; values from the input, NaN and infinities
 * included; a checkpoint or none), attach_checkpoint, finish (each end), best_trial, save. Every
 * call returns a status of st_status's (errors with a message), and every saved state restores. */
#include <math.h>
#include "fuzz.h"

static const char *SEARCHER =
    "{\"algorithm\": \"tpe\", \"seed\": 7, \"n_initial_points\": 3, \"max_concurrent\": 3, "
    "\"space\": {\"format\": \"swifttune.space\", \"version\": 1, \"space\": {\"type\": \"dict\", "
    "\"items\": {\"x\": {\"type\": \"tune.uniform\", \"lower\": -5, \"upper\": 5}, \"act\": {\"type\": \"tune.choice\", "
    "\"categories\": [\"relu\", \"tanh\"]}}}}}";
static const char *SCHEDULER =
    "{\"type\": \"asha\", \"metric\": \"loss\", \"mode\": \"min\", \"max_t\": 9, \"grace_period\": 1, \"reduction_factor\": 3}";
static const char *CONFIG =
    "{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": 12, \"max_failures\": 1, \"stop\": {\"training_iteration\": 8}}";

static double value(uint8_t b) {
    switch (b % 8) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -INFINITY;
    default: return (double)(int8_t)b / 7.0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    st_searcher *s = NULL;
    st_scheduler *sch = NULL;
    st_experiment *e = NULL;
    FUZZ_REQUIRE(st_searcher_new(SEARCHER, &s) == ST_OK);
    FUZZ_REQUIRE(st_scheduler_new(SCHEDULER, &sch) == ST_OK);
    FUZZ_REQUIRE(st_experiment_new(CONFIG, s, sch, &e) == ST_OK);
    char *ids[16] = {0};
    int count = 0;
    const char *names[] = {"loss", "acc"};
    for (size_t i = 0; i + 1 < size; i += 2) {
        uint8_t op = data[i], arg = data[i + 1];
        const char *id = count ? ids[arg % count] : "nobody";
        if (arg % 11 == 10) id = "trial_99999"; /* unknown */
        switch (op % 7) {
        case 0: {
            int32_t action = -1;
            char *tid = NULL, *cfg = NULL;
            if (fuzz_status(st_experiment_next(e, &action, &tid, &cfg)) == ST_OK) {
                FUZZ_REQUIRE(action == ST_NEXT_START || action == ST_NEXT_WAIT || action == ST_NEXT_FINISHED);
                if (action == ST_NEXT_START) {
                    FUZZ_REQUIRE(tid != NULL && cfg != NULL);
                    if (count < 16) ids[count++] = tid; else st_free(tid);
                    st_free(cfg);
                }
            }
            break;
        }
        case 1:
        case 2: {
            double values[] = {value(arg), value((uint8_t)(arg * 37))};
            int32_t decision = -1, should = -1;
            double iteration = 0, total = 0;
            if (fuzz_status(st_experiment_report(e, id, names, values, 1 + (arg & 1), (arg & 4) ? "ck" : NULL, &decision,
                                                 &iteration, &total, &should)) == ST_OK)
                FUZZ_REQUIRE(decision == ST_CONTINUE || decision == ST_STOP || decision == ST_PAUSE);
            break;
        }
        case 3: fuzz_status(st_experiment_attach_checkpoint(e, id, (arg & 1) ? "ck2" : "")); break;
        case 4: {
            int32_t status = -1, failures = -1, metric = -1;
            int32_t end = arg % 3 == 0 ? ST_END_COMPLETED : arg % 3 == 1 ? ST_END_STOPPED : ST_END_FAILED;
            fuzz_status(st_experiment_finish(e, id, end, (arg & 8) ? "boom" : NULL, &status, &failures, &metric));
            break;
        }
        case 5: {
            char *best = NULL;
            const char *scope = (arg & 1) ? "all" : "last";
            if (fuzz_status(st_experiment_best_trial(e, (arg & 2) ? "loss" : NULL, (arg & 4) ? "max" : NULL, scope,
                                                     arg & 8, &best)) == ST_OK)
                st_free(best);
            break;
        }
        default: fuzz_experiment_restores(e); break;
        }
    }
    fuzz_experiment_restores(e);
    for (int i = 0; i < count; i++) st_free(ids[i]);
    st_experiment_free(e);
    st_scheduler_free(sch);
    st_searcher_free(s);
    return 0;
}
