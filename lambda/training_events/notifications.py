"""The message people receive when one of the platform's training jobs completes, fails or is stopped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from platform_contract import TrainingJobStatus

from .events import MalformedEvent
from .links import console_links


@dataclass(frozen=True)
class Notification:
    job_name: str
    status: str
    subject: str
    message: str


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
