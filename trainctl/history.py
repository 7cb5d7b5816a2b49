"""An execution's history, read for the training job the execution runs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def read_history(stepfunctions: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of the execution (all pages of GetExecutionHistory), newest first."""
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = stepfunctions.get_execution_history(**request)
        events.extend(page.get("events", []))
        if not page.get("nextToken"):
            return sorted(events, key=lambda event: event.get("id", 0), reverse=True)
        request["nextToken"] = page["nextToken"]


def _find_key(value: object, key: str) -> str | None:
    """The first string under `key` anywhere in a JSON value."""
    if isinstance(value, dict):
        if isinstance(value.get(key), str):
            return value[key]
        children: list[object] = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = _find_key(child, key)
        if found:
            return found
    return None


def job_name_in_history(events: list[Mapping[str, Any]]) -> str | None:
    """The job an execution created, from its history (newest event first): the newest event naming
    one, as the SageMaker task's TrainingJobName or the Prepare step's job_name. After a capacity
    retry that is the fresh name, from Prepare's output even before the new task is scheduled."""
    for event in events:
        for name, details in event.items():
            if not name.endswith("EventDetails") or not isinstance(details, dict):
                continue
            for payload_key in ("parameters", "output"):
                text = details.get(payload_key)
                if not isinstance(text, str):
                    continue
                try:
                    payload = json.loads(text)
                except ValueError:
                    continue
                found = _find_key(payload, "TrainingJobName") or _find_key(payload, "job_name")
                if found:
                    return found
    return None
