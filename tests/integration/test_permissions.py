"""Every call the platform made in this session, as the emulator recorded it, is one a real account allows:
each call of the platform's roles, and each call AWS services made on its behalf (assuming its roles, invoking
its functions, publishing to its topic, using its key), judged by an independent IAM evaluator
(tests/permissions) against the templates the deployment used, with its physical names.

Runs after every other test but the destructive ones (conftest.py's phases): the scenarios of every test, and
of test_permission_scenarios's redeploy, are judged; a call made before that redeploy is judged against the
stacks it replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from permissions.evaluator import Verdict, summary
from permissions.recorded_calls import (
    Judgement,
    NoCallRecorder,
    ReplacedDeployment,
    deployed_platform,
    judge_records,
    recorded_calls,
)

from emulator import ACCOUNT_ID
from trainctl.doctor.catalogue import matches

pytestmark = pytest.mark.judges_calls

# Principals whose calls every session makes (any training): a judge that saw none of them judged nothing.
EXPECTED_PRINCIPALS = ("ExecutionRole", "TrainingWorkflowStateMachineRole", "TrainingWorkflowPrepareRole")


@dataclass(frozen=True)
class PendingGrant:
    """Calls the platform makes that today's grants refuse, until a change of the stacks lands."""

    role: str  # the role's logical ID without the CDK's hash
    actions: tuple[str, ...]
    resource: str  # an ARN pattern (`*` any run of characters)
    reason: str

    def covers(self, verdict: Verdict) -> bool:
        request = verdict.request
        return (
            f"-{self.role}" in request.principal
            and request.action in self.actions
            and matches(self.resource, request.resource)
        )


PENDING = {
    "the execution role pulls the Debugger rule evaluator image": PendingGrant(
        "ExecutionRole",
        ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"),
        "arn:aws:ecr:*:*:repository/sagemaker-debugger-rules",
        "pending: the execution role may pull only the platform's repository; a training with Debugger or "
        "profiler rules pulls the SDK's rule evaluator image from SageMaker's account (image repositories, "
        "branch p4-keys)",
    ),
    "the execution role creates the training jobs' log group": PendingGrant(
        "ExecutionRole",
        ("logs:CreateLogGroup",),
        "arn:aws:logs:*:*:log-group:/aws/sagemaker/TrainingJobs",
        "pending: the grant names log-group:/aws/sagemaker/TrainingJobs:* and the emulator records "
        "CreateLogGroup on the log group's ARN without ':*'; the grant or the record's ARN is to change",
    ),
}


@pytest.fixture(scope="module")
def judgement(emulator: Any, platform: Any, replaced_deployments: list[ReplacedDeployment]) -> Judgement:
    try:
        records = recorded_calls(emulator.endpoint)
    except NoCallRecorder as missing:
        pytest.xfail(
            f"the emulator on this branch records no calls yet (the call recorder lands separately): {missing}"
        )
    current = deployed_platform(emulator.client("cloudformation"), ACCOUNT_ID, emulator.region)
    deployments = [(replaced.calls_before, replaced.stacks) for replaced in replaced_deployments]
    judged = judge_records(records, [*deployments, (len(records), current)])
    assert judged.verdicts, f"no call of a role or a service was judged among {len(records)} records"
    return judged


def test_every_call_the_platform_made_is_allowed(judgement: Judgement, record_property: Any) -> None:
    text = summary(judgement.verdicts, "calls the platform made in this session")
    text += f"\n  not the platform's (roles and resources of other tests): {len(judgement.outside)} calls"
    record_property("summary", text)
    print(text)
    judged_principals = " ".join({verdict.request.principal for verdict in judgement.verdicts})
    missing = [stem for stem in EXPECTED_PRINCIPALS if f"-{stem}" not in judged_principals]
    assert not missing, f"no call judged of {missing}: is the recorder recording them?"
    failures = [v for v in judgement.failures if not any(pending.covers(v) for pending in PENDING.values())]
    refused = "\n".join(verdict.described() for verdict in failures)
    assert not failures, f"{len(failures)} calls a real account would refuse:\n{refused}"


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=p.reason)) for name, p in PENDING.items()]
)
def test_the_pending_grants_calls_are_allowed(name: str, judgement: Judgement) -> None:
    covered = [verdict for verdict in judgement.verdicts if PENDING[name].covers(verdict)]
    assert covered, f"no call recorded of: {name}"
    refused = "\n".join(verdict.described() for verdict in covered if not verdict.allowed)
    assert not refused, refused
