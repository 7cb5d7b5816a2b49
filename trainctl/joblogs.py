"""A training job's CloudWatch logs, read incrementally from every instance's stream.

SageMaker writes one stream per instance, `<job-name>/algo-<n>-<epoch>`, in the log group
platform_contract.TRAINING_JOB_LOG_GROUP; streams appear when their instance starts. Each `poll()`
returns the lines written since the previous one, so a caller polling while the job runs shows them
as they are written (the SDK's `fit(logs=...)` showed them at the end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from platform_contract import TRAINING_JOB_LOG_GROUP

# `algo-1-1700000000` -> `algo-1`: the trailing epoch only tells restarts apart.
_STREAM_EPOCH = re.compile(r"-\d{9,}$")


@dataclass(frozen=True)
class LogLine:
    instance: str  # "algo-1", "algo-2", ...
    timestamp: int  # milliseconds since the epoch, as CloudWatch stores it
    message: str

    def __str__(self) -> str:
        return f"[{self.instance}] {self.message}"


def instance_of(stream_name: str) -> str:
    """The instance a stream belongs to: `job/algo-2-1700000000` -> `algo-2`."""
    tail = stream_name.split("/", 1)[-1]
    return _STREAM_EPOCH.sub("", tail)


class JobLogReader:
    """Reads the new lines of all of one job's streams on each `poll()`."""

    def __init__(self, logs_client: Any, job_name: str, *, page_limit: int | None = None) -> None:
        self._logs = logs_client
        self._job_name = job_name
        self._page_limit = page_limit
        self._forward_tokens: dict[str, str | None] = {}

    def poll(self) -> list[LogLine]:
        """Every line written since the last poll, all instances merged in time order."""
        for stream in self._stream_names():
            self._forward_tokens.setdefault(stream, None)
        lines: list[LogLine] = []
        for stream in sorted(self._forward_tokens):
            lines.extend(self._read_new(stream))
        lines.sort(key=lambda line: line.timestamp)  # stable: each stream keeps its own order
        return lines

    def _stream_names(self) -> list[str]:
        names: list[str] = []
        request: dict[str, Any] = {"logGroupName": TRAINING_JOB_LOG_GROUP, "logStreamNamePrefix": f"{self._job_name}/"}
        while True:
            try:
                page = self._logs.describe_log_streams(**request)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    return names  # no job has logged in this account and region yet
                raise
            names.extend(stream["logStreamName"] for stream in page.get("logStreams", []))
            token = page.get("nextToken")
            if not token or token == request.get("nextToken"):
                return names
            request["nextToken"] = token

    def _read_new(self, stream: str) -> list[LogLine]:
        instance = instance_of(stream)
        lines: list[LogLine] = []
        token = self._forward_tokens[stream]
        while True:
            request: dict[str, Any] = {
                "logGroupName": TRAINING_JOB_LOG_GROUP,
                "logStreamName": stream,
                "startFromHead": True,
            }
            if token is not None:
                request["nextToken"] = token
            if self._page_limit is not None:
                request["limit"] = self._page_limit
            page = self._logs.get_log_events(**request)
            events = page.get("events", [])
            lines.extend(LogLine(instance, event["timestamp"], event["message"].rstrip("\n")) for event in events)
            next_token = page.get("nextForwardToken")
            # At the end of a stream CloudWatch returns the token it was given (or an empty page).
            if next_token is None or next_token == token:
                break
            token = next_token
            if not events:
                break
        self._forward_tokens[stream] = token
        return lines
