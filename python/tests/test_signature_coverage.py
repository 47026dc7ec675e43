"""Nothing silently ignored: every parameter of Ray Tune 2.53's public classes and functions that
swifttune mirrors is either honoured (swifttune has it, with Ray's default, and a named test
exercises it) or refused (passing it raises ``NotImplementedError`` naming it and what to use
instead). The signatures are read with ``inspect.signature`` from the real Ray in the test venv,
so a parameter Ray adds, or one swifttune drops, fails here.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any, Callable

import pytest

pytestmark = pytest.mark.ray


@dataclass(frozen=True)
class Honoured:
    """Works as in Ray; `tests` ("module::function") exercise it (each must mention the parameter)."""

    tests: tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    """Passing `value` raises NotImplementedError naming the parameter."""

    value: Any


class Deprecated:
    """Deprecated in Ray (its default is the string 'DEPRECATED'): setting it raises, in both."""


def H(*tests: str) -> Honoured:
    return Honoured(tests)


DEPRECATED = Deprecated()


def _dummy(config: dict) -> None:
    pass


def _ray(path: str) -> Any:
    module, _, attr = path.rpartition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _ours(path: str) -> Any:
    return _ray(path.replace("ray.", "swifttune.", 1) if path.startswith("ray.") else path)


@dataclass(frozen=True)
class Target:
    """A Ray callable (`module:attr`), the arguments a call needs besides the one under test, and
    what becomes of each of its parameters."""

    path: str
    params: dict[str, Any]
    base: Callable[[], dict[str, Any]] = dict


P = "test_signature_params::"
U = "test_user_scheduler::"

TARGETS: list[Target] = [
    # -- ray.tune ---------------------------------------------------------------------------
    Target("ray.tune:Tuner", {
        "trainable": H("test_search::test_tuner_needs_a_trainable", "test_tune_api::test_with_parameters_function"),
        "param_space": H("test_tune_api::test_sample_from_gets_spec_config"),
        "tune_config": H("test_tune_api::test_callbacks_see_every_trial_event"),
        "run_config": H("test_tune_api::test_callbacks_see_every_trial_event"),
    }),
    Target("ray.tune:TuneConfig", {
        "mode": H("test_tune_api::test_stop_metric_threshold_mode_max"),
        "metric": H("test_tune_api::test_stop_metric_threshold_mode_max"),
        "search_alg": H("test_search::test_concurrency_limiter_in_tuner_bounds_running_trials"),
        "scheduler": H("test_schedulers::test_scheduler_metric_and_mode_mode_max"),
        "num_samples": H("test_tune_api::test_stop_training_iteration"),
        "max_concurrent_trials": H("test_tune_api::test_max_concurrent_trials"),
        "time_budget_s": H("test_tune_api::test_time_budget_ends_the_run"),
        "reuse_actors": H("test_trainable_class::test_reuse_actors_resets_the_trainable"),
        "trial_name_creator": H("test_tune_api::test_trial_name_and_dirname_creators"),
        "trial_dirname_creator": H("test_tune_api::test_trial_name_and_dirname_creators"),
        "chdir_to_trial_dir": DEPRECATED,
    }),
    Target("ray.tune:RunConfig", {
        "name": H("test_legacy_api::test_registered_trainables"),
        "storage_path": H("test_legacy_api::test_tuner_with_file_uri_and_verbose_none"),
        "storage_filesystem": Refused(object()),
        "failure_config": H("test_fault_tolerance::test_fail_fast_stops_the_experiment"),
        "checkpoint_config": H("test_fault_tolerance::test_checkpoints_are_copied_kept_and_returned"),
        "sync_config": H("test_legacy_api::test_run_config_keywords"),
        "verbose": H("test_progress_reporter::test_reporter_through_run_config_and_verbose"),
        "stop": H("test_tune_api::test_stop_training_iteration"),
        "callbacks": H("test_tune_api::test_callbacks_see_every_trial_event"),
        "progress_reporter": H("test_progress_reporter::test_reporter_through_run_config_and_verbose"),
        "log_to_file": H("test_trainable_class::test_log_to_file"),
        "local_dir": H("test_legacy_api::test_run_config_keywords"),  # raises DeprecationWarning, as Ray
    }),
    Target("ray.tune:CheckpointConfig", {
        "num_to_keep": H("test_fault_tolerance::test_checkpoints_are_copied_kept_and_returned"),
        "checkpoint_score_attribute": H("test_fault_tolerance::test_checkpoints_are_copied_kept_and_returned"),
        "checkpoint_score_order": H("test_fault_tolerance::test_latest_checkpoint_is_kept_even_when_it_is_the_worst"),
        "checkpoint_frequency": H("test_trainable_class::test_checkpoint_by_frequency_and_at_end"),
        "checkpoint_at_end": H("test_trainable_class::test_checkpoint_by_frequency_and_at_end"),
    }),
    Target("ray.tune:FailureConfig", {
        "max_failures": H("test_fault_tolerance::test_raising_and_dying_trials_under_max_failures"),
        "fail_fast": H("test_fault_tolerance::test_fail_fast_stops_the_experiment",
                       "test_fault_tolerance::test_fail_fast_raise_raises_the_trials_error"),
    }),
    # Local storage only: nothing is synced, so the defaults are accepted and any other value refused.
    Target("ray.tune:SyncConfig", {
        "sync_period": Refused(10),
        "sync_timeout": Refused(5),
        "sync_artifacts": Refused(True),
        "sync_artifacts_on_checkpoint": Refused(False),
    }),
    Target("ray.tune:run", {
        "run_or_experiment": H(P + "test_run_arguments"),
        "name": H("test_legacy_api::test_registered_trainables"),
        "metric": H("test_legacy_api::test_run_returns_an_analysis_with_ray_answers"),
        "mode": H("test_legacy_api::test_run_returns_an_analysis_with_ray_answers"),
        "stop": H(P + "test_run_arguments"),
        "time_budget_s": H("test_legacy_api::test_run_arguments_as_ray"),
        "config": H("test_legacy_api::test_run_returns_an_analysis_with_ray_answers"),
        "resources_per_trial": H("test_legacy_api::test_run_arguments_as_ray"),
        "num_samples": H("test_search::test_basic_variant_generator_points_and_seed"),
        "storage_path": H("test_legacy_api::test_file_uri_storage"),
        "storage_filesystem": Refused(object()),
        "search_alg": H("test_legacy_api::test_run_arguments_as_ray"),
        "scheduler": H("test_legacy_api::test_run_arguments_as_ray"),
        "checkpoint_config": H(P + "test_run_arguments"),
        "verbose": H("test_legacy_api::test_run_arguments_as_ray"),
        "progress_reporter": H("test_progress_reporter::test_errors_table"),
        "log_to_file": H(P + "test_run_arguments"),
        "trial_name_creator": H("test_legacy_api::test_run_arguments_as_ray"),
        "trial_dirname_creator": H("test_legacy_api::test_run_arguments_as_ray"),
        "sync_config": H(P + "test_run_arguments"),
        "export_formats": Refused(["model"]),
        "max_failures": H("test_legacy_api::test_max_failures_retries"),
        "fail_fast": H(P + "test_run_arguments"),
        "restore": Refused("/some/checkpoint"),
        "resume": H("test_legacy_api::test_resume"),
        "resume_config": H(P + "test_run_arguments"),
        "reuse_actors": H("test_legacy_api::test_run_arguments_as_ray"),
        "raise_on_failed_trial": H("test_legacy_api::test_failed_trials_raise_as_ray"),
        "callbacks": H(P + "test_run_arguments"),
        "max_concurrent_trials": H("test_legacy_api::test_run_arguments_as_ray"),
        "keep_checkpoints_num": H("test_legacy_api::test_checkpoints_through_the_analysis"),
        "checkpoint_score_attr": H("test_legacy_api::test_checkpoints_through_the_analysis"),
        "checkpoint_freq": H(P + "test_run_arguments"),
        "checkpoint_at_end": H(P + "test_run_arguments"),
        "chdir_to_trial_dir": DEPRECATED,
        "local_dir": H("test_legacy_api::test_run_refusals"),  # raises DeprecationWarning, as Ray
    }, base=lambda: {"run_or_experiment": _dummy}),
    Target("ray.tune:run_experiments", {
        "experiments": H(P + "test_run_experiments_arguments"),
        "scheduler": H(P + "test_run_experiments_arguments"),
        "verbose": H("test_legacy_api::test_experiment_and_run_experiments"),
        "progress_reporter": H(P + "test_run_experiments_arguments"),
        "resume": H(P + "test_run_experiments_arguments"),
        "resume_config": H(P + "test_run_experiments_arguments"),
        "reuse_actors": H(P + "test_run_experiments_arguments"),
        "raise_on_failed_trial": H(P + "test_run_experiments_arguments"),
        "concurrent": H(P + "test_run_experiments_concurrent_runs_them_one_after_another"),
        "callbacks": H(P + "test_run_experiments_arguments"),
    }),
    Target("ray.tune:Experiment", {
        "name": H(P + "test_experiment_arguments"),
        "run": H(P + "test_experiment_arguments"),
        "stop": H(P + "test_experiment_arguments"),
        "time_budget_s": H(P + "test_experiment_arguments"),
        "config": H(P + "test_experiment_arguments"),
        "resources_per_trial": H(P + "test_experiment_arguments"),
        "num_samples": H(P + "test_experiment_arguments"),
        "storage_path": H(P + "test_experiment_arguments"),
        "storage_filesystem": Refused(object()),
        "sync_config": H(P + "test_experiment_arguments"),
        "checkpoint_config": H("test_legacy_api::test_experiment_and_run_experiments"),
        "trial_name_creator": H(P + "test_experiment_arguments"),
        "trial_dirname_creator": H(P + "test_experiment_arguments"),
        "log_to_file": H(P + "test_experiment_arguments"),
        "export_formats": Refused(["model"]),
        "max_failures": H(P + "test_experiment_arguments"),
        "restore": Refused("/some/checkpoint"),
        "local_dir": H(P + "test_experiment_arguments"),  # raises DeprecationWarning, as Ray
    }, base=lambda: {"name": "x", "run": _dummy}),
    Target("ray.tune:ExperimentAnalysis", {
        "experiment_checkpoint_path": H(P + "test_experiment_analysis_arguments"),
        "storage_filesystem": Refused(object()),
        "trials": H(P + "test_experiment_analysis_arguments"),
        "default_metric": H("test_legacy_api::test_analysis_from_an_experiment_folder"),
        "default_mode": H("test_legacy_api::test_analysis_from_an_experiment_folder"),
    }, base=lambda: {"experiment_checkpoint_path": "/nonexistent"}),
    Target("ray.tune:report", {
        "metrics": H(P + "test_report_metrics_and_checkpoint_by_name"),
        "checkpoint": H(P + "test_report_metrics_and_checkpoint_by_name"),
    }),
    Target("ray.tune:with_resources", {
        "trainable": H(P + "test_with_resources_by_name"),
        "resources": H(P + "test_with_resources_by_name", "test_tune_api::test_with_resources_runs_trials_one_at_a_time"),
    }),
    Target("ray.tune:with_parameters", {
        "trainable": H("test_tune_api::test_with_parameters_function"),
    }),
    Target("ray.tune:CLIReporter", {
        "metric_columns": H("test_progress_reporter::test_cli_reporter_prints_rays_layout"),
        "parameter_columns": H("test_progress_reporter::test_columns_dict_aliases_and_defaults"),
        "total_samples": H(P + "test_cli_reporter_arguments"),
        "max_progress_rows": H("test_progress_reporter::test_sort_by_metric_and_max_rows"),
        "max_error_rows": H(P + "test_cli_reporter_arguments"),
        "max_column_length": H(P + "test_cli_reporter_arguments"),
        "max_report_frequency": H("test_progress_reporter::test_max_report_frequency"),
        "infer_limit": H(P + "test_cli_reporter_arguments"),
        "print_intermediate_tables": H("test_progress_reporter::test_reporter_through_run_config_and_verbose"),
        "metric": H("test_progress_reporter::test_sort_by_metric_and_max_rows"),
        "mode": H("test_progress_reporter::test_sort_by_metric_and_max_rows"),
        "sort_by_metric": H("test_progress_reporter::test_sort_by_metric_and_max_rows"),
    }),
    Target("ray.tune:Trainable", {
        "config": H("test_trainable_class::test_trainable_used_directly"),
        "logger_creator": Refused(lambda config: None),
        "storage": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run"),
    }),
    Target("ray.tune:Tuner.restore", {
        "path": H("test_results::test_restore_finished_experiment_returns_the_same_trials",
                  P + "test_tuner_restore_by_name"),
        "trainable": H(P + "test_tuner_restore_by_name"),
        "resume_unfinished": H("test_fault_tolerance::test_restore_without_resuming_unfinished_trials"),
        "resume_errored": H("test_fault_tolerance::test_restore_flags"),
        "restart_errored": H("test_fault_tolerance::test_restore_flags"),
        "param_space": H("test_fault_tolerance::test_restore_flags"),
        # swifttune has no storage_filesystem here (see the report): refusing it, as RunConfig does.
        "storage_filesystem": Refused(object()),
    }, base=lambda: {"path": "/nonexistent", "trainable": _dummy}),
    Target("ray.tune:Tuner.can_restore", {
        "path": H("test_results::test_can_restore", P + "test_tuner_restore_by_name"),
        "storage_filesystem": Refused(object()),
    }, base=lambda: {"path": "/nonexistent"}),
    Target("ray.tune:ResultGrid.get_best_result", {
        "metric": H("test_results::test_get_best_result_scopes_and_modes"),
        "mode": H("test_results::test_get_best_result_scopes_and_modes"),
        "scope": H("test_results::test_get_best_result_scopes_and_modes"),
        "filter_nan_and_inf": H("test_results::test_filter_nan_and_inf_false_lets_minus_inf_win"),
    }),
    # -- ray.tune.search --------------------------------------------------------------------
    Target("ray.tune.search:ConcurrencyLimiter", {
        "searcher": H(P + "test_concurrency_limiter_searcher_and_batch"),
        "max_concurrent": H("test_search::test_concurrency_limiter_returns_none_at_its_limit"),
        "batch": H(P + "test_concurrency_limiter_searcher_and_batch"),
    }),
    Target("ray.tune.search:Repeater", {
        "searcher": H("test_user_searcher::test_repeater_runs_each_hyperopt_suggestion_repeat_times"),
        "repeat": H("test_user_searcher::test_repeater_checks_and_ray_warning"),
        "set_index": H("test_user_searcher::test_repeater_runs_each_hyperopt_suggestion_repeat_times"),
    }),
    Target("ray.tune.search:Searcher", {
        "metric": H("test_user_searcher::test_repeater_checks_and_ray_warning"),
        "mode": H("test_user_searcher::test_repeater_checks_and_ray_warning"),
    }),
    Target("ray.tune.search:BasicVariantGenerator", {
        "points_to_evaluate": H("test_search::test_basic_variant_generator_points_and_seed"),
        "max_concurrent": H(P + "test_basic_variant_generator_max_concurrent"),
        "constant_grid_search": H("test_search::test_constant_grid_search_shares_each_samples_draws",
                                  "test_ray_parity_grid::test_constant_grid_search_shares_a_samples_draws_as_ray_does"),
        "random_state": H("test_search::test_basic_variant_generator_points_and_seed"),
    }),
    Target("ray.tune.search.hyperopt:HyperOptSearch", {
        "space": H("test_search::test_hyperopt_standalone_suggest_complete_save_restore"),
        "metric": H("test_search::test_metric_and_mode_from_the_searcher"),
        "mode": H("test_search::test_metric_and_mode_from_the_searcher"),
        "points_to_evaluate": H("test_search::test_hyperopt_points_to_evaluate_in_tuner"),
        "n_initial_points": H("test_search::test_hyperopt_space_with_hp_in_tuner_minimises"),
        "random_state_seed": H("test_search::test_same_seed_same_suggestions"),
        "gamma": H(P + "test_hyperopt_gamma_changes_what_tpe_suggests"),
    }),
    # -- ray.tune.schedulers ----------------------------------------------------------------
    Target("ray.tune.schedulers:FIFOScheduler", {}),
    # The hooks of a scheduler of the user's, called back by the engine with Ray's arguments.
    Target("ray.tune.schedulers:TrialScheduler.set_search_properties", {
        "metric": H(U + "test_set_search_properties_as_ray_calls_it"),
        "mode": H(U + "test_set_search_properties_as_ray_calls_it"),
        "spec": H(U + "test_set_search_properties_as_ray_calls_it"),
    }),
    Target("ray.tune.schedulers:TrialScheduler.on_trial_add", {
        "tune_controller": H(U + "test_callbacks_see_the_trials_the_scheduler_sees"),
        "trial": H(U + "test_callbacks_see_the_trials_the_scheduler_sees"),
    }),
    Target("ray.tune.schedulers:TrialScheduler.on_trial_result", {
        "tune_controller": H(U + "test_answers_ray_refuses_or_swifttune_cannot_follow"),
        "trial": H(U + "test_answers_ray_refuses_or_swifttune_cannot_follow"),
        "result": H(U + "test_answers_ray_refuses_or_swifttune_cannot_follow"),
    }),
    Target("ray.tune.schedulers:TrialScheduler.on_trial_complete", {
        "tune_controller": H("test_ray_parity_schedulers::test_a_user_scheduler_hears_and_decides_as_under_ray"),
        "trial": H("test_ray_parity_schedulers::test_a_user_scheduler_hears_and_decides_as_under_ray"),
        "result": H("test_ray_parity_schedulers::test_a_user_scheduler_hears_and_decides_as_under_ray"),
    }),
    Target("ray.tune.schedulers:TrialScheduler.on_trial_error", {
        "tune_controller": H("test_ray_parity_schedulers::test_a_user_scheduler_hears_and_decides_as_under_ray"),
        "trial": H(U + "test_a_failed_run_is_an_error_then_added_again"),
    }),
    Target("ray.tune.schedulers:TrialScheduler.choose_trial_to_run", {
        "tune_controller": H(U + "test_answers_ray_refuses_or_swifttune_cannot_follow"),
    }),
    Target("ray.tune.schedulers:AsyncHyperBandScheduler", {
        "time_attr": H(P + "test_asha_time_attr_stop_last_trials_and_brackets"),
        "metric": H("test_schedulers::test_scheduler_metric_and_mode_mode_max"),
        "mode": H("test_schedulers::test_scheduler_metric_and_mode_mode_max"),
        "max_t": H("test_schedulers::test_asha_max_t_caps_trials"),
        "grace_period": H("test_schedulers::test_asha_stops_poor_trials_early"),
        "reduction_factor": H("test_schedulers::test_asha_stops_poor_trials_early"),
        "brackets": H(P + "test_asha_time_attr_stop_last_trials_and_brackets"),
        "stop_last_trials": H(P + "test_asha_time_attr_stop_last_trials_and_brackets"),
    }),
    Target("ray.tune.schedulers:HyperBandScheduler", {
        "time_attr": H("test_schedulers::test_hyperband_time_attr_metric_and_mode_of_its_own"),
        "metric": H("test_schedulers::test_hyperband_time_attr_metric_and_mode_of_its_own"),
        "mode": H("test_schedulers::test_hyperband_time_attr_metric_and_mode_of_its_own"),
        "max_t": H("test_schedulers::test_hyperband_halves_each_bracket"),
        "reduction_factor": H("test_schedulers::test_hyperband_halves_each_bracket"),
        "stop_last_trials": H("test_schedulers::test_hyperband_stop_last_trials_false_lets_survivors_run_on"),
    }),
    Target("ray.tune.schedulers.hb_bohb:HyperBandForBOHB", {
        "time_attr": H("test_bohb::test_brackets_largest_first_and_halvings"),
        "metric": H("test_schedulers::test_hyperband_time_attr_metric_and_mode_of_its_own"),
        "mode": H("test_schedulers::test_hyperband_time_attr_metric_and_mode_of_its_own"),
        "max_t": H("test_bohb::test_brackets_largest_first_and_halvings"),
        "reduction_factor": H("test_bohb::test_brackets_largest_first_and_halvings"),
        "stop_last_trials": H("test_bohb::test_brackets_largest_first_and_halvings"),
    }),
    Target("ray.tune.schedulers:PopulationBasedTraining", {
        "time_attr": H("test_pbt::test_an_exploited_trial_resumes_from_the_clones_checkpoint"),
        "metric": H("test_pbt::test_burn_in_log_config_require_attrs_and_a_metric_and_mode_of_its_own"),
        "mode": H("test_pbt::test_burn_in_log_config_require_attrs_and_a_metric_and_mode_of_its_own"),
        "perturbation_interval": H("test_pbt::test_an_exploited_trial_resumes_from_the_clones_checkpoint"),
        "burn_in_period": H("test_pbt::test_burn_in_log_config_require_attrs_and_a_metric_and_mode_of_its_own"),
        "hyperparam_mutations": H("test_pbt::test_missing_keys_are_sampled_and_functions_and_custom_explore_run"),
        "quantile_fraction": H("test_pbt::test_rays_argument_checks"),
        "resample_probability": H("test_pbt::test_missing_keys_are_sampled_and_functions_and_custom_explore_run"),
        "perturbation_factors": H("test_pbt::test_an_exploited_trial_resumes_from_the_clones_checkpoint"),
        "custom_explore_fn": H("test_pbt::test_missing_keys_are_sampled_and_functions_and_custom_explore_run"),
        "log_config": H("test_pbt::test_burn_in_log_config_require_attrs_and_a_metric_and_mode_of_its_own"),
        "require_attrs": H("test_pbt::test_burn_in_log_config_require_attrs_and_a_metric_and_mode_of_its_own"),
        "synch": H("test_ray_parity_pbt::test_pbt_exploits_and_explores_as_under_ray"),
    }),
    Target("ray.tune.schedulers.pb2:PB2", {
        "time_attr": H("test_pb2::test_the_bandit_explores_within_the_bounds_and_logs_as_ray"),
        "metric": H("test_pb2::test_custom_explore_fn_require_attrs_and_a_metric_and_mode_of_its_own"),
        "mode": H("test_pb2::test_custom_explore_fn_require_attrs_and_a_metric_and_mode_of_its_own"),
        "perturbation_interval": H("test_pb2::test_the_bandit_explores_within_the_bounds_and_logs_as_ray"),
        "hyperparam_bounds": H("test_pb2::test_the_bandit_explores_within_the_bounds_and_logs_as_ray"),
        "quantile_fraction": H("test_pb2::test_rays_argument_checks"),
        "log_config": H("test_pb2::test_custom_explore_fn_require_attrs_and_a_metric_and_mode_of_its_own"),
        "require_attrs": H("test_pb2::test_custom_explore_fn_require_attrs_and_a_metric_and_mode_of_its_own"),
        "synch": H("test_pb2::test_synch_perturbs_every_trial_at_the_same_time"),
        "custom_explore_fn": H("test_pb2::test_custom_explore_fn_require_attrs_and_a_metric_and_mode_of_its_own"),
    }),
    Target("ray.tune.schedulers:PopulationBasedTrainingReplay", {
        "policy_file": H("test_pbt::test_replay_follows_the_policy"),
    }),
    Target("ray.tune.schedulers:MedianStoppingRule", {
        "time_attr": H("test_schedulers::test_median_stopping_rule_stops_bad_trials"),
        "metric": H(P + "test_median_stopping_rule_metric_and_mode"),
        "mode": H(P + "test_median_stopping_rule_metric_and_mode"),
        "grace_period": H("test_schedulers::test_median_stopping_rule_stops_bad_trials"),
        "min_samples_required": H("test_schedulers::test_median_stopping_rule_needs_min_samples"),
        "min_time_slice": H("test_trainable_class::test_paused_trials_resume_from_the_pause_checkpoint"),
        "hard_stop": H("test_trainable_class::test_paused_trials_resume_from_the_pause_checkpoint"),
    }),
    # -- ray.tune.utils ---------------------------------------------------------------------
    # The trainable of Ray's examples: Trainable's parameters, as swifttune's Trainable takes them.
    Target("ray.tune.utils.mock_trainable:MyTrainableClass", {
        "config": H("test_trainable_class::test_my_trainable_class_matches_rays"),
        "logger_creator": Refused(lambda config: None),
        "storage": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run"),
    }),
    # -- ray.tune.stopper -------------------------------------------------------------------
    Target("ray.tune.stopper:MaximumIterationStopper", {
        "max_iter": H("test_stoppers::test_maximum_iteration"),
    }),
    Target("ray.tune.stopper:TrialPlateauStopper", {
        "metric": H("test_stoppers::test_trial_plateau"),
        "std": H(P + "test_trial_plateau_std"),
        "num_results": H("test_stoppers::test_trial_plateau"),
        "grace_period": H("test_stoppers::test_trial_plateau"),
        "metric_threshold": H("test_stoppers::test_trial_plateau"),
        "mode": H("test_stoppers::test_trial_plateau"),
    }),
    Target("ray.tune.stopper:ExperimentPlateauStopper", {
        "metric": H("test_stoppers::test_experiment_plateau_stops_the_experiment"),
        "std": H("test_stoppers::test_experiment_plateau_stops_the_experiment"),
        "top": H("test_stoppers::test_experiment_plateau_stops_the_experiment"),
        "mode": H("test_stoppers::test_experiment_plateau_stops_the_experiment"),
        "patience": H(P + "test_experiment_plateau_patience"),
    }),
    Target("ray.tune.stopper:TimeoutStopper", {
        "timeout": H("test_stoppers::test_timeout"),
    }),
    Target("ray.tune.stopper:CombinedStopper", {
        "stoppers": H(P + "test_combined_stopper_stoppers_and_function_stopper"),
    }),
    Target("ray.tune.stopper:FunctionStopper", {
        "function": H(P + "test_combined_stopper_stoppers_and_function_stopper"),
    }),
    Target("ray.tune.search.bayesopt:BayesOptSearch", {
        "space": H("test_library_searchers::test_bayesopt_verbose_reaches_the_library"),
        "metric": H("test_library_searchers::test_bayesopt_verbose_reaches_the_library"),
        "mode": H("test_library_searchers::test_bayesopt_verbose_reaches_the_library"),
        "verbose": H("test_library_searchers::test_bayesopt_verbose_reaches_the_library"),
        "points_to_evaluate": H("test_library_searchers::test_bayesopt_skip_duplicate_false_runs_a_repeated_point"),
        "skip_duplicate": H("test_library_searchers::test_bayesopt_skip_duplicate_false_runs_a_repeated_point"),
        "utility_kwargs": H("test_library_searchers::test_bayesopt_runs_its_suggestions_and_learns"),
        "random_state": H("test_library_searchers::test_bayesopt_runs_its_suggestions_and_learns"),
        "random_search_steps": H("test_library_searchers::test_bayesopt_runs_its_suggestions_and_learns"),
        "patience": H("test_library_searchers::test_bayesopt_patience_finishes_the_search_on_a_repeated_point"),
        "analysis": H("test_library_searchers::test_bayesopt_analysis_registers_an_earlier_experiment"),
    }),
    Target("ray.tune.search.nevergrad:NevergradSearch", {
        "optimizer": H("test_library_searchers::test_nevergrad_optimizer_kwargs_reach_the_optimizer"),
        "optimizer_kwargs": H("test_library_searchers::test_nevergrad_optimizer_kwargs_reach_the_optimizer"),
        "space": H("test_library_searchers::test_nevergrad_optimizer_kwargs_reach_the_optimizer",
                   "test_library_searchers::test_nevergrad_takes_an_optimizer_instance_with_parameter_names"),
        "metric": H("test_library_searchers::test_nevergrad_optimizer_kwargs_reach_the_optimizer"),
        "mode": H("test_library_searchers::test_nevergrad_optimizer_kwargs_reach_the_optimizer"),
        "points_to_evaluate": H("test_library_searchers::test_nevergrad_runs_its_suggestions"),
    }),
    Target("ray.tune.search.bohb:TuneBOHB", {
        "space": H("test_bohb::test_tune_bohb_takes_rays_arguments_and_refuses_what_ray_refuses"),
        "bohb_config": H("test_bohb::test_tune_bohb_takes_rays_arguments_and_refuses_what_ray_refuses"),
        "metric": H("test_bohb::test_tune_bohb_takes_rays_arguments_and_refuses_what_ray_refuses"),
        "mode": H("test_bohb::test_tune_bohb_takes_rays_arguments_and_refuses_what_ray_refuses"),
        "points_to_evaluate": H("test_bohb::test_tune_bohb_points_to_evaluate_run_first_and_its_max_concurrent_bounds_the_trials"),
        "seed": H("test_bohb::test_tune_bohb_with_hyperband_for_bohb_learns"),
        "max_concurrent": H("test_bohb::test_tune_bohb_points_to_evaluate_run_first_and_its_max_concurrent_bounds_the_trials"),
    }),
    Target("ray.tune.search.optuna:OptunaSearch", {
        "space": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run",
                   "test_optuna_search::test_ray_conversion_of_tune_domains_is_rays"),
        "metric": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run"),
        "mode": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run"),
        "points_to_evaluate": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run"),
        "sampler": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run"),
        "study_name": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run"),
        "storage": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run"),
        "seed": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run"),
        "evaluated_rewards": H("test_optuna_search::test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run"),
    }),
    Target("ray.tune:PlacementGroupFactory", {
        "bundles": H("test_resources::test_with_resources_reads_ray_dicts_and_placement_groups"),
        "strategy": H("test_resources::test_with_resources_reads_ray_dicts_and_placement_groups"),
    }),
    # -- ray.air.integrations ---------------------------------------------------------------
    Target("ray.air.integrations.mlflow:MLflowLoggerCallback", {
        **{p: H("test_mlflow::test_callback_runs_per_trial_with_tags_params_metrics_and_status") for p in ("tracking_uri", "registry_uri", "experiment_name", "tags", "tracking_token",
                                  "save_artifact", "log_params_on_trial_end")},
    }),
    Target("ray.air.integrations.mlflow:setup_mlflow", {
        # rank_zero_only concerns Ray Train's workers; Ray ignores it for Tune trials, as swifttune does
        **{p: H("test_mlflow::test_setup_mlflow_opens_a_run_inside_each_trial") for p in ("config", "tracking_uri", "registry_uri", "experiment_id", "experiment_name",
                                  "tracking_token", "artifact_location", "run_name",
                                  "create_experiment_if_not_exists", "tags", "rank_zero_only")},
    }),
    Target("ray.air.integrations.wandb:WandbLoggerCallback", {
        "project": H("test_wandb::test_callback_logs_each_trial_to_its_own_run",
                     "test_wandb::test_callback_setup_checks_the_key_and_project_as_ray"),
        "group": H("test_wandb::test_callback_options_excludes_log_config_group_and_init_kwargs"),
        "api_key_file": H("test_wandb::test_callback_setup_checks_the_key_and_project_as_ray"),
        "api_key": H("test_wandb::test_callback_setup_checks_the_key_and_project_as_ray"),
        "excludes": H("test_wandb::test_callback_options_excludes_log_config_group_and_init_kwargs"),
        "log_config": H("test_wandb::test_callback_options_excludes_log_config_group_and_init_kwargs"),
        "upload_checkpoints": H("test_wandb::test_callback_logs_each_trial_to_its_own_run"),
        "save_checkpoints": H("test_wandb::test_callback_options_excludes_log_config_group_and_init_kwargs"),
        "upload_timeout": H("test_wandb::test_callback_waits_for_runs_up_to_upload_timeout"),
        "video_kwargs": H("test_wandb::test_callback_cleans_results_with_video_kwargs_and_image_kwargs"),
        "image_kwargs": H("test_wandb::test_callback_cleans_results_with_video_kwargs_and_image_kwargs",
                          "test_wandb::test_callback_options_excludes_log_config_group_and_init_kwargs"),
    }),
    Target("ray.air.integrations.wandb:setup_wandb", {
        # rank_zero_only concerns Ray Train's workers; every Tune trial is rank zero, in Ray as in swifttune
        "config": H("test_wandb::test_setup_wandb_opens_a_run_inside_each_trial"),
        "rank_zero_only": H("test_wandb::test_setup_wandb_opens_a_run_inside_each_trial"),
        **{p: H("test_wandb::test_setup_wandb_opens_a_run_inside_each_trial",
                "test_wandb::test_setup_wandb_checks_the_key_as_ray") for p in ("api_key", "api_key_file")},
    }),
    # -- ray.tune.logger --------------------------------------------------------------------
    Target("ray.tune.logger:LegacyLoggerCallback", {
        "logger_classes": H("test_callbacks::test_legacy_logger_callback_runs_logger_classes_per_trial"),
    }),
    Target("ray.tune.logger:pretty_print", {
        "result": H("test_callbacks::test_pretty_print_leaves_out_config_none_and_excluded_keys"),
        "exclude": H("test_callbacks::test_pretty_print_leaves_out_config_none_and_excluded_keys"),
    }),
    Target("ray.tune.logger:JsonLoggerCallback", {}),
    Target("ray.tune.logger:CSVLoggerCallback", {}),
]


def _cases() -> list[tuple[Target, str]]:
    return [(t, p) for t in TARGETS for p in inspect.signature(_ray(t.path)).parameters
            if not p.startswith("_") and p not in ("self", "args", "kwargs")]


def test_every_mirrored_parameter_is_classified() -> None:
    """Every public parameter of each Ray callable has an entry, and no entry names a parameter
    Ray does not have."""
    missing, extra = [], []
    for t in TARGETS:
        ray_params = {p for p in inspect.signature(_ray(t.path)).parameters
                      if not p.startswith("_") and p not in ("self", "args", "kwargs")}
        missing += [f"{t.path}({p})" for p in sorted(ray_params - set(t.params))]
        extra += [f"{t.path}({p})" for p in sorted(set(t.params) - ray_params)]
    assert not missing, f"parameters with no decision: {missing}"
    assert not extra, f"entries for parameters Ray does not have: {extra}"


@pytest.mark.parametrize("target,param", _cases(), ids=lambda x: x.path.rpartition(":")[2] if isinstance(x, Target) else x)
def test_parameter(target: Target, param: str) -> None:
    ray_sig = inspect.signature(_ray(target.path))
    ours = _ours(target.path)
    our_sig = inspect.signature(ours)
    assert param in our_sig.parameters, f"swifttune's {target.path} has no parameter {param!r}"
    ray_p, our_p = ray_sig.parameters[param], our_sig.parameters[param]
    if ray_p.kind in (ray_p.KEYWORD_ONLY, ray_p.POSITIONAL_OR_KEYWORD):
        assert our_p.kind in (our_p.KEYWORD_ONLY, our_p.POSITIONAL_OR_KEYWORD), f"{param} cannot be passed by name"
    decision = target.params[param]
    if ray_p.default is not ray_p.empty and not isinstance(decision, Deprecated):
        assert our_p.default == ray_p.default or (our_p.default is None and ray_p.default is None), (
            f"{param}: Ray's default is {ray_p.default!r}, swifttune's {our_p.default!r}")
    if isinstance(decision, Honoured):
        assert decision.tests, f"{param} is honoured but no test is named"
        for ref in decision.tests:
            module_name, _, fn_name = ref.partition("::")
            fn = getattr(importlib.import_module(module_name), fn_name, None)
            assert fn is not None, f"{ref} (named for {param}) does not exist"
            assert param in inspect.getsource(fn), f"{ref} does not mention {param!r}"
    elif isinstance(decision, Refused):
        with pytest.raises(NotImplementedError, match=param):
            ours(**{**target.base(), param: decision.value})
    else:
        assert isinstance(decision, Deprecated) and ray_p.default == "DEPRECATED"
        with pytest.raises(Exception) as raised:
            ours(**{**target.base(), param: True})
        assert param in str(raised.value)
