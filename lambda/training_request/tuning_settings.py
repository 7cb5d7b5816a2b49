"""A tuner's search settings: objective, strategy and its config, resource limits, early stopping, completion
criteria, random seed, warm start. The request's HyperParameterTuningJobConfig (without its ParameterRanges)
and WarmStartConfig, as sagemaker.session.Session._map_tuning_config builds them, checked against the API.

Defaults are the SDK's: strategy Bayesian, objective Maximize, early stopping Off, one parallel job, and
one job in all unless the strategy is Grid (which computes its own number of jobs).
"""

from __future__ import annotations

from .fields import ObjectReader
from .tuning_ranges import TUNING
from .validation import check

CONFIG = "HyperParameterTuningJobConfig"
GRID = "Grid"
HYPERBAND = "Hyperband"
WARM_START_KEYS = ("warm_start_type", "parents")
STRATEGY_CONFIG_KEYS = ("hyperband_strategy_config",)
HYPERBAND_KEYS = ("max_resource", "min_resource")
COMPLETION_KEYS = (
    "max_number_of_training_jobs_not_improving",
    "complete_on_convergence",
    "target_objective_metric_value",
)
# HyperbandStrategyConfig.MaxResource: "The maximum value is 20,000 epochs."
MAX_HYPERBAND_RESOURCE = 20_000


def _given(members: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in members.items() if value is not None}


def _text(tuner: ObjectReader, key: str, default: str, path: str) -> str:
    """A string tuner argument, checked against the API at `path` (the default when missing or refused)."""
    value = tuner.string(key)
    if value is None:
        return default
    return value if check(tuner.problems, tuner.field(key), value, f"{CONFIG}.{path}", TUNING) else default


def _number(tuner: ObjectReader, key: str, default: int | None, path: str) -> int | None:
    """An integer tuner argument, checked against the API at `path` (the default when missing or refused)."""
    value = tuner.integer(key)
    if value is None:
        return default
    return value if check(tuner.problems, tuner.field(key), value, f"{CONFIG}.{path}", TUNING) else default


def tuning_job_config(tuner: ObjectReader) -> dict[str, object]:
    """HyperParameterTuningJobConfig's members other than ParameterRanges, in the SDK's order."""
    strategy = _text(tuner, "strategy", "Bayesian", "Strategy")
    early_stopping = _text(tuner, "early_stopping_type", "Off", "TrainingJobEarlyStoppingType")
    if strategy == HYPERBAND and early_stopping != "Off":
        tuner.problems.add(
            tuner.field("early_stopping_type"),
            early_stopping,
            "must be Off with the Hyperband strategy (Hyperband stops training jobs early on its own)",
        )
    objective_name = tuner.string("objective_metric_name", required=True)
    if objective_name is not None:
        check(
            tuner.problems,
            tuner.field("objective_metric_name"),
            objective_name,
            f"{CONFIG}.HyperParameterTuningJobObjective.MetricName",
            TUNING,
        )
    objective_type = _text(tuner, "objective_type", "Maximize", "HyperParameterTuningJobObjective.Type")
    return _given(
        {
            "Strategy": strategy,
            "ResourceLimits": _resource_limits(tuner, strategy),
            "TrainingJobEarlyStoppingType": early_stopping,
            "RandomSeed": _number(tuner, "random_seed", None, "RandomSeed"),
            "HyperParameterTuningJobObjective": {"Type": objective_type, "MetricName": objective_name},
            "StrategyConfig": _strategy_config(tuner, strategy),
            "TuningJobCompletionCriteria": _completion_criteria(tuner),
        }
    )


def _resource_limits(tuner: ObjectReader, strategy: str) -> dict[str, object]:
    """max_jobs (1 unless Grid, which must leave it out), max_parallel_jobs (at most max_jobs), max runtime."""
    limits = "ResourceLimits."
    max_jobs = tuner.integer("max_jobs")
    if strategy == GRID and max_jobs is not None:
        tuner.problems.add(
            tuner.field("max_jobs"), max_jobs, "must be left out with the Grid strategy (it runs every combination)"
        )
    elif max_jobs is not None:
        check(tuner.problems, tuner.field("max_jobs"), max_jobs, f"{CONFIG}.{limits}MaxNumberOfTrainingJobs", TUNING)
    if max_jobs is None and strategy != GRID:
        max_jobs = 1
    max_parallel = _number(tuner, "max_parallel_jobs", 1, limits + "MaxParallelTrainingJobs")
    if max_parallel is not None and max_jobs is not None and strategy != GRID and max_parallel > max_jobs:
        given = "" if tuner.present("max_jobs") else ", the default"
        tuner.problems.add(
            tuner.field("max_parallel_jobs"), max_parallel, f"must not be above max_jobs ({max_jobs}{given})"
        )
    max_runtime = _number(tuner, "max_runtime_in_seconds", None, limits + "MaxRuntimeInSeconds")
    return _given(
        {
            "MaxNumberOfTrainingJobs": None if strategy == GRID else max_jobs,
            "MaxParallelTrainingJobs": max_parallel,
            "MaxRuntimeInSeconds": max_runtime,
        }
    )


