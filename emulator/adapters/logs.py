"""CloudWatch Logs: FilterLogEvents filters and pages as AWS does, log groups are found by name or ARN,
and metric filters turn matching log events into CloudWatch metric data."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from emulator.adapters.logs_filter_patterns import InvalidPattern, Matcher, UnsupportedPattern, compile_pattern

MAX_FILTER_PAGE = 10000  # events FilterLogEvents returns at most (and by default)


def find_log_groups_by_name_or_arn() -> None:
    """`logGroupIdentifier` (GetLogEvents, FilterLogEvents...) finds the group it names, by name or ARN.

    moto's lookup by identifier compares ARNs in a loop whose variable outlives it: any identifier
    found the last group created.
    """
    from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
    from moto.logs.models import LogsBackend

    def _find_log_group(self: LogsBackend, log_group_id: str | None = None, log_group_name: str | None = None) -> Any:
        if log_group_name and log_group_id:
            raise InvalidParameterException("Should provide either name or id, but not both")
        wanted = log_group_name or str(log_group_id or "").removesuffix(":*")
        if not wanted:
            raise InvalidParameterException("Either logGroupName or logGroupIdentifier is required")
        group = self.groups.get(wanted) or next((g for g in self.groups.values() if g.arn == wanted), None)
        if group is None:
            raise ResourceNotFoundException("The specified log group does not exist.")
        return group

    LogsBackend._find_log_group = _find_log_group


def filter_log_events_as_aws_does() -> None:
    """FilterLogEvents honours logStreamNamePrefix, filter patterns, and pages across streams.

    moto ignores logStreamNamePrefix (`aws logs filter-log-events --log-stream-name-prefix` read every
    stream), evaluates only some filter patterns (JSON patterns, ?-terms and --terms matched
    everything), and orders events stream by stream. Here: logStreamNames or logStreamNamePrefix
    (not both), startTime and endTime (inclusive), filterPattern (emulator/adapters/logs_filter_patterns.py;
    a space-delimited pattern is refused, not taken for "everything"), events of all streams in time
    order, `limit` (10,000 at most) and nextToken; searchedLogStreams is empty, as AWS now returns it.
    """
    from moto.logs.responses import LogsResponse

    def filter_log_events(self: LogsResponse) -> str:
        log_group = self.logs_backend._find_log_group(
            log_group_id=self._get_param("logGroupIdentifier"), log_group_name=self._get_param("logGroupName")
        )
        return json.dumps(filtered_events(log_group.streams.values(), self._get_param))

    LogsResponse.filter_log_events = filter_log_events


def filtered_events(streams: Iterable[Any], parameter: Callable[..., Any]) -> dict[str, Any]:
    """FilterLogEvents' answer over a group's streams, for the request's parameters."""
    from moto.logs.exceptions import InvalidParameterException

    names, prefix = parameter("logStreamNames"), parameter("logStreamNamePrefix")
    if names and prefix:
        raise InvalidParameterException("logStreamNames and logStreamNamePrefix are mutually exclusive")
    limit = parameter("limit") or MAX_FILTER_PAGE
    if not 1 <= limit <= MAX_FILTER_PAGE:
        raise InvalidParameterException(
            constraint=f"Member must have value less than or equal to {MAX_FILTER_PAGE}", parameter="limit", value=limit
        )
    matches = _matcher(parameter("filterPattern"))
    start, end = parameter("startTime"), parameter("endTime")
    selected = [
        s for s in streams if (not names or s.log_stream_name in names) and s.log_stream_name.startswith(prefix or "")
    ]
    events = sorted(
        (
            (event.timestamp, event.event_id, stream.log_stream_name, event)
            for stream in selected
            for event in list(stream.events)
            if (start is None or event.timestamp >= start) and (end is None or event.timestamp <= end)
        ),
        key=lambda found: found[:2],
    )
    token = parameter("nextToken")
    if token:
        after = _token_position(token)
        events = [found for found in events if found[:2] > after]
    page: list[dict[str, Any]] = []
    remaining = iter(events)
    for timestamp, event_id, stream_name, event in remaining:
        if not matches(event.message):
            continue
        if len(page) == limit:
            return {"events": page, "searchedLogStreams": [], "nextToken": _token(page[-1])}
        page.append(
            {
                "logStreamName": stream_name,
                "timestamp": timestamp,
                "message": event.message,
                "ingestionTime": event.ingestion_time,
                "eventId": str(event_id),
            }
        )
    return {"events": page, "searchedLogStreams": []}


