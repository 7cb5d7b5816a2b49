"""The workflow's Prepare step: the execution input becomes the CreateTrainingJob request.

Thin on purpose: `training_events` recognises what started the execution (a console input, or an
EventBridge event: request file, image push, schedule) and names event-triggered jobs after their event;
`training_request` does the mapping and the validation. This module reads the stack's defaults and trigger
settings from the environment, reads a request file from S3 (the only AWS call, and only for request
files), adds the console links a person follows, and shapes the result for the state machine.

Event: {"input": <the execution input>, "capacity_retries": <int, optional>}. Result, one of:
- {"job_name", "wait", "request", "links", "job_name_origin", "trigger", "request_file"}: train.
  `job_name_origin` is "event" (derived from the event: the same event always gives the same name),
  "input" (the console input's `job_name`) or "generated" (SDK form, fresh on every call);
  `request_file` is {"bucket", "key", "version_id", "etag"} for a request file, else null.
- {"ignored": <reason>}: an event that must not train (a result file, a tag that does not match).
- {"invalid": [<one line per problem>], "request_file": {...}, "trigger": ...}: an invalid request
  file, so that the workflow can write the errors beside it before failing.
Invalid console input raises `InvalidTrainingInput`: Step Functions sees the error name
"InvalidTrainingInput" and the message, one line per problem, which the workflow puts in its Fail state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import quote

from training_events import (
    IgnoredEvent,
    InvalidRequestFile,
    RequestFile,
    TrainingTrigger,
    TriggerConfig,
    capacity_retry_job_name,
    recognise_event,
)
from training_request import InvalidTrainingInput, PlatformDefaults, build_training_job

# SageMaker writes every training job's logs to this group, one stream per host: "<job name>/algo-1-...".
_TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"


def handler(event: Mapping[str, object], context: object) -> dict[str, object]:
    region = os.environ["AWS_REGION"]  # always set by the Lambda runtime
    try:
        trigger = recognise_event(event["input"], TriggerConfig.from_environment(os.environ))
    except IgnoredEvent as ignored:
        return {"ignored": ignored.reason}
    attempt = event.get("capacity_retries", 0)
    if trigger.job_name is not None and isinstance(attempt, int) and attempt > 0:
        # A capacity retry needs a fresh name; for an event it is still derived from the event.
        trigger = replace(trigger, job_name=capacity_retry_job_name(trigger.job_name, attempt))
    request_file = trigger.request_file
    try:
        training_input = trigger.training_input(_read(request_file) if request_file is not None else None)
        job = build_training_job(training_input, region=region, defaults=PlatformDefaults.from_environment(os.environ))
    except (InvalidTrainingInput, InvalidRequestFile) as invalid:
        if request_file is None:
            raise
        return {"invalid": str(invalid).splitlines(), "request_file": request_file.to_mapping(), "trigger": _described(trigger)}
    return {
        "job_name": job.job_name,
        "wait": job.wait,
        "request": job.request,
        "links": console_links(job.job_name, region),
        "job_name_origin": _job_name_origin(trigger),
        "trigger": _described(trigger),
        "request_file": request_file.to_mapping() if request_file is not None else None,
    }


def _read(request_file: RequestFile) -> bytes:
    # Imported here: only request files need S3, so a console input costs no boto3 client.
    from request_files import read_request

    return read_request(request_file)


def _job_name_origin(trigger: TrainingTrigger) -> str:
    if trigger.job_name is not None:
        return "event"
    given = isinstance(trigger.execution_input, Mapping) and trigger.execution_input.get("job_name") is not None
    return "input" if given else "generated"


def _described(trigger: TrainingTrigger) -> dict[str, str]:
    return {"kind": trigger.kind.value, "source": trigger.source}


def console_links(job_name: str, region: str) -> dict[str, str]:
    """The SageMaker console page of the job and its log group in CloudWatch, filtered to its streams."""
    console = f"https://{region}.{_console_domain(region)}"
    # The CloudWatch console's fragment is URL-encoded twice, with '$' in place of '%'.
    log_group = quote(quote(_TRAINING_LOG_GROUP, safe=""), safe="").replace("%", "$")
    stream_filter = quote("?logStreamNameFilter=" + job_name, safe="").replace("%", "$")
    return {
        "console": f"{console}/sagemaker/home?region={region}#/jobs/{job_name}",
        "logs": f"{console}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{log_group}{stream_filter}",
    }


def _console_domain(region: str) -> str:
    if region.startswith("cn-"):
        return "console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return "console.amazonaws-us-gov.com"
    return "console.aws.amazon.com"
