"""Reading the emulator's call log in tests (GET /emulator-api/calls) and picking records from it."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

Record = dict[str, Any]
FIELDS = {
    "sequence",
    "time",
    "principal",
    "principal_type",
    "by",
    "action",
    "resource",
    "resource_account",
    "context",
    "via",
    "outcome",
}


def calls(emulator: Any, since: int = 0) -> list[Record]:
    with urllib.request.urlopen(f"{emulator.endpoint}/emulator-api/calls?since={since}", timeout=30) as answer:
        return list(json.loads(answer.read())["calls"])


def find(records: list[Record], **wanted: Any) -> list[Record]:
    """The records whose fields equal `wanted` (a callable value is a test of the field)."""

    def matches(record: Record) -> bool:
        return all(v(record.get(k)) if callable(v) else record.get(k) == v for k, v in wanted.items())

    return [r for r in records if matches(r)]


def one(records: list[Record], **wanted: Any) -> Record:
    found = find(records, **wanted)
    assert found, f"no record with {wanted}"
    return found[0]
