"""The calls a deployment in the emulator made, as the emulator recorded them (GET /emulator-api/calls), judged
against the templates that deployment used (CloudFormation's, with its physical names)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from permissions.deployed_stacks import DeployedStack, read_deployed
from permissions.evaluator import JUDGED_PRINCIPAL_TYPES, Verdict, judge, request_of
from permissions.policies import AccountPolicies, Request
from platform_contract import stateful_stack_name, training_stack_name

CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"


class NoCallRecorder(LookupError):
    """The emulator answers no call records (it has no recorder)."""


def recorded_calls(endpoint: str) -> list[dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{endpoint}/emulator-api/calls", timeout=60) as response:
            return list(json.loads(response.read())["calls"])
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise NoCallRecorder(f"{endpoint} has no /emulator-api/calls") from error
        raise


def platform_stack_names() -> list[str]:
    context = json.loads(CDK_JSON.read_text())["context"]
    prefix, environment = str(context["prefix"]), str(context["environment"])
    return [stateful_stack_name(prefix, environment), training_stack_name(prefix, environment)]


def deployed_platform(cloudformation: Any, account: str, region: str) -> dict[str, DeployedStack]:
    return read_deployed(cloudformation, platform_stack_names(), account, region)


@dataclass(frozen=True)
class ReplacedDeployment:
    """A deployment a test replaced by redeploying: the calls recorded until then were made under its stacks."""

    calls_before: int
    stacks: Mapping[str, DeployedStack]


@dataclass
class Judgement:
    verdicts: list[Verdict] = field(default_factory=list)
    outside: list[Request] = field(default_factory=list)  # role and service calls the stacks do not decide

    @property
    def failures(self) -> list[Verdict]:
        return [verdict for verdict in self.verdicts if not verdict.allowed]


def judge_records(
    records: Iterable[Mapping[str, Any]], deployments: Sequence[tuple[int, Mapping[str, DeployedStack]]]
) -> Judgement:
    """Every record of a role or a service judged against the deployment it was made under: `deployments` are
    (calls recorded before it was replaced, its stacks), oldest first, the current one last (its bound unused)."""
    policies = [AccountPolicies.of(stacks.values()) for _, stacks in deployments]
    batches: list[list[Request]] = [[] for _ in deployments]
    judgement = Judgement()
    for record in records:
        if record["principal_type"] not in JUDGED_PRINCIPAL_TYPES:
            continue
        index = next(
            (i for i, (before, _) in enumerate(deployments[:-1]) if int(record["sequence"]) < before),
            len(deployments) - 1,
        )
        request = request_of(record)
        if policies[index].concerns(request):
            batches[index].append(request)
        else:
            judgement.outside.append(request)
    for index, batch in enumerate(batches):
        judgement.verdicts += judge(policies[index], batch)
    return judgement