def _matcher(pattern: str | None) -> Matcher:
    from moto.logs.exceptions import InvalidParameterException

    try:
        return compile_pattern(pattern)
    except InvalidPattern as invalid:
        raise InvalidParameterException(f"Invalid filter pattern: {invalid}") from None
    except UnsupportedPattern as unsupported:
        raise InvalidParameterException(f"The emulator cannot apply this filter pattern: {unsupported}") from None


def _token(last_event: dict[str, Any]) -> str:
    position = json.dumps([last_event["timestamp"], int(last_event["eventId"])])
    return base64.urlsafe_b64encode(position.encode()).decode()


def _token_position(token: str) -> tuple[int, int]:
    from moto.logs.exceptions import InvalidParameterException

    try:
        timestamp, event_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(timestamp), int(event_id)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidParameterException("The specified nextToken is invalid.") from None


def turn_log_events_into_metrics_with_metric_filters() -> None:
    """A log group's metric filters turn its log events into CloudWatch metric data.

    moto stores metric filters (PutMetricFilter, DescribeMetricFilters) but never applies them: the
    platform's failed-jobs metric, counted from the Notify function's log lines, stayed empty. Here
    each event put in the group is matched against each filter's pattern: a match puts the
    transformation's value (a number, or `$.field` of a JSON event) with its dimensions, timestamped as
    the event; an event that does not match puts the default value, when the filter has one.
    """
    from moto.logs.models import LogsBackend

    original_put = LogsBackend.put_log_events
    patterns = _PatternCache()

    def put_log_events(self: LogsBackend, log_group_name: str, log_stream_name: str, log_events: list[Any]) -> Any:
        answer = original_put(self, log_group_name, log_stream_name, log_events)
        for metric_filter in self.filters.get_matching_filters(log_group_name=log_group_name):
            matches = patterns.matcher(metric_filter["filterPattern"])
            if matches is not None:
                _put_filter_metrics(self.account_id, self.region_name, metric_filter, matches, log_events)
        return answer

    LogsBackend.put_log_events = put_log_events


class _PatternCache:
    """Compiled filter patterns; a pattern the emulator cannot apply is said once in its log."""

    def __init__(self) -> None:
        self._compiled: dict[str, Matcher | None] = {}

    def matcher(self, pattern: str) -> Matcher | None:
        if pattern not in self._compiled:
            try:
                self._compiled[pattern] = compile_pattern(pattern)
            except (InvalidPattern, UnsupportedPattern) as problem:
                print(f"emulator: metric filter pattern {pattern!r} not applied: {problem}", flush=True)
                self._compiled[pattern] = None
        return self._compiled[pattern]


def _put_filter_metrics(
    account_id: str, region: str, metric_filter: dict[str, Any], matches: Matcher, log_events: list[Any]
) -> None:
    from moto.cloudwatch.models import cloudwatch_backends

    cloudwatch = cloudwatch_backends[account_id][region]
    for event in log_events:
        matched = matches(event["message"])
        for transformation in metric_filter["metricTransformations"]:
            datum = _metric_datum(transformation, event, matched)
            if datum is not None:
                cloudwatch.put_metric_data(transformation["metricNamespace"], [datum])


def _metric_datum(transformation: dict[str, Any], event: dict[str, Any], matched: bool) -> dict[str, Any] | None:
    """What one log event puts for one metric transformation, if anything."""
    if matched:
        value = _event_value(str(transformation.get("metricValue", "1")), event["message"])
        dimensions = {
            name: _event_value(field, event["message"])
            for name, field in (transformation.get("dimensions") or {}).items()
        }
    else:
        value, dimensions = transformation.get("defaultValue"), {}
    number = _number(value)
    if number is None or any(v is None for v in dimensions.values()):
        return None
    datum: dict[str, Any] = {
        "MetricName": transformation["metricName"],
        "Value": number,
        # naive UTC, as moto stores the data it timestamps itself
        "Timestamp": datetime.fromtimestamp(event["timestamp"] / 1000, UTC).replace(tzinfo=None),
        "Dimensions": [{"Name": name, "Value": str(v)} for name, v in dimensions.items()],
    }
    if transformation.get("unit"):
        datum["Unit"] = transformation["unit"]
    return datum


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None  # a value that is not a number puts nothing, as on AWS


def _event_value(expression: str, message: str) -> Any:
    """A metric value or dimension: a literal, or `$.field` of the JSON event (None if absent)."""
    if not expression.startswith("$."):
        return expression
    try:
        found: Any = json.loads(message)
    except ValueError:
        return None
    for step in expression[2:].split("."):
        found = found.get(step) if isinstance(found, dict) else None
    return found
