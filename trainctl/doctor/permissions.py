"""May each role of the platform make its calls, and is it refused the ones it must not make? IAM's
policy simulator (SimulatePrincipalPolicy) judges every call of the catalogue with the role's own
policies, its permissions boundary and the organization's SCPs, with the request context given.

Resource policies (the key policy, bucket policies) are not part of this simulation: the key policy
has a check of its own."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from trainctl.doctor.catalogue import PRINCIPALS, Call, Context, Fact, Principal, example, resolve
from trainctl.doctor.checks import guard
from trainctl.doctor.deployment import Deployment
from trainctl.doctor.results import CheckResult, Problem, failed

ROLE_TYPE = "AWS::IAM::Role"
CATALOGUE_FILE = "trainctl/doctor/catalogue.py"


def simulation_requests(role_arn: str, calls: Sequence[Call]) -> list[dict[str, Any]]:
    """The SimulatePrincipalPolicy requests for resolved calls: one per call (its actions together)."""
    requests = []
    for call in calls:
        request: dict[str, Any] = {
            "PolicySourceArn": role_arn,
            "ActionNames": list(call.actions),
            "ResourceArns": [example(call.resource)],
        }
        if call.context:
            request["ContextEntries"] = [
                {"ContextKeyName": entry.key, "ContextKeyValues": list(entry.values), "ContextKeyType": entry.type}
                for entry in call.context
            ]
        requests.append(request)
    return requests


def resolved_calls(principal: Principal, facts: Mapping[str, Fact]) -> list[Call]:
    return [resolved for call in principal.calls for resolved in resolve(call, facts)]


def role_checks(iam: Any, deployment: Deployment, facts: Mapping[str, Fact], deploy: str) -> Iterator[CheckResult]:
    """One check per principal of the catalogue, and a failure for any role of the stack it does not know."""
    roles = {role.stem: role for role in deployment.training.of_type(ROLE_TYPE)}
    for principal in PRINCIPALS:
        role = roles.pop(principal.role, None)
        subject = f"role {principal.role} ({principal.name})"
        if role is None:
            yield failed(
                subject, f"stack {deployment.training.name} has no such role", f"deploy this checkout ({deploy})"
            )
            continue
        calls = resolved_calls(principal, facts)
        yield guard(subject, partial(_check_role, iam, subject, deployment, role.physical_id, calls, deploy))
    for stem, role in sorted(roles.items()):
        yield failed(
            f"role {stem}",
            f"{role.physical_id} is a role of the stack that trainctl's catalogue of expected calls does not know",
            f"add the calls it makes to {CATALOGUE_FILE}",
        )


def _check_role(
    iam: Any, subject: str, deployment: Deployment, role_name: str, calls: Sequence[Call], deploy: str
) -> CheckResult:
    role_arn = deployment.role_arn(role_name)
    problems: list[Problem] = []
    allowed = refused = 0
    for call, request in zip(calls, simulation_requests(role_arn, calls), strict=True):
        for result in _simulate(iam, request):
            problem = _judge(call, result, deploy)
            if problem is not None:
                problems.append(problem)
            elif call.allowed:
                allowed += 1
            else:
                refused += 1
    if problems:
        return CheckResult(subject, problems=tuple(problems))
    return CheckResult(subject, f"{role_name}: {_calls(allowed)} allowed, {_calls(refused)} refused as they must be")


def _calls(count: int) -> str:
    return f"{count} call" + ("" if count == 1 else "s")


def _simulate(iam: Any, request: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for page in iam.get_paginator("simulate_principal_policy").paginate(**request):
        yield from page["EvaluationResults"]


def _judge(call: Call, result: Mapping[str, Any], deploy: str) -> Problem | None:
    is_allowed = result["EvalDecision"] == "allowed"
    if is_allowed == call.allowed:
        return None
    # One resource per request: IAM's per-action result is that resource's (EvalResourceName may be left out).
    target = f"{result['EvalActionName']} on {example(call.resource)}{_with(call.context)}"
    restore = (
        f"deploy this checkout ({deploy}); if the stacks already match it, undo what was changed outside CloudFormation"
    )
    if call.allowed:
        reason, fix = _why_refused(result, restore)
        return Problem(f"IAM refuses {target} ({reason}), which it needs: {call.why}", fix)
    return Problem(
        f"IAM allows {target}{_allowed_by(result)}, which it must not: {call.why}",
        f"remove the permission: {restore}",
    )


def _with(context: Sequence[Context]) -> str:
    if not context:
        return ""
    return " with " + ", ".join(f"{entry.key}={','.join(entry.values)}" for entry in context)


def _allowed_by(result: Mapping[str, Any]) -> str:
    policies = sorted({statement.get("SourcePolicyId", "?") for statement in result.get("MatchedStatements", [])})
    return f" (allowed by {', '.join(policies)})" if policies else ""


def _why_refused(result: Mapping[str, Any], restore: str) -> tuple[str, str]:
    if result["EvalDecision"] == "explicitDeny":
        policies = sorted({statement.get("SourcePolicyId", "?") for statement in result.get("MatchedStatements", [])})
        return (
            f"explicitly denied by {', '.join(policies) or 'a policy'}",
            "remove that deny, or ask who added it",
        )
    if result.get("OrganizationsDecisionDetail", {}).get("AllowedByOrganizations") is False:
        return "an SCP of the organization denies it", "ask the organization's administrators to allow it"
    if result.get("PermissionsBoundaryDecisionDetail", {}).get("AllowedByPermissionsBoundary") is False:
        return "the role's permissions boundary does not allow it", "widen the role's permissions boundary"
    missing = result.get("MissingContextValues", [])
    if missing:
        return (
            f"the policies need context keys the doctor did not give: {', '.join(missing)}",
            f"add them to the call in {CATALOGUE_FILE}",
        )
    return "no statement of the role allows it", restore
