"""Tuning requests: what the builder refuses, naming the field and the rule, before anything is created; every
problem of a request at once, those of its training part included. (Parity with the SDK's request is in
tests/parity/test_tuning_parity.py, differences in tests/parity/test_deliberate_differences.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from training_request import InvalidTrainingInput, PlatformDefaults, build_tuning_job, is_tuning_request
from training_request.tuning import NOT_FOR_TUNING, TUNER_KEYS

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
STACK = PlatformDefaults(
    role_arn=ROLE,
    image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan-trainer:latest",
    output_path="s3://artifacts/output",
)


def request(**tuner_overrides: Any) -> dict[str, Any]:
    tuner: dict[str, Any] = {
        "objective_metric_name": "loss",
        "metric_definitions": [{"Name": "loss", "Regex": "loss=(.*?);"}],
        "hyperparameter_ranges": {"lr": {"type": "Continuous", "min_value": 0.001, "max_value": 0.1}},
    }
    tuner.update(tuner_overrides)
    return {"instance_type": "ml.m5.xlarge", "instance_count": 1, "inputs": "s3://data/train", "tuner": tuner}


def problems_of(execution_input: object) -> dict[str, str]:
    with pytest.raises(InvalidTrainingInput) as raised:
        build_tuning_job(execution_input, region="eu-west-1", defaults=STACK)
    return {problem.field: problem.rule for problem in raised.value.problems}


def test_a_request_with_a_tuner_is_a_tuning_request() -> None:
    assert is_tuning_request(request())
    assert is_tuning_request({"tuner": None})  # then refused: a tuner must be an object
    assert not is_tuning_request({"instance_type": "ml.m5.xlarge"})
    assert not is_tuning_request(["tuner"])


@pytest.mark.parametrize("tuner", [None, [], "loss", 3])
def test_a_tuner_that_is_not_an_object_is_refused(tuner: object) -> None:
    assert "must be an object" in problems_of({"tuner": tuner})["tuner"]


def test_unknown_tuner_keys_are_named_with_the_closest_known_key() -> None:
    problems = problems_of(request(max_job=3, bogus=1))
    assert "did you mean 'max_jobs'" in problems["tuner.max_job"]
    assert "known keys" in problems["tuner.bogus"]


def test_problems_of_the_training_part_and_the_tuner_come_together() -> None:
    execution_input = request(max_parallel_jobs=0)
    execution_input["instance_count"] = "two"
    execution_input["rules"] = [{"rule": "overfit"}]
    problems = problems_of(execution_input)
    assert {"instance_count", "rules", "tuner.max_parallel_jobs"} <= set(problems)
    assert "tuner.metric_definitions" in problems["rules"] or "Debugger" in problems["rules"]


@pytest.mark.parametrize(
    ("spec", "field", "rule"),
    [
        ({"min_value": 1, "max_value": 2}, "lr.type", "must be one of Continuous, Categorical, Integer"),
        ({"type": "Continuous", "max_value": 2}, "lr.min_value", "is required"),
        ({"type": "Continuous", "min_value": "0.1", "max_value": 2}, "lr.min_value", "must be a number"),
        ({"type": "Integer", "min_value": 1, "max_value": True}, "lr.max_value", "must be an integer"),
        (
            {"type": "Continuous", "min_value": 1, "max_value": 2, "scaling_type": "Log"},
            "lr.scaling_type",
            "must be one of",
        ),
        ({"type": "Continuous", "min_value": 1, "max_value": 2, "values": ["a"]}, "lr.values", "unknown key"),
        ({"type": "Categorical", "values": []}, "lr.values", "at least 1"),
        ({"type": "Categorical", "values": ["a", None]}, "lr.values[1]", "must be a string, number or boolean"),
        ({"type": "Categorical", "values": ["x" * 257]}, "lr.values[0]", "at most 256 characters"),
        (
            {"type": "Integer", "min_value": -4, "max_value": 8, "scaling_type": "Logarithmic"},
            "lr.min_value",
            "greater than 0",
        ),
        ("0.1", "lr", "must be a range object"),
    ],
)
def test_each_bad_range_is_named_with_its_rule(spec: object, field: str, rule: str) -> None:
    problems = problems_of(request(hyperparameter_ranges={"lr": spec}))
    assert rule in problems[f"tuner.hyperparameter_ranges.{field}"]


def test_at_most_thirty_ranges_in_all() -> None:
    ranges = {f"p{index}": {"type": "Categorical", "values": ["a", "b"]} for index in range(31)}
    assert "at most 30 ranges" in problems_of(request(hyperparameter_ranges=ranges))["tuner.hyperparameter_ranges"]


def test_hyperband_resources_are_checked() -> None:
    field = "tuner.strategy_config.hyperband_strategy_config."
    inverted = {"hyperband_strategy_config": {"min_resource": 30, "max_resource": 20}}
    assert (
        "must not be above max_resource"
        in problems_of(request(strategy="Hyperband", strategy_config=inverted))[field + "min_resource"]
    )
    too_many = {"hyperband_strategy_config": {"min_resource": 1, "max_resource": 20_001}}
    assert (
        "at most 20000" in problems_of(request(strategy="Hyperband", strategy_config=too_many))[field + "max_resource"]
    )
    missing = {"hyperband_strategy_config": {"max_resource": 10}}
    assert "is required" in problems_of(request(strategy="Hyperband", strategy_config=missing))[field + "min_resource"]


def test_completion_criteria_and_enums_are_checked_against_the_api() -> None:
    problems = problems_of(
        request(
            completion_criteria_config={"target_objective_metric_value": "high", "complete_on_convergence": "yes"},
            strategy="Evolutionary",
            objective_type="maximize",
            early_stopping_type="On",
            random_seed=-1,
        )
    )
    assert "must be a number" in problems["tuner.completion_criteria_config.target_objective_metric_value"]
    assert "true or false" in problems["tuner.completion_criteria_config.complete_on_convergence"]
    assert "Bayesian" in problems["tuner.strategy"]
    assert "did you mean 'Maximize'" in problems["tuner.objective_type"]
    assert "Off" in problems["tuner.early_stopping_type"]
    assert "between 0 and" in problems["tuner.random_seed"]


def test_invalid_tuning_job_names_are_named() -> None:
    execution_input = dict(request(), job_name="my_tuning")
    assert "must match the pattern" in problems_of(execution_input)["job_name"]
    bad_base = request(base_tuning_job_name="-gan")
    assert "letter or digit" in problems_of(bad_base)["tuner.base_tuning_job_name"]


def test_include_cls_metadata_must_be_a_boolean() -> None:
    assert "true or false" in problems_of(dict(request(), include_cls_metadata="yes"))["include_cls_metadata"]


def test_repeated_tag_keys_between_tuner_and_estimator_are_refused() -> None:
    execution_input = dict(request(tags={"team": "vision"}), tags={"team": "audio"})
    assert "must not repeat a tag key" in problems_of(execution_input)["tags"]


def test_autotune_hints_keep_secrets_hidden_in_messages() -> None:
    execution_input = dict(request(autotune=True), hyperparameters={"token": "s" * 300})
    with pytest.raises(InvalidTrainingInput) as raised:
        build_tuning_job(execution_input, region="eu-west-1", defaults=STACK)
    assert "s" * 50 not in str(raised.value)
    assert "hyperparameters.token" in str(raised.value)


def test_tuner_keys_are_the_sdks_hyperparameter_tuner_arguments() -> None:
    import inspect

    sagemaker_tuner = pytest.importorskip("sagemaker.tuner")
    parameters = set(inspect.signature(sagemaker_tuner.HyperparameterTuner).parameters)
    # estimator is the training part; estimator_name only serves several estimators in one tuning job.
    assert set(TUNER_KEYS) == parameters - {"estimator", "estimator_name"}
    assert set(NOT_FOR_TUNING) <= set(
        inspect.signature(__import__("sagemaker.estimator").estimator.Estimator).parameters
    ) | set(inspect.signature(__import__("sagemaker.estimator").estimator.EstimatorBase.fit).parameters)


@pytest.mark.parametrize("job_name", [5, "", ["a"]])
def test_a_job_name_that_is_not_a_string_is_named(job_name: object) -> None:
    assert "must be a non-empty string" in problems_of(dict(request(), job_name=job_name))["job_name"]


@pytest.mark.parametrize(("key", "value"), [("debugger_hook_config", 0), ("disable_profiler", 1)])
def test_only_the_exact_harmless_values_of_refused_keys_pass(key: str, value: object) -> None:
    assert "does not apply to a tuning request" in problems_of(dict(request(), **{key: value}))[key]


def test_a_tuner_nested_too_deeply_is_a_problem_not_a_crash() -> None:
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    problems = problems_of(request(hyperparameter_ranges={"p": {"type": "Categorical", "values": [deep]}}))
    assert problems


def test_a_training_setting_the_definition_cannot_carry_is_a_problem_not_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A member a newer training builder adds (here RemoteDebugConfig, and a keep-alive period in ResourceConfig)
    has no place in a tuning job's definition: it is reported, never silently lost."""
    import dataclasses

    from training_request import tuning

    build_training_job = tuning.build_training_job

    def with_newer_members(*args: Any, **kwargs: Any) -> Any:
        job = build_training_job(*args, **kwargs)
        request = dict(job.request, RemoteDebugConfig={"EnableRemoteDebug": True})
        request["ResourceConfig"] = dict(request["ResourceConfig"], KeepAlivePeriodInSeconds=600)
        return dataclasses.replace(job, request=request)

    monkeypatch.setattr(tuning, "build_training_job", with_newer_members)
    with pytest.raises(InvalidTrainingInput) as raised:
        build_tuning_job(request(), region="eu-west-1", defaults=STACK)
    assert {(problem.field, problem.value) for problem in raised.value.problems} == {
        ("request", "RemoteDebugConfig"),
        ("request", "ResourceConfig.KeepAlivePeriodInSeconds"),
    }
