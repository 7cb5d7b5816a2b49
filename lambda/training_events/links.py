"""The console pages a person follows for a training job: the job in SageMaker, its logs in CloudWatch.

Prepare's result (and so the execution output and result files) and the notification of a finished job
carry the same links.
"""

from __future__ import annotations

from urllib.parse import quote

from platform_contract import TRAINING_JOB_LOG_GROUP


def console_links(job_name: str, region: str) -> dict[str, str]:
    """The SageMaker console page of the job and its log group in CloudWatch, filtered to its streams."""
    console = f"https://{region}.{_console_domain(region)}"
    # The CloudWatch console's fragment is URL-encoded twice, with '$' in place of '%'.
    log_group = quote(quote(TRAINING_JOB_LOG_GROUP, safe=""), safe="").replace("%", "$")
    stream_filter = quote("?logStreamNameFilter=" + job_name, safe="").replace("%", "$")
    return {
        "console": f"{console}/sagemaker/home?region={region}#/jobs/{job_name}",
        "logs": f"{console}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{log_group}{stream_filter}",
    }


def tuning_console_links(tuning_job_name: str, region: str) -> dict[str, str]:
    """The SageMaker console page of a tuning job, and the log group filtered to its training jobs' streams
    (SageMaker names them `<tuning job name>-<number>-<hash>`)."""
    links = console_links(tuning_job_name, region)
    console = f"https://{region}.{_console_domain(region)}"
    links["console"] = f"{console}/sagemaker/home?region={region}#/hyper-tuning-jobs/{tuning_job_name}"
    return links


def _console_domain(region: str) -> str:
    if region.startswith("cn-"):
        return "console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return "console.amazonaws-us-gov.com"
    return "console.aws.amazon.com"
