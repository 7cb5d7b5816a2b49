"""A deployment's guardrails and capabilities: the builder refuses a request outside them before any job, naming
the field and the setting, for plain, heterogeneous and tuning requests; the Prepare function reads them from
the environment the stacks give it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from platform_contract import PrepareEnvironment
from training_request import InvalidTrainingInput, PlatformDefaults, build_training_job, build_tuning_job
from training_request.guardrails import Guardrails

PROVIDER = "arn:aws:lambda:eu-west-1:123456789012:function:registry-credentials"
PLAN = "arn:aws:sagemaker:eu-west-1:123456789012:training-plan/p5-week"
GUARDED = Guardrails(
    allowed_instance_types=("ml.m5.xlarge", "ml.g5.xlarge"),
    max_instance_count=4,
    max_run_seconds=3600,
    max_keep_alive_seconds=600,
    allow_remote_debug=False,
    allow_session_tag_chaining=False,
    credentials_providers=(),
    training_plans=(),
)
OPEN = Guardrails(
    allow_remote_debug=True, allow_session_tag_chaining=True, credentials_providers=(PROVIDER,), training_plans=(PLAN,)
)
PRIVATE_REGISTRY = {
    "training_repository_access_mode": "Vpc",
    "subnets": ["subnet-0123abcd"],
    "security_group_ids": ["sg-0123abcd"],
}


def stack(guardrails: Guardrails) -> PlatformDefaults:
    return dataclasses.replace(PlatformDefaults.stand_ins("eu-west-1"), guardrails=guardrails)


def training(**arguments: Any) -> dict[str, Any]:
    return {"instance_type": "ml.m5.xlarge", "instance_count": 1, "max_run": 600, **arguments}


def problems(execution_input: dict[str, Any], guardrails: Guardrails = GUARDED) -> dict[str, str]:
    with pytest.raises(InvalidTrainingInput) as raised:
        build_training_job(execution_input, region="eu-west-1", defaults=stack(guardrails))
    return {problem.field: str(problem) for problem in raised.value.problems}


def test_a_request_inside_the_guardrails_is_built() -> None:
    job = build_training_job(
        training(instance_count=4, max_run=3600, keep_alive_period_in_seconds=600, enable_remote_debug=False),
        region="eu-west-1",
        defaults=stack(GUARDED),
    )
    assert job.request["ResourceConfig"]["InstanceCount"] == 4


def test_an_instance_type_not_allowed_names_the_field_and_the_setting() -> None:
    assert problems(training(instance_type="ml.p4d.24xlarge")) == {
        "instance_type": "instance_type: ml.p4d.24xlarge is not among the allowed instance types "
        "(setting allowed_instance_types: ml.m5.xlarge, ml.g5.xlarge)"
    }


@pytest.mark.parametrize(
    ("arguments", "field", "setting"),
    [
        ({"instance_count": 5}, "instance_count", "max_instance_count: 4"),
        ({"max_run": 3601}, "max_run", "max_run_seconds: 3600"),
        ({"keep_alive_period_in_seconds": 601}, "keep_alive_period_in_seconds", "max_keep_alive_seconds: 600"),
    ],
)
def test_a_limit_passed_names_the_field_the_value_and_the_setting(
    arguments: dict[str, Any], field: str, setting: str
) -> None:
    found = problems(training(**arguments))
    assert list(found) == [field]
    assert str(arguments[field]) in found[field] and f"(setting {setting})" in found[field]


def test_without_max_run_a_job_runs_at_most_the_deployments_limit() -> None:
    """The SDK's default day would be refused by IAM: the limit takes its place when it is shorter."""
    request = {"instance_type": "ml.m5.xlarge", "instance_count": 1}
    limited = build_training_job(request, region="eu-west-1", defaults=stack(GUARDED))
    unlimited = build_training_job(request, region="eu-west-1", defaults=stack(Guardrails()))
    assert limited.request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert unlimited.request["StoppingCondition"] == {"MaxRuntimeInSeconds": 86400}


