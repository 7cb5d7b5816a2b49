"""Every call the platform made in this session, as the emulator recorded it, is one a real account allows:
each call of the platform's roles, and each call AWS services made on its behalf (assuming its roles, invoking
its functions, publishing to its topic, using its key), judged by an independent IAM evaluator
(tests/permissions) against the templates the deployment used, with its physical names.

Runs after every other test but the destructive ones (conftest.py's phases): the scenarios of every test, and
of test_permission_scenarios's redeploy, are judged; a call made before that redeploy is judged against the
stacks it replaced.
"""

from __future__ import annotations

from typing import Any

import pytest
from permissions.evaluator import summary
from permissions.recorded_calls import (
    Judgement,
    ReplacedDeployment,
    deployed_platform,
    judge_records,
    recorded_calls,
)

from emulator import ACCOUNT_ID

pytestmark = pytest.mark.judges_calls

# Principals whose calls every session makes (any training): a judge that saw none of them judged nothing.
EXPECTED_PRINCIPALS = ("ExecutionRole", "TrainingWorkflowStateMachineRole", "TrainingWorkflowPrepareRole")
# Calls of the paths the scenarios take (test_permission_scenarios runs a tuning job to its end and stops one).
EXPECTED_ACTIONS = (
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:StopHyperParameterTuningJob",
)


@pytest.fixture(scope="module")
def judgement(emulator: Any, platform: Any, replaced_deployments: list[ReplacedDeployment]) -> Judgement:
    records = recorded_calls(emulator.endpoint)
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
    judged_actions = {verdict.request.action for verdict in judgement.verdicts}
    assert not (unjudged := [a for a in EXPECTED_ACTIONS if a not in judged_actions]), f"no call judged of {unjudged}"
    failures = judgement.failures
    refused = "\n".join(verdict.described() for verdict in failures)
    assert not failures, f"{len(failures)} calls a real account would refuse:\n{refused}"
