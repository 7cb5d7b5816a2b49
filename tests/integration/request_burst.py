"""A burst of request files uploaded at once into the deployed platform, followed until every execution it
started has ended: the burst test (test_burst.py) asserts on what became of each upload, the burst benchmark
(bench/bench_burst.py) times it.

The burst: DISTINCT_FILES request files under `requests/burst-<run>/`, and REUPLOADS of the first of them
uploaded again with changed content, all put at once from threads. Each job runs JOB_SECONDS in the emulator.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from execution_waits import ExecutionsOf, wait_while_progressing
from request_files import RESULT_PREFIX, ResultVersions, put_request, request_key

from emulator import DUMMY_CREDENTIALS

DISTINCT_FILES = 60
REUPLOADS = 20
JOB_SECONDS = 1
# The burst has settled when every execution it started has ended. Waiting fails only when nothing has
# moved (no execution started or ended, no result written) for STALL_SECONDS: a Lambda that runs out of
# time takes 30 s, and a loaded 2-core machine may take minutes for the whole burst.
STALL_SECONDS = 180.0
LIMIT_SECONDS = 900.0
_UPLOAD_THREADS = 20


@dataclass(frozen=True)
class Upload:
    key: str
    version_id: str


@dataclass(frozen=True)
class Burst:
    """What became of a burst: its uploads, the executions of its keys, the results written under them."""

    run: str
    uploads: list[Upload]
    executions: ExecutionsOf
    results: ResultVersions
    # Seconds from the start of the first upload to the poll that first saw each upload's result.
    result_seconds: dict[Upload, float]
    # Seconds from the start of the first upload until every execution had ended, or waiting stopped.
    seconds_to_settle: float
    # Why waiting stopped before every execution ended (None: it settled).
    stalled: str | None

    @property
    def seconds_to_last_result(self) -> float | None:
        """From the first upload to the last result, once every upload has one."""
        return max(self.result_seconds.values()) if len(self.result_seconds) == len(self.uploads) else None

    def results_per_second(self) -> float:
        """Uploads answered per second, from the first upload to the last result written."""
        return len(self.result_seconds) / max(self.result_seconds.values()) if self.result_seconds else 0.0

    def execution_keys(self) -> dict[str, tuple[str, str | None]]:
        """Execution ARN -> (key, version id) of the S3 event that started it."""
        return {arn: _object_of(self.executions.input_of(arn)) or ("?", None) for arn in self.executions.statuses}

    def unanswered(self) -> list[Upload]:
        return [upload for upload in self.uploads if not self.results.answering(upload.key, upload.version_id)]


def burst_request(bucket: str, run: str, index: int, upload: int) -> dict[str, Any]:
    return {
        "instance_type": "ml.m5.large",
        "instance_count": 1,
        "inputs": {"train": f"s3://{bucket}/gan/train/"},
        "hyperparameters": {"run": run, "file": index, "upload": upload, "emulator_seconds": JOB_SECONDS},
    }


def run_burst(endpoint: str, region: str, outputs: Mapping[str, str], state_machine_arn: str) -> Burst:
    """Upload the burst into the deployed platform at `endpoint` and follow it until it settles (or stalls)."""
    s3, sfn = (emulator_client(service, endpoint, region) for service in ("s3", "stepfunctions"))
    bucket, run = outputs["DataBucketName"], uuid.uuid4().hex[:8]
    folder = f"burst-{run}/"
    executions = ExecutionsOf(
        sfn,
        state_machine_arn,
        lambda execution_input: folder in (_object_of(execution_input) or ("", None))[0],
        since=datetime.now(UTC) - timedelta(seconds=5),
    )
    results = ResultVersions(s3, bucket, f"{RESULT_PREFIX}{folder}")
    files = [(f"{folder}file-{index:02d}", index, 1) for index in range(DISTINCT_FILES)]
    files += [(name, index, 2) for name, index, _ in files[:REUPLOADS]]

    def upload(file: tuple[str, int, int]) -> Upload:
        name, index, number = file
        put = put_request(s3, bucket, name, burst_request(bucket, run, index, number))
        return Upload(request_key(name), put["VersionId"])

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=_UPLOAD_THREADS) as pool:
        uploads = list(pool.map(upload, files))
    result_seconds: dict[Upload, float] = {}

    def settled() -> bool:
        statuses = executions.refresh()
        results.refresh()
        seen_at = time.monotonic() - started
        for answered in (u for u in uploads if u not in result_seconds and results.answering(u.key, u.version_id)):
            result_seconds[answered] = seen_at
        return len(statuses) >= len(uploads) and not executions.running()

    def progress() -> tuple[int, int, int]:
        return len(executions.statuses), executions.ended(), len(results.documents)

    stalled = None
    try:
        wait_while_progressing(
            settled, progress, stall_seconds=STALL_SECONDS, limit_seconds=LIMIT_SECONDS, interval=0.5
        )
    except AssertionError as stall:
        stalled = str(stall)
    seconds_to_settle = time.monotonic() - started
    results.refresh()  # every result is written before its execution ends
    return Burst(run, uploads, executions, results, result_seconds, seconds_to_settle, stalled)


def _object_of(execution_input: Any) -> tuple[str, str | None] | None:
    """(key, version id) of an S3 "Object Created" event; None for any other input."""
    if not isinstance(execution_input, dict) or execution_input.get("source") != "aws.s3":
        return None
    s3_object = execution_input.get("detail", {}).get("object", {})
    return str(s3_object.get("key")), s3_object.get("version-id")


def emulator_client(service: str, endpoint: str, region: str) -> Any:
    """A client of the emulator at `endpoint`: one connection per upload thread, a few retries."""
    config = Config(max_pool_connections=_UPLOAD_THREADS + 4, retries={"max_attempts": 3})
    return boto3.client(service, endpoint_url=endpoint, region_name=region, config=config, **DUMMY_CREDENTIALS)
