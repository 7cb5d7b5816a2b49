"""CloudWatch: metric alarms are evaluated over the metric data, and their state changes notify their
SNS actions."""

from __future__ import annotations

import json
import math
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator import call_log
from emulator.call_recording_kms import sns_kms_calls

EVALUATION_SECONDS_VARIABLE = "EMULATOR_ALARM_EVALUATION_SECONDS"
DEFAULT_EVALUATION_SECONDS = 10.0
_COMPARISONS = {
    "GreaterThanOrEqualToThreshold": (lambda value, threshold: value >= threshold, "greater than or equal to"),
    "GreaterThanThreshold": (lambda value, threshold: value > threshold, "greater than"),
    "LessThanThreshold": (lambda value, threshold: value < threshold, "less than"),
    "LessThanOrEqualToThreshold": (lambda value, threshold: value <= threshold, "less than or equal to"),
}
_REGION_NAMES = {  # as alarm notifications name regions
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-north-1": "EU (Stockholm)",
    "eu-south-1": "EU (Milan)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
}
_TIME = "%Y-%m-%dT%H:%M:%S.%f"


def evaluate_alarms_and_notify_their_actions() -> None:
    """Metric alarms change state as CloudWatch evaluates them, and tell their SNS actions.

    moto stores alarms (initially OK, where CloudWatch starts at INSUFFICIENT_DATA) and never
    evaluates them: the platform's failed-execution and failed-job alarms never notified. Here an
    evaluator runs every EMULATOR_ALARM_EVALUATION_SECONDS (default 10) and whenever metric data
    arrives. For each alarm on one metric (namespace, name, exactly its dimensions, its unit if set):
    the last EvaluationPeriods periods, each the Period seconds before the one after it (a window
    sliding with the clock, ending now), get the alarm's statistic (Sum, Average, Minimum, Maximum,
    SampleCount, or a pNN percentile); a period without data is missing, treated as TreatMissingData
    says (missing, ignore, breaching, notBreaching); DatapointsToAlarm breaching periods (default: all)
    mean ALARM, else OK, and INSUFFICIENT_DATA when nothing was received and missing data is
    "missing". A state change (also by SetAlarmState) publishes, when the alarm's actions are
    enabled, CloudWatch's JSON notification to each SNS topic among the actions of the new state.
    An update of an alarm keeps its state, as on AWS. Alarms on metric math and composite alarms
    keep the state they have.
    """
    from moto.cloudwatch.models import Alarm, CloudWatchBackend, cloudwatch_backends

    evaluator = _AlarmEvaluator(cloudwatch_backends, _evaluation_seconds())
    original_init = Alarm.__init__
    original_put_alarm = CloudWatchBackend.put_metric_alarm
    original_put_data = CloudWatchBackend.put_metric_data
    original_set_state = CloudWatchBackend.set_alarm_state

    def __init__(self: Alarm, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.state_value = "INSUFFICIENT_DATA"

    def put_metric_alarm(self: CloudWatchBackend, name: str, *args: Any, **kwargs: Any) -> Any:
        previous = self.alarms.get(name)
        alarm = original_put_alarm(self, name, *args, **kwargs)
        if previous is not None:
            for kept in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp", "history"):
                setattr(alarm, kept, getattr(previous, kept))
        evaluator.wake()
        return alarm

    def put_metric_data(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> None:
        original_put_data(self, *args, **kwargs)
        evaluator.wake()

    def set_alarm_state(
        self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str, state_value: str
    ) -> None:
        old_state = self.alarms[alarm_name].state_value if alarm_name in self.alarms else None
        original_set_state(self, alarm_name, reason, reason_data, state_value)
        if old_state != state_value:
            _notify(self.alarms[alarm_name], old_state or "INSUFFICIENT_DATA", self.account_id, self.region_name)

    Alarm.__init__ = __init__
    CloudWatchBackend.put_metric_alarm = put_metric_alarm
    CloudWatchBackend.put_metric_data = put_metric_data
    CloudWatchBackend.set_alarm_state = set_alarm_state
    evaluator.start()


def _evaluation_seconds() -> float:
    value = os.environ.get(EVALUATION_SECONDS_VARIABLE, "")
    return float(value) if value.strip() else DEFAULT_EVALUATION_SECONDS


class _AlarmEvaluator(threading.Thread):
    """Evaluates every alarm of every account and region, periodically and when woken."""

    def __init__(self, backends: Any, interval: float) -> None:
        super().__init__(name="cloudwatch-alarms", daemon=True)
        self._backends = backends
        self._interval = interval
        self._woken = threading.Event()

    def wake(self) -> None:
        self._woken.set()

    def run(self) -> None:
        while True:
            self._woken.wait(self._interval)
            self._woken.clear()
            for account_id, regions in list(self._backends.items()):
                for region, backend in list(regions.items()):
                    self._evaluate(backend, account_id, region)

    @staticmethod
    def _evaluate(backend: Any, account_id: str, region: str) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        for alarm in list(backend.alarms.values()):
            try:
                verdict = alarm_verdict(alarm, list(backend.metric_data), now)
                if verdict is None or verdict.state == alarm.state_value:
                    continue
                old_state = alarm.state_value
                alarm.update_state(verdict.reason, json.dumps(verdict.reason_data), verdict.state)
                _notify(alarm, old_state, account_id, region)
            except Exception as error:  # one broken alarm must not stop the others' evaluation
                print(f"emulator: alarm {alarm.name} not evaluated: {error!r}", flush=True)


@dataclass(frozen=True)
class Verdict:
    state: str  # OK, ALARM or INSUFFICIENT_DATA
    reason: str
    reason_data: dict[str, Any]


def alarm_verdict(alarm: Any, metric_data: list[Any], now: datetime) -> Verdict | None:
    """The state the alarm is in at `now` (naive UTC), or None to keep the one it has."""
    if alarm.metric_data_queries or not alarm.metric_name or alarm.comparison_operator not in _COMPARISONS:
        return None
    period = timedelta(seconds=int(alarm.period))
    periods = int(alarm.evaluation_periods)
    needed = int(alarm.datapoints_to_alarm or periods)
    data = [d for d in metric_data if _is_of(alarm, d)]
    windows = [(now - (i + 1) * period, now - i * period) for i in range(periods)]  # newest first
    values = [_statistic(alarm, [d for d in data if start < _naive(d.timestamp) <= end]) for start, end in windows]
    breaches, description = _COMPARISONS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    present = [v for v in values if v is not None]
    breaching = sum(1 for v in present if breaches(v, threshold))
    missing = len(values) - len(present)
    treatment = alarm.treat_missing_data or "missing"
    if treatment == "breaching":
        breaching += missing
    reason_data = _reason_data(alarm, windows, values, threshold, now)
    if breaching >= needed:
        shown = ", ".join(
            f"{v} ({end:%d/%m/%y %H:%M:%S})" for v, (_, end) in zip(values, windows, strict=True) if v is not None
        )
        reason = (
            f"Threshold Crossed: {breaching} out of the last {periods} datapoints [{shown}] was {description} "
            f"the threshold ({threshold}) (minimum {needed} datapoint for OK -> ALARM transition)."
        )
        return Verdict("ALARM", reason, reason_data)
    if present or treatment == "notBreaching":
        treated = f" and {missing} missing datapoint was treated as [NonBreaching]" if missing and not present else ""
        reason = (
            f"Threshold Crossed: {len(present)} datapoints were not {description} the threshold ({threshold}){treated}."
        )
        return Verdict("OK", reason, reason_data)
    if treatment == "ignore":
        return None
    return Verdict("INSUFFICIENT_DATA", f"Insufficient Data: {periods} datapoints were unknown.", reason_data)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def _is_of(alarm: Any, datum: Any) -> bool:
    """Whether a datum belongs to the alarm's metric: namespace, name and exactly its dimensions."""
    if (datum.namespace, datum.name) != (alarm.namespace, alarm.metric_name):
        return False
    if alarm.unit and datum.unit != alarm.unit:
        return False
    return {(d.name, d.value) for d in datum.dimensions} == {(d.name, d.value) for d in alarm.dimensions}


def _statistic(alarm: Any, data: list[Any]) -> float | None:
    """The alarm's statistic over one period's data; None for a period without data."""
    if not data:
        return None
    values = [d.value for d in data if hasattr(d, "value")]
    count = len(values) + sum(d.sample_count for d in data if not hasattr(d, "value"))
    total = sum(values) + sum(d.sum for d in data if not hasattr(d, "value"))
    lows = values + [d.min for d in data if not hasattr(d, "value")]
    highs = values + [d.max for d in data if not hasattr(d, "value")]
    if alarm.extended_statistic:
        return _percentile(sorted(values), float(alarm.extended_statistic.lstrip("p")))
    statistic = {
        "Sum": total,
        "SampleCount": count,
        "Average": total / count if count else None,
        "Minimum": min(lows),
        "Maximum": max(highs),
    }.get(alarm.statistic)
    return None if statistic is None else float(statistic)


def _percentile(values: list[float], percent: float) -> float | None:
    if not values:
        return None
    rank = max(0, math.ceil(percent / 100 * len(values)) - 1)
    return values[rank]


def _reason_data(
    alarm: Any, windows: list[tuple[datetime, datetime]], values: list[float | None], threshold: float, now: datetime
) -> dict[str, Any]:
    evaluated = [
        {"timestamp": f"{end:{_TIME}}"[:-3] + "+0000", "value": value}
        for value, (_, end) in zip(values, windows, strict=True)
        if value is not None
    ]
    return {
        "version": "1.0",
        "queryDate": f"{now:{_TIME}}"[:-3] + "+0000",
        "statistic": alarm.extended_statistic or alarm.statistic,
        "period": int(alarm.period),
        "recentDatapoints": [value for value in values if value is not None],
        "threshold": threshold,
        "evaluatedDatapoints": evaluated,
    }


def _notify(alarm: Any, old_state: str, account_id: str, region: str) -> None:
    """Publish the state change to the SNS topics among the actions of the alarm's new state."""
    from moto.sns.models import sns_backends

    actions = {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }
    topics = [
        arn for arn in actions.get(alarm.state_value) or [] if arn.startswith("arn:") and arn.split(":")[2] == "sns"
    ]
    if not alarm.actions_enabled or not topics:
        return
    subject = f'{alarm.state_value}: "{alarm.name}" in {_REGION_NAMES.get(region, region)}'[:100]
    message = json.dumps(notification(alarm, old_state, account_id, region))
    for topic in topics:
        _, _, _, topic_region, topic_account = topic.split(":")[:5]
        try:
            sns_backends[topic_account][topic_region].publish(message, arn=topic, subject=subject)
        except Exception as error:  # a deleted topic: CloudWatch records the failed action and goes on
            print(f"emulator: alarm {alarm.name} could not notify {topic}: {error!r}", flush=True)
            _record_notification(alarm, topic, account_id, type(error).__name__)
        else:
            _record_notification(alarm, topic, account_id, "ok")


def _record_notification(alarm: Any, topic: str, account_id: str, outcome: str) -> None:
    """CloudWatch publishes as cloudwatch.amazonaws.com (the topic's policy and, for an encrypted topic,
    the key's policy judge it), the alarm as aws:SourceArn."""
    cloudwatch = call_log.service("cloudwatch", f"CloudWatch alarm {alarm.name}")
    _, _, _, topic_region, topic_account = topic.split(":")[:5]
    source = {"aws:SourceAccount": account_id, "aws:SourceArn": str(alarm.alarm_arn)}
    calls = [
        call_log.Authorization("sns:Publish", topic, source),
        *sns_kms_calls(topic_region, topic_account, topic, account_id, source),
    ]
    call_log.record(cloudwatch, calls, outcome)


def notification(alarm: Any, old_state: str, account_id: str, region: str) -> dict[str, Any]:
    """The JSON message CloudWatch publishes to an alarm's SNS action."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": f"{alarm.configuration_updated_timestamp:{_TIME}}"[:-3] + "+0000",
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": f"{alarm.state_updated_timestamp:{_TIME}}"[:-3] + "+0000",
        "Region": _REGION_NAMES.get(region, region),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
            "Statistic": (alarm.extended_statistic or alarm.statistic or "").upper(),
            "Unit": alarm.unit,
            "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
            "Period": int(alarm.period),
            "EvaluationPeriods": int(alarm.evaluation_periods),
            "DatapointsToAlarm": int(alarm.datapoints_to_alarm or alarm.evaluation_periods),
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": float(alarm.threshold),
            "TreatMissingData": alarm.treat_missing_data or "missing",
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
        },
    }
