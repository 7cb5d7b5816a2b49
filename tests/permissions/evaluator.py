"""An IAM evaluator independent of the platform's code: @cloud-copilot/iam-simulate (a test-only npm
devDependency), run by simulate.mjs over a batch of requests in one Node process.

A verdict is trusted only when the simulator understood the whole request: an input it rejected, or a
context key it ignored that a condition of the request's policies tests, makes the verdict a failure,
whatever the decision, since that condition was never evaluated. (It ignores keys that are no condition key
of the action, and keys it does not know, such as `kms:EncryptionContext:<key>`; one no policy tests cannot
change a decision, and is counted apart.)
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from permissions.policies import AccountPolicies, Request

SIMULATOR = Path(__file__).with_name("simulate.mjs")
SIMULATOR_TIMEOUT_SECONDS = 300
ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "Allowed", "ExplicitlyDenied", "ImplicitlyDenied"
NOT_JUDGED, ERROR = "NotJudged", "Error"


@dataclass(frozen=True)
class Verdict:
    request: Request
    result: str  # Allowed, ExplicitlyDenied, ImplicitlyDenied; Error (the simulator rejected the input); NotJudged
    ignored_context_keys: tuple[str, ...] = ()  # ignored by the simulator, and tested by a condition
    explanation: str = ""
    untested_ignored_keys: tuple[str, ...] = ()  # ignored by the simulator, tested by no condition

    @property
    def understood(self) -> bool:
        return self.result in (ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY) and not self.ignored_context_keys

    @property
    def allowed(self) -> bool:
        return self.understood and self.result == ALLOWED

    @property
    def refused(self) -> bool:
        return self.understood and self.result != ALLOWED

    def described(self) -> str:
        request = self.request
        lines = [
            f"{self.result}: {request.action} on {request.resource} by {request.principal}"
            + (f" ({request.by})" if request.by else ""),
            f"  resource account {request.resource_account}; context {json.dumps(dict(request.context), sort_keys=True)}",
        ]
        if self.ignored_context_keys:
            lines.append(
                f"  context keys the simulator ignored, which a condition tests: {', '.join(self.ignored_context_keys)}"
            )
        if self.explanation:
            lines.append(f"  {self.explanation}")
        return "\n".join(lines)


def judge(policies: AccountPolicies, requests: Sequence[Request]) -> list[Verdict]:
    """Every request's verdict, in order (one simulator process for all of them; a request repeated, as a
    function's log writes are, is simulated once)."""
    distinct: dict[str, Request] = {}
    for request in requests:
        if not policies.not_judgeable(request):
            distinct.setdefault(_identity(request), request)
    simulations = [policies.simulation(request) for request in distinct.values()]
    answers = run_simulator(simulations)
    verdicts = {
        key: _verdict(request, answer, condition_keys(simulation))
        for (key, request), simulation, answer in zip(distinct.items(), simulations, answers, strict=True)
    }
    return [
        dataclasses.replace(verdicts[_identity(request)], request=request)
        if _identity(request) in verdicts
        else Verdict(request, NOT_JUDGED, explanation=str(policies.not_judgeable(request)))
        for request in requests
    ]


def _identity(request: Request) -> str:
    """What the verdict depends on: the request without who made it (`by`)."""
    return json.dumps(
        [request.principal, request.principal_type, request.action, request.resource, request.resource_account],
    ) + json.dumps(dict(request.context), sort_keys=True)


def run_simulator(simulations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not simulations:
        return []
    completed = subprocess.run(
        ["node", str(SIMULATOR)],
        input=json.dumps(simulations),
        capture_output=True,
        text=True,
        timeout=SIMULATOR_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the IAM simulator failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}")
    answers = json.loads(completed.stdout)
    assert len(answers) == len(simulations), "the simulator answered a different number of requests"
    return list(answers)


def condition_keys(simulation: Mapping[str, Any]) -> set[str]:
    """The condition keys (lower case, as IAM compares them) the simulation's policies test."""
    documents = [policy["policy"] for policy in simulation.get("identityPolicies", [])]
    documents += [policy["policy"] for policy in simulation.get("permissionBoundaryPolicies", [])]
    documents += [simulation["resourcePolicy"]] if simulation.get("resourcePolicy") else []
    return {
        key.lower()
        for document in documents
        for statement in _listed(document.get("Statement", []))
        for keys in statement.get("Condition", {}).values()
        for key in keys
    }


def _listed(statements: Any) -> list[Any]:
    return statements if isinstance(statements, list) else [statements]


def _verdict(request: Request, answer: Mapping[str, Any], tested: set[str]) -> Verdict:
    ignored = answer.get("ignoredContextKeys", [])
    return Verdict(
        request,
        answer["result"],
        tuple(key for key in ignored if key.lower() in tested),
        _explanation(answer),
        tuple(key for key in ignored if key.lower() not in tested),
    )


def _explanation(answer: Mapping[str, Any]) -> str:
    if answer["result"] == ERROR:
        return "the simulator rejected the request: " + json.dumps(answer.get("errors"), sort_keys=True)
    if answer["result"] == ALLOWED:
        return "allowed by " + "; ".join(_reason(grant) for grant in answer.get("grants", []))
    return "denied by " + "; ".join(_reason(denial) for denial in answer.get("denials", []))


def _reason(reason: Mapping[str, Any]) -> str:
    policy = reason.get("policyType", "?")
    name = reason.get("policyIdentifier") or reason.get("identifier")
    statement = reason.get("statementId") or (
        f"statement {reason['statementIndex']}" if "statementIndex" in reason else None
    )
    kind = {"Implicit": "no statement allows", "Explicit": "an explicit Deny"}.get(reason.get("denialType", ""), "")
    return " ".join(part for part in (f"{policy} policy", name, statement, kind and f"({kind})") if part)


# -- Records of the emulator ------------------------------------------------------------------------------------
JUDGED_PRINCIPAL_TYPES = ("role", "service")


def request_of(record: Mapping[str, Any]) -> Request:
    """A call the emulator recorded, as a request to judge."""
    return Request(
        principal=record["principal"],
        action=record["action"],
        resource=record["resource"],
        resource_account=record["resource_account"],
        context=dict(record.get("context") or {}),
        principal_type=record["principal_type"],
        by=str(record.get("by") or ""),
    )


# -- Reporting ------------------------------------------------------------------------------------------------------
def summary(verdicts: Iterable[Verdict], title: str) -> str:
    """Counts of calls judged, allowed and refused, overall and by principal."""
    verdicts = list(verdicts)
    by_principal: dict[str, Counter[str]] = {}
    for verdict in verdicts:
        counts = by_principal.setdefault(verdict.request.principal, Counter())
        counts["judged"] += 1
        counts[_outcome(verdict)] += 1
    lines = [f"{title}: {_counts(Counter(_outcome(v) for v in verdicts), len(verdicts))}"]
    lines += [
        f"  {principal}: {_counts(counts, counts['judged'])}" for principal, counts in sorted(by_principal.items())
    ]
    return "\n".join(lines)


def _outcome(verdict: Verdict) -> str:
    if verdict.allowed:
        return "allowed"
    if verdict.refused:
        return "denied"
    return "not understood"


def _counts(counts: Mapping[str, int], judged: int) -> str:
    text = f"{judged} calls judged, {counts.get('allowed', 0)} allowed, {counts.get('denied', 0)} denied"
    return text + (f", {counts['not understood']} not understood" if counts.get("not understood") else "")
