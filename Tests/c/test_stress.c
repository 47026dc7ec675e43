/*
 * Stress test: 8 threads share one experiment handle and drive 10,000 trials (random search
 * behind a concurrency limiter of 6) through st_experiment_next / report / finish. Every trial
 * must run exactly once: the per-thread counts add up to 10,000, every trial ends TERMINATED
 * with exactly 3 results, and the engine never has more than 6 trials running.
 * Ends with the line "N passed, N failed".
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swifttune.h"

#define THREADS 8
#define TRIALS 10000
#define LIMIT 6

static st_experiment *experiment;
static int running = 0, max_running = 0, errors = 0;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
    int *count = (int *)arg;
    const char *names[] = {"loss"};
    for (;;) {
        int32_t action = -1;
        char *id = NULL;
        if (st_experiment_next(experiment, &action, &id, NULL) != ST_OK) {
            __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
            return NULL;
        }
        if (action == ST_NEXT_FINISHED) return NULL;
        if (action == ST_NEXT_WAIT) {
            sched_yield();
            continue;
        }
        pthread_mutex_lock(&lock);
        if (++running > max_running) max_running = running;
        pthread_mutex_unlock(&lock);
        (*count)++;
        for (int k = 0; k < 3; k++) {
            double v[] = {(double)k};
            int32_t decision = ST_CONTINUE;
            double iteration = 0;
            if (st_experiment_report(experiment, id, names, v, 1, NULL, &decision, &iteration, NULL, NULL) != ST_OK ||
                decision != ST_CONTINUE || iteration != k + 1)
                __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
        }
        pthread_mutex_lock(&lock);
        running--;
        pthread_mutex_unlock(&lock);
        int32_t status = -1;
        if (st_experiment_finish(experiment, id, ST_END_COMPLETED, NULL, &status, NULL, NULL) != ST_OK ||
            status != ST_TRIAL_TERMINATED)
            __atomic_add_fetch(&errors, 1, __ATOMIC_SEQ_CST);
        st_free(id);
    }
}

static int count_occurrences(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

int main(void) {
    int passed = 0, failed = 0;
#define CHECK(c) do { if (c) passed++; else { failed++; fprintf(stderr, "check failed: %s\n", #c); } } while (0)
    const char *spec =
        "{\"algorithm\": \"random\", \"seed\": 5, \"max_concurrent\": 6, \"space\": {\"format\": \"swifttune.space\","
        " \"version\": 1, \"space\": {\"type\": \"dict\", \"items\": {\"x\": {\"type\": \"tune.uniform\", \"lower\": 0, \"upper\": 1}}}}}";
    st_searcher *s = NULL;
    CHECK(st_searcher_new(spec, &s) == ST_OK);
    char config[128];
    snprintf(config, sizeof config, "{\"metric\": \"loss\", \"mode\": \"min\", \"num_samples\": %d}", TRIALS);
    CHECK(st_experiment_new(config, s, NULL, &experiment) == ST_OK);

    pthread_t threads[THREADS];
    int counts[THREADS] = {0};
    for (int t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, worker, &counts[t]);
    int total = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        total += counts[t];
    }
    CHECK(errors == 0);
    CHECK(total == TRIALS);
    CHECK(max_running <= LIMIT);

    char *trials = NULL;
    CHECK(st_experiment_trials(experiment, &trials) == ST_OK);
    CHECK(count_occurrences(trials, "\"status\":\"TERMINATED\"") == TRIALS);
    CHECK(count_occurrences(trials, "\"num_reports\":3,") == TRIALS);
    CHECK(count_occurrences(trials, "\"id\":") == TRIALS);
    printf("stress: %d threads ran %d trials (per thread:", THREADS, total);
    for (int t = 0; t < THREADS; t++) printf(" %d", counts[t]);
    printf("), at most %d running at once\n", max_running);
    st_free(trials);
    st_experiment_free(experiment);
    st_searcher_free(s);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
