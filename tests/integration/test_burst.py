"""A burst of request files on the deployed platform in the emulator: 80 uploads at once (60 distinct files,
20 of them uploaded again with changed content), as a team dropping a batch of trainings into the bucket.

Every upload starts one execution and nothing else does (writing a result starts none); every execution ends
in a recorded state, none of them after a Lambda ran out of time; every upload, re-uploads included, trains
exactly one job carrying the cost tag and gets its own result, a version of the result object naming the
request version it answers. Prints the time from the first upload to the last result.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from execution_waits import all_job_names
from request_burst import DISTINCT_FILES, REUPLOADS, Burst, run_burst
from request_files import REQUEST_PREFIX, request_job_name

from platform_contract import COST_TAG_KEY, COST_TAG_VALUE, RequestStatus, WorkflowExecutionStatus

SUCCEEDED, FAILED = WorkflowExecutionStatus.SUCCEEDED.value, WorkflowExecutionStatus.FAILED.value


@dataclass(frozen=True)
class BurstSeen:
    burst: Burst
    bucket: str
    new_jobs: set[str]  # jobs created while the burst ran
    timing: str  # what the run's summary says of it


@pytest.fixture(scope="module")
def seen(emulator: Any, platform: Any) -> BurstSeen:
    jobs_before = set(all_job_names(emulator))
    burst = run_burst(emulator.endpoint, emulator.region, platform.outputs, platform.state_machine_arn)
    seconds = burst.seconds_to_last_result
    timing = (
        f"burst of {len(burst.uploads)} uploads ({DISTINCT_FILES} files, {REUPLOADS} re-uploads): "
        + (
            f"first upload to last result {seconds:.1f} s"
            if seconds is not None
            else f"{len(burst.result_seconds)} uploads answered"
        )
        + f"; all executions ended after {burst.seconds_to_settle:.1f} s: "
        + f"{dict(Counter(burst.executions.statuses.values()))}"
    )
    new_jobs = set(all_job_names(emulator)) - jobs_before
    return BurstSeen(burst, platform.outputs["DataBucketName"], new_jobs, timing)


def test_every_upload_starts_one_execution_and_writing_results_starts_none(
    seen: BurstSeen, record_property: Any
) -> None:
    record_property("summary", seen.timing)  # printed at the end of the run
    started_by = Counter(seen.burst.execution_keys().values())

    assert not [key for key, _ in started_by if not key.startswith(REQUEST_PREFIX)], started_by
    assert started_by == Counter((upload.key, upload.version_id) for upload in seen.burst.uploads)


def test_every_execution_ends_succeeded_or_failed_with_a_named_error(emulator: Any, seen: BurstSeen) -> None:
    burst, sfn = seen.burst, emulator.client("stepfunctions")
    assert burst.stalled is None, f"{burst.stalled}; still running: {burst.executions.running()}"

    failed = {
        arn: (described.get("error"), (described.get("cause") or "")[:200])
        for arn, status in burst.executions.statuses.items()
        if status == FAILED
        for described in [sfn.describe_execution(executionArn=arn)]
    }
    assert set(burst.executions.statuses.values()) <= {SUCCEEDED, FAILED}, Counter(burst.executions.statuses.values())
    assert all(error for error, _ in failed.values()), failed
    # Valid requests and jobs that complete: nothing may fail.
    assert failed == {}


def test_no_lambda_of_the_burst_ran_out_of_time(emulator: Any, seen: BurstSeen) -> None:
    sfn = emulator.client("stepfunctions")
    timed_out = []
    for arn in seen.burst.executions.statuses:
        pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
        events = [event for page in pages for event in page["events"]]
        if any("Task timed out" in str(event) for event in events):
            timed_out.append(arn.rsplit(":", 1)[-1])

    assert timed_out == [], f"{len(timed_out)} executions had a Lambda time out"


def test_every_upload_trains_exactly_one_job_carrying_the_cost_tag(emulator: Any, seen: BurstSeen) -> None:
    expected = {request_job_name(seen.bucket, upload.key, upload.version_id) for upload in seen.burst.uploads}
    burst_jobs = {name for name in seen.new_jobs if name.startswith(f"burst-{seen.burst.run}-")}

    assert len(expected) == len(seen.burst.uploads)
    assert sorted(burst_jobs) == sorted(expected)  # none missing, none twice, none under another name
    sagemaker = emulator.client("sagemaker")
    for name in sorted(burst_jobs):
        arn = sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobArn"]
        assert {"Key": COST_TAG_KEY, "Value": COST_TAG_VALUE} in sagemaker.list_tags(ResourceArn=arn)["Tags"], name


def test_every_upload_and_every_re_upload_gets_its_own_result(seen: BurstSeen) -> None:
    burst = seen.burst
    assert burst.unanswered() == []
    for upload in burst.uploads:
        (result,) = burst.results.answering(upload.key, upload.version_id)
        assert result["status"] == RequestStatus.COMPLETED.value, result
        assert result["request"] == f"s3://{seen.bucket}/{upload.key}"
        assert result["job_name"] == request_job_name(seen.bucket, upload.key, upload.version_id)
    assert burst.seconds_to_last_result is not None
