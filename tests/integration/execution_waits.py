"""Waiting for the emulator's asynchronous work (executions, training jobs) in tests, and listing
every training job (a session creates well over one page of them)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any


def wait_for(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.25) -> Any:
    """Poll `check` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"nothing after {timeout} s: {check}")


def finished_execution(sfn: Any, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=execution_arn)
        return None if described["status"] == "RUNNING" else described

    return wait_for(done, timeout)


def execution_output(described: dict[str, Any]) -> Any:
    return json.loads(described["output"])


def all_job_names(emulator: Any) -> list[str]:
    """Every training job's name, all pages of ListTrainingJobs."""
    pages = (
        emulator.client("sagemaker").get_paginator("list_training_jobs").paginate(PaginationConfig={"PageSize": 100})
    )
    return [job["TrainingJobName"] for page in pages for job in page["TrainingJobSummaries"]]
