"""The emulator's call log: every AWS call it serves, and every call AWS services make for the
platform, with the principal that makes it (the format: docs/emulator.md, "The call log").

Who signs a request is told by its access key. The emulator hands out one key per principal
(`Principals.key_for`): a Lambda function's environment gets its role's, the state machine's clients
its role's, a training job's side effects its execution role's. Any other key is the caller's (the
tests, trainctl, the CDK CLI, the demo: principal_type "caller").
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from emulator import ACCOUNT_ID

CALLER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/emulator-caller"
CALLS_FILE = "calls.jsonl"
# The key of the emulator's own plumbing that stands in for AWS itself (a training job's state change
# events, which SageMaker puts on the bus as a service): nobody's IAM authorizes those, none is recorded.
UNRECORDED_ACCESS_KEY = "AKIAEMULATORINTERNAL"
SECRET_ACCESS_KEY = "testing"  # moto checks no signature

ContextValue = str | list[str]


@dataclass(frozen=True)
class Principal:
    arn: str  # a role ARN, a service principal (events.amazonaws.com), or CALLER_ARN
    type: str  # "role" | "service" | "caller"
    by: str  # who acts, in words: "Prepare function (name)", "training job <name>"...


CALLER = Principal(CALLER_ARN, "caller", "caller (default test credentials)")


def role(arn: str, by: str) -> Principal:
    return Principal(arn, "role", by)


def service(name: str, by: str) -> Principal:
    return Principal(f"{name}.amazonaws.com", "service", by)


@dataclass(frozen=True)
class Authorization:
    """One action IAM authorizes for a call: on which resource, with which request context."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    via: str | None = None  # the service that makes this call with the principal's permissions
    principal: Principal | None = None  # when not the caller of the request (a service acting for it)


class Principals:
    """The access keys the emulator hands out, each standing for one principal."""

    def __init__(self) -> None:
        self._by_key: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def key_for(self, principal: Principal) -> str:
        digest = hashlib.sha256(f"{principal.arn}\n{principal.by}".encode()).hexdigest().upper()
        key = f"AKIAEMU{digest[:13]}"
        with self._lock:
            self._by_key[key] = principal
        return key

    def of(self, access_key: str) -> Principal:
        with self._lock:
            return self._by_key.get(access_key, CALLER)


def resource_account(resource: str, default: str = ACCOUNT_ID) -> str:
    parts = resource.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else default


class CallLog:
    """The records so far, in memory and appended to `path` as JSON lines, in the order served."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._records: list[dict[str, object]] = []
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")

    def record(self, principal: Principal, authorizations: Sequence[Authorization], outcome: str = "ok") -> None:
        with self._lock:
            lines = []
            for authorization in authorizations:
                entry = self._entry(principal, authorization, outcome)
                self._records.append(entry)
                lines.append(json.dumps(entry) + "\n")
            with self._path.open("a") as calls:
                calls.writelines(lines)

    def _entry(self, principal: Principal, authorization: Authorization, outcome: str) -> dict[str, object]:
        actor = authorization.principal or principal
        time = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return {
            "sequence": len(self._records),
            "time": time,
            "principal": actor.arn,
            "principal_type": actor.type,
            "by": actor.by,
            "action": authorization.action,
            "resource": authorization.resource,
            "resource_account": resource_account(authorization.resource),
            "context": {"aws:SecureTransport": "true", **authorization.context},
            "via": authorization.via,
            "outcome": outcome,
        }

    def records(self, since: int = 0) -> list[dict[str, object]]:
        with self._lock:
            return list(self._records[since:])


PRINCIPALS = Principals()
_log: CallLog | None = None


def start_log(work_dir: Path) -> CallLog:
    """The server process's log, at <work dir>/calls.jsonl (emptied at start)."""
    global _log
    _log = CallLog(work_dir / CALLS_FILE)
    return _log


def record(principal: Principal, authorizations: Sequence[Authorization], outcome: str = "ok") -> None:
    """Record calls AWS services make for the platform (not over HTTP); nothing before start_log."""
    if _log is not None:
        _log.record(principal, authorizations, outcome)


def current_log() -> CallLog | None:
    return _log
