"""The workflow's Prepare step: the execution input becomes the CreateTrainingJob request (or, for a request with
a `tuner`, the CreateHyperParameterTuningJob request).

Thin on purpose: `training_events` recognises what started the execution (a console input, or an
EventBridge event: request file, image push, schedule) and names event-triggered jobs after their event;
`training_request` does the mapping and the validation. This module reads the stack's defaults and trigger
settings from the environment, reads a request file from S3 (the only AWS call, and only for request
files), and shapes the result for the state machine.

Event: {"input": <the execution input>, "capacity_retries": <int, optional>}. Result, one of:
- {"request_kind": "training", "job_name", "wait", "request", "links", "job_name_origin", "trigger",
  "request_file"}: train. `job_name_origin` is "event" (derived from the event: the same event always gives
  the same name), "input" (the console input's `job_name`) or "generated" (SDK form, fresh on every call);
  `request_file` is {"bucket", "key", "version_id", "etag"} for a request file, else null.
- {"request_kind": "tuning", "tuning_job_name", "wait", "request", "links", "job_name_origin", "trigger",
  "request_file"}: a request with a `tuner`; `request` is the CreateHyperParameterTuningJob request.
- {"ignored": <reason>}: an event that must not train (a key under the result prefix, a tag that does not match).
- {"invalid": [<one line per problem>], "request_file": {...}, "trigger": ...}: an invalid request
  file, so that the workflow can write the errors beside it before failing.
Invalid console input raises `InvalidTrainingInput`: Step Functions sees the error name
"InvalidTrainingInput" and the message, one line per problem, which the workflow puts in its Fail state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from platform_contract import JOB_NAME_FIELD, REQUEST_KIND_FIELD, TUNING_JOB_NAME_FIELD, RequestKind
from training_events import (
    IgnoredEvent,
    InvalidRequestFile,
    RequestFile,
    TriggerConfig,
    console_links,
    recognise_event,
    tuning_console_links,
)
from training_request import InvalidTrainingInput, PlatformDefaults, TuningJob, build_job


def handler(event: Mapping[str, object], context: object) -> dict[str, object]:
    region = os.environ["AWS_REGION"]  # always set by the Lambda runtime
    try:
        trigger = recognise_event(event["input"], TriggerConfig.from_environment(os.environ))
    except IgnoredEvent as ignored:
        return {"ignored": ignored.reason}
    attempt = event.get("capacity_retries", 0)
    if isinstance(attempt, int):
        trigger = trigger.for_capacity_retry(attempt)
    request_file = trigger.request_file
    try:
        training_input = trigger.training_input(_read(request_file) if request_file is not None else None)
        job = build_job(training_input, region=region, defaults=PlatformDefaults.from_environment(os.environ))
    except (InvalidTrainingInput, InvalidRequestFile) as invalid:
        if request_file is None:
            raise
        return {
            "invalid": str(invalid).splitlines(),
            "request_file": request_file.to_mapping(),
            "trigger": trigger.to_mapping(),
        }
    tuning = isinstance(job, TuningJob)
    return {
        REQUEST_KIND_FIELD: (RequestKind.TUNING if tuning else RequestKind.TRAINING).value,
        TUNING_JOB_NAME_FIELD if tuning else JOB_NAME_FIELD: job.job_name,
        "wait": job.wait,
        "request": job.request,
        "links": (tuning_console_links if tuning else console_links)(job.job_name, region),
        "job_name_origin": trigger.job_name_origin.value,
        "trigger": trigger.to_mapping(),
        "request_file": request_file.to_mapping() if request_file is not None else None,
    }


def _read(request_file: RequestFile) -> bytes:
    # Imported here: only request files need S3, so a console input costs no boto3 import or client.
    from request_file_store import read_request

    return read_request(request_file)