def test_each_instance_group_is_checked_and_so_is_their_total() -> None:
    groups = [
        {"instance_group_name": "data", "instance_type": "ml.m5.xlarge", "instance_count": 3},
        {"instance_group_name": "gpu", "instance_type": "ml.p3.2xlarge", "instance_count": 2},
    ]
    found = problems({"instance_groups": groups, "max_run": 600})
    assert set(found) == {"instance_groups[1].instance_type", "instance_groups"}
    assert "ml.p3.2xlarge is not among the allowed instance types" in found["instance_groups[1].instance_type"]
    assert (
        "5 in all is above the most instances a job may use (setting max_instance_count: 4)" in found["instance_groups"]
    )
    groups[0]["instance_count"] = 5
    assert "instance_groups[0].instance_count" in problems({"instance_groups": groups, "max_run": 600})


@pytest.mark.parametrize(
    ("arguments", "field", "setting"),
    [
        ({"enable_remote_debug": True}, "enable_remote_debug", "allow_remote_debug: false"),
        ({"enable_session_tag_chaining": True}, "enable_session_tag_chaining", "allow_session_tag_chaining: false"),
        (
            {**PRIVATE_REGISTRY, "training_repository_credentials_provider_arn": PROVIDER},
            "training_repository_credentials_provider_arn",
            "training_repository_credentials_providers: none",
        ),
        ({"training_plan": PLAN}, "training_plan", "training_plans: none"),
    ],
)
def test_a_capability_the_deployment_does_not_allow_is_refused_and_allowed_once_turned_on(
    arguments: dict[str, Any], field: str, setting: str
) -> None:
    found = problems(training(**arguments))
    assert list(found) == [field] and f"(setting {setting})" in found[field]
    build_training_job(training(**arguments), region="eu-west-1", defaults=stack(OPEN))


def test_a_provider_or_plan_not_listed_is_refused_naming_the_listed_ones() -> None:
    other = PROVIDER.replace("registry-credentials", "other")
    found = problems(training(**PRIVATE_REGISTRY, training_repository_credentials_provider_arn=other), OPEN)
    assert (
        f"(setting training_repository_credentials_providers: {PROVIDER})"
        in found["training_repository_credentials_provider_arn"]
    )


def test_switching_a_capability_off_explicitly_is_always_accepted() -> None:
    build_training_job(
        training(enable_remote_debug=False, enable_session_tag_chaining=False),
        region="eu-west-1",
        defaults=stack(GUARDED),
    )


def test_a_tuning_requests_training_definition_is_held_to_the_guardrails() -> None:
    tuning = training(
        instance_type="ml.p4d.24xlarge",
        instance_count=8,
        max_run=7200,
        tuner={
            "objective_metric_name": "loss",
            "metric_definitions": [{"Name": "loss", "Regex": "loss=(.*?);"}],
            "hyperparameter_ranges": {"lr": {"type": "Continuous", "min_value": 0.001, "max_value": 0.1}},
        },
    )
    with pytest.raises(InvalidTrainingInput) as raised:
        build_tuning_job(tuning, region="eu-west-1", defaults=stack(GUARDED))
    assert {problem.field for problem in raised.value.problems} == {"instance_type", "instance_count", "max_run"}
    tuning.update(instance_type="ml.g5.xlarge", instance_count=2, max_run=1800)
    job = build_tuning_job(tuning, region="eu-west-1", defaults=stack(GUARDED))
    definition = job.request["TrainingJobDefinition"]
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}


def test_the_guardrails_travel_through_the_functions_environment() -> None:
    environment = GUARDED.to_environment()
    assert set(environment) <= {name.value for name in PrepareEnvironment}
    assert Guardrails.from_environment(environment) == GUARDED
    assert Guardrails.from_environment(OPEN.to_environment()) == OPEN
    assert PlatformDefaults.from_environment(environment).guardrails == GUARDED


def test_without_the_variables_nothing_is_checked() -> None:
    assert Guardrails.from_environment({}) == Guardrails()
    build_training_job(
        training(instance_type="ml.p4d.24xlarge", instance_count=64, max_run=400000, enable_remote_debug=True),
        region="eu-west-1",
        defaults=stack(Guardrails.from_environment({})),
    )
