"""The message people receive when one of the platform's training or tuning jobs completes, fails or is stopped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from platform_contract import TUNING_JOB_STATE_CHANGE, TrainingJobStatus

from .events import MalformedEvent
from .links import console_links, tuning_console_links


@dataclass(frozen=True)
class Notification:
    job_name: str
    status: str
    subject: str
    message: str
    kind: str = "training"  # or "tuning": which kind of job `job_name` names


def state_change_notification(event: Mapping[str, object]) -> Notification:
    """The notification of a training job's or a tuning job's state change event, after its detail-type."""
    if event.get("detail-type") == TUNING_JOB_STATE_CHANGE[1]:
        return tuning_state_notification(event)
    return job_state_notification(event)


def tuning_state_notification(event: Mapping[str, object]) -> Notification:
    """Format a "SageMaker HyperParameter Tuning Job State Change" event for e-mail: status, reason, the best
    training job and its objective value, the training jobs by status, and the tuning job's console page."""
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise MalformedEvent("tuning job state change has no detail")
    name = detail.get("HyperParameterTuningJobName")
    status = detail.get("HyperParameterTuningJobStatus")
    if not isinstance(name, str) or not isinstance(status, str):
        raise MalformedEvent(
            "tuning job state change lacks HyperParameterTuningJobName or HyperParameterTuningJobStatus"
        )
    lines = [f"Tuning job {name}: {status}", "", f"Status:           {status}"]
    reason = detail.get("FailureReason")
    if isinstance(reason, str) and reason:
        lines.append(f"Failure reason:   {reason}")
    lines.append(f"Best job:         {_best_job(detail.get('BestTrainingJob'))}")
    lines.append(f"Training jobs:    {_job_counts(detail.get('TrainingJobStatusCounters'))}")
    region = event.get("region")
    if isinstance(region, str):
        urls = tuning_console_links(name, region)
        lines += [f"Tuning job:       {urls['console']}", f"Logs:             {urls['logs']}"]
    # Tuning job names are at most 32 characters: the subject stays within SNS's 100.
    return Notification(name, status, f"Tuning job {name} {status.lower()}", "\n".join(lines) + "\n", kind="tuning")


def _best_job(best: object) -> str:
    if not isinstance(best, Mapping) or not isinstance(best.get("TrainingJobName"), str):
        return "none (no training job reported the objective metric)"
    objective = best.get("FinalHyperParameterTuningJobObjectiveMetric")
    if isinstance(objective, Mapping) and objective.get("Value") is not None:
        return f"{best['TrainingJobName']} ({objective.get('MetricName')} = {objective['Value']})"
    return str(best["TrainingJobName"])


def _job_counts(counters: object) -> str:
    if not isinstance(counters, Mapping):
        return "unknown"

    def count(*keys: str) -> int:
        return sum(value for key in keys if isinstance(value := counters.get(key), int))

    return (
        f"{count('Completed')} completed, {count('RetryableError', 'NonRetryableError')} failed, "
        f"{count('Stopped')} stopped, {count('InProgress')} in progress"
    )


def job_state_notification(event: Mapping[str, object]) -> Notification:
    """Format a "SageMaker Training Job State Change" event for e-mail: status, reason, duration, model, and
    the links to the job and its logs (those of the event's region; none when the event names no region)."""
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise MalformedEvent("training job state change has no detail")
    name = detail.get("TrainingJobName")
    status = detail.get("TrainingJobStatus")
    if not isinstance(name, str) or not isinstance(status, str):
        raise MalformedEvent("training job state change lacks TrainingJobName or TrainingJobStatus")
    region = event.get("region")
    artifacts = detail.get("ModelArtifacts")
    model = artifacts.get("S3ModelArtifacts") if isinstance(artifacts, Mapping) else None
    lines = [
        f"Training job {name}: {status}",
        "",
        f"Status:         {status}" + _secondary(detail.get("SecondaryStatus"), status),
    ]
    reason = detail.get("FailureReason")
    if isinstance(reason, str) and reason:
        lines.append(f"Failure reason: {reason}")
    lines.append(f"Duration:       {_duration(detail)}")
    completed = status == TrainingJobStatus.COMPLETED.value
    lines.append(f"Model artifact: {model if isinstance(model, str) and completed else 'none'}")
    if isinstance(region, str):
        urls = console_links(name, region)
        lines += [f"Job:            {urls['console']}", f"Logs:           {urls['logs']}"]
    # SNS subjects are at most 100 ASCII characters: job names are at most 63 of [a-zA-Z0-9-].
    return Notification(name, status, f"Training job {name} {status.lower()}", "\n".join(lines) + "\n")


def _secondary(secondary: object, status: str) -> str:
    return f" ({secondary})" if isinstance(secondary, str) and secondary and secondary != status else ""


def _duration(detail: Mapping[str, object]) -> str:
    start, end = _instant(detail.get("TrainingStartTime")), _instant(detail.get("TrainingEndTime"))
    if start is None or end is None:
        return "unknown (the job did not start training)" if start is None else "unknown"
    seconds = max(0, round((end - start).total_seconds()))
    text = _human(seconds)
    billable = detail.get("BillableTimeInSeconds")
    if isinstance(billable, int) and not isinstance(billable, bool):
        text += f", billable {_human(billable)}"
    return text


def _human(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _instant(value: object) -> datetime | None:
    # State change events carry epoch milliseconds; DescribeTrainingJob output (as JSON) ISO text.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return None
