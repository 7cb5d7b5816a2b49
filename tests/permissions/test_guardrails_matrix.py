"""The guardrail and capability settings as a real account enforces them, judged by the independent evaluator
against this checkout's synthesized policies: a job outside the guardrails is refused to the workflow's role
even without the request builder (each with the allowed job as control), and a capability's calls are refused
until its setting turns it on."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from permissions.conftest import GUARDRAILS_AND_CAPABILITIES
from permissions.deployed_stacks import FAKE_ACCOUNT, FAKE_REGION
from permissions.evaluator import judge
from permissions.fake_platform import TLS, FakePlatform
from permissions.policies import Request

SM, EXEC = "TrainingWorkflowStateMachineRole", "ExecutionRole"
JOB = f"arn:aws:sagemaker:{FAKE_REGION}:{FAKE_ACCOUNT}:training-job/gan-20261130"
PROVIDER = GUARDRAILS_AND_CAPABILITIES["training_repository_credentials_providers"]
PLAN = GUARDRAILS_AND_CAPABILITIES["training_plans"]
# A job the guarded deployment allows: tagged, an allowed type, within the longest run.
WITHIN = {
    **TLS,
    "aws:RequestTag/CER": "1",
    "aws:TagKeys": ["CER"],
    "sagemaker:InstanceTypes": ["ml.m5.large"],
    "sagemaker:MaxRuntimeInSeconds": "14400",
}


def _without(key: str) -> dict:
    return {name: value for name, value in WITHIN.items() if name != key}


# name: (the job's context refused, the control's context allowed), both for the workflow's CreateTrainingJob.
BEYOND_THE_GUARDRAILS: dict[str, tuple[dict, dict]] = {
    "an instance type not allowed": (
        {**WITHIN, "sagemaker:InstanceTypes": ["ml.p4d.24xlarge"]},
        WITHIN,
    ),
    "a heterogeneous cluster with one group's type not allowed": (
        {**WITHIN, "sagemaker:InstanceTypes": ["ml.m5.large", "ml.p4d.24xlarge"]},
        {**WITHIN, "sagemaker:InstanceTypes": ["ml.m5.large", "ml.g5.xlarge"]},
    ),
    "a request without instance types": (_without("sagemaker:InstanceTypes"), WITHIN),
    "a max runtime above max_run_seconds": (
        {**WITHIN, "sagemaker:MaxRuntimeInSeconds": "14401"},
        {**WITHIN, "sagemaker:MaxRuntimeInSeconds": "60"},
    ),
    "a keep-alive above max_keep_alive_seconds": (
        {**WITHIN, "sagemaker:KeepAlivePeriod": "601"},
        {**WITHIN, "sagemaker:KeepAlivePeriod": "600"},
    ),
}


@pytest.mark.parametrize("name", sorted(BEYOND_THE_GUARDRAILS))
def test_iam_refuses_a_job_beyond_the_guardrails(name: str, guarded_platform: FakePlatform) -> None:
    refused, control = BEYOND_THE_GUARDRAILS[name]
    role = guarded_platform.role(SM)
    verdicts = judge(
        guarded_platform.policies,
        [Request(role, "sagemaker:CreateTrainingJob", JOB, FAKE_ACCOUNT, context) for context in (refused, control)],
    )
    assert verdicts[0].refused, verdicts[0].described()
    assert verdicts[1].allowed, verdicts[1].described()


def test_without_guardrails_the_same_jobs_are_allowed(platform: FakePlatform) -> None:
    """The limits come from the settings: the default deployment limits nothing."""
    role = platform.role(SM)
    requests = [
        Request(role, "sagemaker:CreateTrainingJob", JOB, FAKE_ACCOUNT, refused)
        for refused, _ in BEYOND_THE_GUARDRAILS.values()
    ]
    assert all(verdict.allowed for verdict in judge(platform.policies, requests))


def _remote_debug_job(platform: FakePlatform) -> Request:
    return Request(
        platform.role(SM),
        "sagemaker:CreateTrainingJob",
        JOB,
        FAKE_ACCOUNT,
        {**WITHIN, "sagemaker:EnableRemoteDebug": "true"},
    )


# name: the call a capability needs, made by the role that makes it.
CAPABILITY_CALLS: dict[str, Callable[[FakePlatform], Request]] = {
    **{
        f"the execution role calls {action} (remote debugging)": (
            lambda p, action=action: Request(p.role(EXEC), action, "*", FAKE_ACCOUNT, TLS)
        )
        for action in ("ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel")
    },
    "the workflow creates a job with remote debugging": _remote_debug_job,
    "the execution role invokes a registry credentials provider": lambda p: Request(
        p.role(EXEC), "lambda:InvokeFunction", PROVIDER, FAKE_ACCOUNT, TLS
    ),
    "SageMaker tags the execution role's session": lambda p: Request(
        "sagemaker.amazonaws.com",
        "sts:TagSession",
        p.role(EXEC),
        FAKE_ACCOUNT,
        {"aws:SourceAccount": FAKE_ACCOUNT},
        principal_type="service",
    ),
    "the workflow creates a job on a training plan": lambda p: Request(
        p.role(SM), "sagemaker:CreateTrainingJob", PLAN, FAKE_ACCOUNT, {**WITHIN, "sagemaker:KeepAlivePeriod": "60"}
    ),
}


@pytest.mark.parametrize("name", sorted(CAPABILITY_CALLS))
def test_a_capability_is_refused_until_its_setting_turns_it_on(
    name: str, platform: FakePlatform, guarded_platform: FakePlatform
) -> None:
    (without,) = judge(platform.policies, [CAPABILITY_CALLS[name](platform)])
    (with_setting,) = judge(guarded_platform.policies, [CAPABILITY_CALLS[name](guarded_platform)])
    assert without.refused, without.described()
    assert with_setting.allowed, with_setting.described()


@pytest.mark.parametrize(
    ("stem", "action", "resource"),
    [
        (EXEC, "lambda:InvokeFunction", PROVIDER.replace("registry-credentials", "other-function")),
        (SM, "sagemaker:CreateTrainingJob", PLAN.replace("p5-week", "other-plan")),
    ],
)
def test_only_the_configured_providers_and_plans(
    stem: str, action: str, resource: str, guarded_platform: FakePlatform
) -> None:
    context = WITHIN if action.startswith("sagemaker:") else TLS
    (verdict,) = judge(
        guarded_platform.policies, [Request(guarded_platform.role(stem), action, resource, FAKE_ACCOUNT, context)]
    )
    assert verdict.refused, verdict.described()
