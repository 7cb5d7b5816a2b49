"""Waiting for the emulator's asynchronous work (executions, training jobs) in tests, and listing
every training job (a session creates well over one page of them).

Every wait is on a condition, with a bound generous enough for a loaded 2-core machine (the suite may
share the cores with another run of itself): a bound only costs time when the condition never holds.
Waits for many things at once are bounded by progress instead of a fixed total: they fail when nothing
has moved for a while, however long the whole takes, within an outer limit.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from platform_contract import WorkflowExecutionStatus

RUNNING = WorkflowExecutionStatus.RUNNING.value


def wait_for(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.25) -> Any:
    """Poll `check` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"nothing after {timeout} s: {check}")


def wait_while_progressing(
    check: Callable[[], Any],
    progress: Callable[[], Hashable],
    *,
    stall_seconds: float,
    limit_seconds: float,
    interval: float = 1.0,
) -> Any:
    """Poll `check` until it returns something truthy. Fail when `progress()` (say, how many jobs exist and
    how many executions ended) has not changed for `stall_seconds`, or after `limit_seconds` in all."""
    started = time.monotonic()
    last_progress, last_change = progress(), started
    while True:
        result = check()
        if result:
            return result
        now = time.monotonic()
        if now - started > limit_seconds:
            raise AssertionError(f"not done after {limit_seconds} s (still progressing: {last_progress}): {check}")
        current = progress()
        if current != last_progress:
            last_progress, last_change = current, now
        elif now - last_change > stall_seconds:
            raise AssertionError(f"no progress for {stall_seconds} s (stuck at {current}): {check}")
        time.sleep(interval)


def finished_execution(sfn: Any, execution_arn: str, stall_seconds: float = 120.0) -> dict[str, Any]:
    """The execution once it has ended. Bounded by progress: it fails when the execution's history has not
    grown for `stall_seconds` (a job's run adds no event: keep it shorter than that), within 10 minutes."""

    def done() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=execution_arn)
        return None if described["status"] == RUNNING else described

    def history_length() -> int:
        pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        return sum(len(page["events"]) for page in pages)

    return wait_while_progressing(done, history_length, stall_seconds=stall_seconds, limit_seconds=600, interval=0.5)


def execution_output(described: dict[str, Any]) -> Any:
    return json.loads(described["output"])


class ExecutionsOf:
    """The executions of a state machine whose input `belongs` to a test, started at or after `since`.

    `refresh()` lists the executions (all pages) and reads the input of each new one once, so a test can
    poll the status of its own executions among the whole session's.
    """

    def __init__(self, sfn: Any, state_machine_arn: str, belongs: Callable[[Any], bool], since: datetime) -> None:
        self._sfn = sfn
        self._state_machine_arn = state_machine_arn
        self._belongs = belongs
        self._since = since
        self._inputs: dict[str, Any] = {}
        self.statuses: dict[str, str] = {}

    def refresh(self) -> dict[str, str]:
        """Execution ARN -> status, for this test's executions."""
        pages = self._sfn.get_paginator("list_executions").paginate(stateMachineArn=self._state_machine_arn)
        for summary in (summary for page in pages for summary in page["executions"]):
            arn = summary["executionArn"]
            if summary["startDate"] < self._since:
                continue
            if arn not in self._inputs:
                described = self._sfn.describe_execution(executionArn=arn)
                self._inputs[arn] = json.loads(described.get("input") or "null")
            if self._belongs(self._inputs[arn]):
                self.statuses[arn] = summary["status"]
        return self.statuses

    def input_of(self, execution_arn: str) -> Any:
        return self._inputs[execution_arn]

    def running(self) -> list[str]:
        return [arn for arn, status in self.statuses.items() if status == RUNNING]

    def ended(self) -> int:
        return len(self.statuses) - len(self.running())


def all_job_names(emulator: Any) -> list[str]:
    """Every training job's name, all pages of ListTrainingJobs."""
    pages = (
        emulator.client("sagemaker").get_paginator("list_training_jobs").paginate(PaginationConfig={"PageSize": 100})
    )
    return [job["TrainingJobName"] for page in pages for job in page["TrainingJobSummaries"]]
