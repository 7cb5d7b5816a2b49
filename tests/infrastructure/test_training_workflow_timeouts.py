"""A request file whose Prepare step times out (States.Timeout) still gets a result saying why.

In a module of its own: the workflow is deployed with a one-second Prepare timeout (120 s as deployed).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from test_training_workflow_executions import (
    DATA_BUCKET,
    PLATFORM_ENVIRONMENT,
    REGION,
    TRAINING_INPUT,
    platform_handlers,
    request_file_event,
    result_file,
)
from workflow_runs import Workflow, workflow_in_moto

PREPARE_TIMEOUT_SECONDS = 1


def handlers_with_a_slow_prepare() -> dict[str, Any]:
    handlers = platform_handlers()
    prepare = handlers["prepare"]

    def slow_prepare(event: Any) -> Any:
        time.sleep(PREPARE_TIMEOUT_SECONDS + 1)
        return prepare(event)

    return {**handlers, "prepare": slow_prepare}


@pytest.fixture(scope="module")
def workflow() -> Iterator[Workflow]:
    with workflow_in_moto(
        PLATFORM_ENVIRONMENT, 0, handlers_with_a_slow_prepare, prepare_timeout_seconds=PREPARE_TIMEOUT_SECONDS
    ) as workflow:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=DATA_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=DATA_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield workflow


def test_a_request_file_whose_preparation_times_out_has_the_timeout_written_to_its_result(workflow: Workflow) -> None:
    execution = workflow.run(request_file_event("requests/gan.json", TRAINING_INPUT))

    # A Fail state may not raise a States.* error: the timeout is named after the step.
    assert (execution.status, execution.error) == ("FAILED", "Prepare.Timeout")
    assert execution.entered[-4:] == ["ReportOutcome", "WriteResult", "Conclude", "PreparationFailed"]
    result = result_file("results/gan.json")
    assert result["status"] == "Failed" and result["failure_reason"].startswith("States.Timeout")
    assert workflow.requests == []