def _strategy_config(tuner: ObjectReader, strategy: str) -> dict[str, object] | None:
    """StrategyConfig(hyperband_strategy_config=HyperbandStrategyConfig(max_resource, min_resource))."""
    value = tuner.obj("strategy_config")
    if value is None:
        return None
    if strategy != HYPERBAND:
        tuner.problems.add(
            tuner.field("strategy_config"), None, f"applies only to the Hyperband strategy, not {strategy}"
        )
    config = ObjectReader(value, tuner.field("strategy_config"), tuner.problems, STRATEGY_CONFIG_KEYS)
    hyperband_value = config.obj("hyperband_strategy_config")
    if hyperband_value is None:
        config.raw("hyperband_strategy_config", required=True)
        return None
    hyperband = ObjectReader(hyperband_value, config.field("hyperband_strategy_config"), tuner.problems, HYPERBAND_KEYS)
    resources: dict[str, int | None] = {}
    for key, member in (("min_resource", "MinResource"), ("max_resource", "MaxResource")):
        number = hyperband.integer(key, required=True)
        path = f"{CONFIG}.StrategyConfig.HyperbandStrategyConfig.{member}"
        resources[member] = (
            number if number is not None and check(tuner.problems, hyperband.field(key), number, path, TUNING) else None
        )
    low, high = resources["MinResource"], resources["MaxResource"]
    if high is not None and high > MAX_HYPERBAND_RESOURCE:
        tuner.problems.add(hyperband.field("max_resource"), high, f"must be at most {MAX_HYPERBAND_RESOURCE}")
    if low is not None and high is not None and low > high:
        tuner.problems.add(hyperband.field("min_resource"), low, f"must not be above max_resource ({high})")
    return {"HyperbandStrategyConfig": resources}


def _completion_criteria(tuner: ObjectReader) -> dict[str, object] | None:
    """TuningJobCompletionCriteriaConfig(...).to_input_req(): only the criteria given, in the SDK's order."""
    value = tuner.obj("completion_criteria_config")
    if value is None:
        return None
    config = ObjectReader(value, tuner.field("completion_criteria_config"), tuner.problems, COMPLETION_KEYS)
    criteria: dict[str, object] = {}
    not_improving = config.integer("max_number_of_training_jobs_not_improving")
    path = f"{CONFIG}.TuningJobCompletionCriteria.BestObjectiveNotImproving.MaxNumberOfTrainingJobsNotImproving"
    if not_improving is not None and check(
        tuner.problems, config.field("max_number_of_training_jobs_not_improving"), not_improving, path, TUNING
    ):
        criteria["BestObjectiveNotImproving"] = {"MaxNumberOfTrainingJobsNotImproving": not_improving}
    target = config.raw("target_objective_metric_value")
    if isinstance(target, (int, float)) and not isinstance(target, bool):
        criteria["TargetObjectiveMetricValue"] = target
    elif target is not None:
        tuner.problems.add(config.field("target_objective_metric_value"), target, "must be a number")
    converge = config.boolean("complete_on_convergence")
    if converge is not None:
        criteria["ConvergenceDetected"] = {"CompleteOnConvergence": "Enabled" if converge else "Disabled"}
    return criteria


def warm_start_config(tuner: ObjectReader) -> dict[str, object] | None:
    """WarmStartConfig(warm_start_type, parents).to_input_req(); parents are kept once each, in the order given
    (the SDK keeps them in a set, so its order varies from run to run)."""
    value = tuner.obj("warm_start_config")
    if value is None:
        return None
    config = ObjectReader(value, tuner.field("warm_start_config"), tuner.problems, WARM_START_KEYS)
    warm_start_type = config.string("warm_start_type", required=True)
    if warm_start_type is not None:
        check(tuner.problems, config.field("warm_start_type"), warm_start_type, "WarmStartConfig.WarmStartType", TUNING)
    parents = config.string_list("parents")
    if parents is None:
        config.raw("parents", required=True)
        return None
    unique = list(dict.fromkeys(parents))
    for index, parent in enumerate(unique):
        path = "WarmStartConfig.ParentHyperParameterTuningJobs[].HyperParameterTuningJobName"
        check(tuner.problems, f"{config.field('parents')}[{index}]", parent, path, TUNING)
    check(tuner.problems, config.field("parents"), unique, "WarmStartConfig.ParentHyperParameterTuningJobs", TUNING)
    return {
        "WarmStartType": warm_start_type,
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": parent} for parent in unique],
    }
