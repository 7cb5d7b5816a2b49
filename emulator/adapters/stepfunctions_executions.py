"""What Step Functions answers about an execution, as AWS answers it: DescribeExecution's fields, pages
of GetExecutionHistory, StopExecution's abort, and the AWS/States metrics an execution publishes.

Imported by the Step Functions adapters when they are installed (it imports moto)."""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from typing import Any

from moto.stepfunctions.exceptions import InvalidToken, ValidationException
from moto.stepfunctions.parser.api import ExecutionAbortedEventDetails, ExecutionStatus, HistoryEventType
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

DEFAULT_HISTORY_PAGE = 100
MAX_HISTORY_PAGE = 1000
_EXECUTION_DATA = ("input", "inputDetails", "output", "outputDetails")  # what includeExecutionData=false omits
_REDRIVABLE = {ExecutionStatus.FAILED, ExecutionStatus.ABORTED, ExecutionStatus.TIMED_OUT}
METRICS_NAMESPACE = "AWS/States"
_END_METRICS = {
    ExecutionStatus.SUCCEEDED: "ExecutionsSucceeded",
    ExecutionStatus.FAILED: "ExecutionsFailed",
    ExecutionStatus.ABORTED: "ExecutionsAborted",
    ExecutionStatus.TIMED_OUT: "ExecutionsTimedOut",
}


def describe(execution: Any) -> dict[str, Any]:
    """DescribeExecution's answer for a standard execution, with the fields AWS always returns."""
    status = ExecutionStatus(execution.status)
    description: dict[str, Any] = {
        "executionArn": execution.execution_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": status.value,
        "startDate": execution.start_date,
        "input": execution.execution_input,
        "inputDetails": {"included": True},
        "redriveCount": 0,
    }
    if status is not ExecutionStatus.RUNNING:
        description["stopDate"] = execution.stop_date
    if status is ExecutionStatus.SUCCEEDED:
        output = execution.output
        description["output"] = output if isinstance(output, str) else to_json_str(output, separators=(",", ":"))
        description["outputDetails"] = {"included": True}
    for field in ("error", "cause"):
        if getattr(execution, field, None) is not None:
            description[field] = getattr(execution, field)
    if execution.trace_header:
        description["traceHeader"] = execution.trace_header
    if status in _REDRIVABLE:
        description["redriveStatus"] = "REDRIVABLE"
    else:
        description["redriveStatus"] = "NOT_REDRIVABLE"
        description["redriveStatusReason"] = f"Execution is {status.value} and cannot be redriven"
    return description


def history_page(
    events: list[dict[str, Any]],
    execution_arn: str,
    *,
    reverse: bool,
    max_results: int,
    next_token: str | None,
    include_data: bool,
) -> dict[str, Any]:
    """One page of GetExecutionHistory: oldest first (newest first with reverseOrder), at most
    maxResults events (100 when 0), and a nextToken naming the first event of the next page."""
    if not 0 <= max_results <= MAX_HISTORY_PAGE:
        raise ValidationException(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_HISTORY_PAGE}"
        )
    ordered = sorted(events, key=lambda event: int(event["id"]), reverse=reverse)
    if next_token:
        first = _token_position(next_token, execution_arn, reverse)
        ordered = [e for e in ordered if (int(e["id"]) <= first if reverse else int(e["id"]) >= first)]
    size = max_results or DEFAULT_HISTORY_PAGE
    page, rest = ordered[:size], ordered[size:]
    result: dict[str, Any] = {"events": [event if include_data else _without_data(event) for event in page]}
    if rest:
        result["nextToken"] = _token(execution_arn, reverse, int(rest[0]["id"]))
    return result


def _token(execution_arn: str, reverse: bool, first_event_id: int) -> str:
    document = json.dumps({"executionArn": execution_arn, "reverseOrder": reverse, "from": first_event_id})
    return base64.urlsafe_b64encode(document.encode()).decode()


def _token_position(token: str, execution_arn: str, reverse: bool) -> int:
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        valid = document["executionArn"] == execution_arn and document["reverseOrder"] == reverse
        position = int(document["from"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidToken("the token does not belong to this request")
    return position


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {k: v for k, v in value.items() if k not in _EXECUTION_DATA} if key.endswith("EventDetails") else value
        for key, value in event.items()
    }


def abort(execution: Any, error: str | None, cause: str | None) -> datetime.datetime:
    """Stop a running execution as StopExecution does on AWS: ABORTED at once, with the error and the
    cause given, and ExecutionAborted as its history's last event (the interpreter notices the stop
    between states, or when its current task returns, and writes nothing after it)."""
    stop_date = datetime.datetime.now(tz=datetime.UTC)
    details = {name: value for name, value in (("error", error), ("cause", cause)) if value is not None}
    environment = execution.exec_worker.env
    environment.event_manager.add_event(
        context=EventHistoryContext(previous_event_id=0),
        event_type=HistoryEventType.ExecutionAborted,
        event_details=EventDetails(executionAbortedEventDetails=ExecutionAbortedEventDetails(**details)),
        timestamp=stop_date,
        update_source_event_id=False,
    )
    environment.event_manager.closed_by_stop = True
    execution.exec_status = ExecutionStatus.ABORTED
    execution.stop_date = stop_date
    execution.error, execution.cause = error, cause
    execution.exec_worker.stop(stop_date=stop_date, error=error, cause=cause)
    return stop_date


def publish_metric(execution: Any, metric_name: str, value: float = 1.0, unit: str = "Count") -> None:
    """One AWS/States datum for the execution's state machine, as Step Functions publishes it."""
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[execution.account_id][execution.region_name]
    backend.put_metric_data(
        METRICS_NAMESPACE,
        [
            {
                "MetricName": metric_name,
                "Value": value,
                "Unit": unit,  # no Timestamp: now, as moto stores it (naive UTC)
                "Dimensions": [{"Name": "StateMachineArn", "Value": execution.state_machine_arn}],
            }
        ],
    )


def publish_end_metrics(execution: Any) -> None:
    """The metrics of an execution that ended: its end (ExecutionsFailed, ...) and ExecutionTime."""
    metric = _END_METRICS.get(ExecutionStatus(execution.status))
    if metric is None:
        return
    publish_metric(execution, metric)
    if execution.stop_date is not None:
        elapsed = (execution.stop_date - execution.start_date).total_seconds() * 1000
        publish_metric(execution, "ExecutionTime", elapsed, "Milliseconds")
