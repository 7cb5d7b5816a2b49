"""The workflow's Prepare step: the execution input becomes the CreateTrainingJob request.

Thin on purpose: `training_request` does the mapping and the validation; this module only reads the
stack's defaults from the environment, adds the console links a person follows, and shapes the result
for the state machine. It makes no AWS call (the state machine creates the job), so a bad input fails
here in milliseconds, before anything exists.

Event: {"input": <the execution input>}. Result: {"job_name", "wait", "request", "links"}.
Invalid input raises `InvalidTrainingInput`: Step Functions sees the error name "InvalidTrainingInput"
and the message, one line per problem, which the workflow puts in its Fail state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import quote

from training_request import PlatformDefaults, build_training_job

# SageMaker writes every training job's logs to this group, one stream per host: "<job name>/algo-1-...".
_TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"


def handler(event: Mapping[str, object], context: object) -> dict[str, object]:
    region = os.environ["AWS_REGION"]  # always set by the Lambda runtime
    job = build_training_job(
        event["input"], region=region, defaults=PlatformDefaults.from_environment(os.environ)
    )
    return {
        "job_name": job.job_name,
        "wait": job.wait,
        "request": job.request,
        "links": console_links(job.job_name, region),
    }


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
