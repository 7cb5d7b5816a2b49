"""EventBridge: rules deliver to state machines, SNS topics and Lambda functions; scheduled rules
receive only their own firings."""

from __future__ import annotations

import copy
import json
import re
import threading
from datetime import datetime
from typing import Any

from emulator import call_log
from emulator.adapters.principals import assumed_role
from emulator.call_recording_kms import sns_kms_calls
from platform_contract import SCHEDULED_EVENT

_DELIVERED_SERVICES = ("states", "sns", "lambda")  # the target services delivered here, not by moto
_ASYNC_LAMBDA_CONCURRENCY = 4


def deliver_eventbridge_events_to_state_machines_topics_and_functions() -> None:
    """A rule whose target is a state machine starts an execution, an SNS topic gets a message, a
    Lambda function is invoked (asynchronously, as EventBridge does: PutEvents never waits for it);
    each with the (transformed) event.

    moto raises NotImplementedError for any target but logs, archives, SQS, buses and API
    destinations (PutEvents answered HTTP 500 for an event matching a rule with a Lambda target).
    Input, InputPath ($ or $.detail...) and InputTransformer are honoured.

    Each delivery is in the call log as EventBridge makes it: to a state machine with the target's role
    (sts:AssumeRole of it by events.amazonaws.com, then states:StartExecution by the role); to a topic
    (sns:Publish, and SNS's KMS calls for an encrypted topic) and to a function (lambda:InvokeFunction)
    by events.amazonaws.com, judged by the topic's or function's resource policy; aws:SourceArn is the
    rule. A failed delivery to a target with a dead-letter queue records sqs:SendMessage to it.
    """
    from moto.events.models import Rule

    original_send = Rule.send_to_targets
    delivery = _TargetDelivery()

    def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        delivered = [t for t in self.targets if t["Arn"].split(":")[2] in _DELIVERED_SERVICES]
        event = _with_iso_time(original_event)
        for target in delivered:
            delivery.deliver(self, target, event)
        if len(delivered) < len(self.targets):
            others = copy.copy(self)
            others.targets = [t for t in self.targets if t not in delivered]
            original_send(others, original_event, transform_input)

    Rule.send_to_targets = send_to_targets


class _TargetDelivery:
    """Delivers an event to a rule's state machine, topic or function target, as EventBridge does."""

    def __init__(self) -> None:
        from moto.awslambda.models import lambda_backends
        from moto.sns.models import sns_backends
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        self._lambda_backends = lambda_backends
        self._sns_backends = sns_backends
        self._stepfunctions_backends = stepfunctions_parser_backends
        # Asynchronous invocations queue up, a few run at once: a burst of events must not start a
        # Python process for each at the same time on a small machine.
        self._running_invocations = threading.BoundedSemaphore(_ASYNC_LAMBDA_CONCURRENCY)

    def deliver(self, rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
        arn = target["Arn"]
        _, _, service, region, account = arn.split(":")[:5]
        payload = target_input(target, event)
        calls = _delivery_calls(rule, target)
        try:
            if service == "states":
                self._stepfunctions_backends[account][region].start_execution(arn, execution_input=payload)
            elif service == "sns":
                self._sns_backends[account][region].publish(message=payload, arn=arn)
            else:
                threading.Thread(
                    target=self._invoke_function, args=(arn, payload), name=f"eventbridge-{rule.name}", daemon=True
                ).start()
        except Exception as error:
            _record_delivery(rule, target, calls, type(error).__name__)
            raise
        _record_delivery(rule, target, calls, "ok")

    def _invoke_function(self, arn: str, payload: str) -> None:
        _, _, _, region, account = arn.split(":")[:5]
        with self._running_invocations:
            try:
                function = self._lambda_backends[account][region].get_function(arn)
                function.invoke(payload, {"x-amz-invocation-type": "Event"}, {})
            except Exception as error:
                print(f"emulator: EventBridge could not invoke {arn}: {error}", flush=True)


def _delivery_calls(rule: Any, target: dict[str, Any]) -> list[call_log.Authorization]:
    """The calls EventBridge makes to deliver to `target`: with the target's role, or as itself."""
    arn = target["Arn"]
    _, _, service, region, account = arn.split(":")[:5]
    source = {"aws:SourceAccount": rule.account_id, "aws:SourceArn": rule.arn}
    events = call_log.service("events", f"EventBridge rule {rule.name}")
    if target.get("RoleArn"):
        role = call_log.role(target["RoleArn"], f"EventBridge rule {rule.name}")
        action = {"states": "states:StartExecution"}.get(service, f"unknown:{service}.delivery")
        return [
            *assumed_role("events", role.arn, events.by, rule.arn),
            call_log.Authorization(action, arn, principal=role),
        ]
    if service == "sns":
        kms = [
            call_log.Authorization(c.action, c.resource, c.context, c.via, events)
            for c in sns_kms_calls(region, account, arn, rule.account_id)
        ]
        return [call_log.Authorization("sns:Publish", arn, source, principal=events), *kms]
    action = "lambda:InvokeFunction" if service == "lambda" else f"unknown:{service}.delivery"
    return [call_log.Authorization(action, arn, source, principal=events)]


def _record_delivery(rule: Any, target: dict[str, Any], calls: list[call_log.Authorization], outcome: str) -> None:
    events = call_log.service("events", f"EventBridge rule {rule.name}")
    call_log.record(events, calls, outcome)
    dead_letter_queue = (target.get("DeadLetterConfig") or {}).get("Arn")
    if outcome != "ok" and dead_letter_queue:
        source = {"aws:SourceAccount": rule.account_id, "aws:SourceArn": rule.arn}
        call_log.record(events, [call_log.Authorization("sqs:SendMessage", dead_letter_queue, source)])


def _with_iso_time(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its `time` as EventBridge writes it (ISO 8601) where moto holds epoch seconds."""
    event = dict(event)
    if isinstance(event.get("time"), (int, float)):
        event["time"] = datetime.utcfromtimestamp(event["time"]).strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
    """What a target receives: its Input, its InputTransformer's rendering, or what its InputPath
    (`$`, `$.detail`, `$.detail.x`...) selects of the event."""
    if "Input" in target:
        return str(target["Input"])
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        return render_input_template(transformer["InputTemplate"], transformer.get("InputPathsMap", {}), event)
    selected: Any = event
    for part in target.get("InputPath", "$").removeprefix("$").strip(".").split("."):
        selected = selected[part] if part else selected
    return json.dumps(selected)


def render_input_template(template: str, paths: dict[str, str], event: dict[str, Any]) -> str:
    """An InputTransformer's output, as EventBridge renders it (moto's parser leaves strings unquoted).

    A placeholder inside a JSON string is replaced by the value's text; elsewhere by the value as JSON
    (a string gets its quotes). A path that selects nothing gives null.
    """
    from jsonpath_ng.ext import parse as parse_json_path

    values: dict[str, Any] = {"aws.events.event.json": event}
    for name, path in paths.items():
        found = parse_json_path(path).find(event)
        values[name] = found[0].value if found else None
    rendered, position = [], 0
    for placeholder in re.finditer(r"<([A-Za-z0-9_.\-]+)>", template):
        if placeholder.group(1) not in values:
            continue
        before = template[position : placeholder.start()]
        rendered.append(before)
        value = values[placeholder.group(1)]
        in_string = len(re.findall(r'(?<!\\)"', template[: placeholder.start()])) % 2 == 1
        if in_string:
            rendered.append(json.dumps(value if isinstance(value, str) else json.dumps(value))[1:-1])
        else:
            rendered.append(json.dumps(value))
        position = placeholder.end()
    rendered.append(template[position:])
    return "".join(rendered)


def match_scheduled_rules_only_to_their_own_firings() -> None:
    """A rule with a ScheduleExpression receives only its own firings, which can be sent at will.

    moto has no pattern for such a rule, so it matched EVERY event put on the bus (an image push
    started the scheduled training too), and it never fires schedules. Here a scheduled rule
    receives only a "Scheduled Event" (source aws.events) naming the rule's ARN in its resources:
    the event EventBridge sends when the schedule fires. To fire a schedule now, put that event
    (emulator.scheduled_event_entry(rule_arn)) with PutEvents.
    """
    from moto.events.models import Rule

    original_send = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if self.scheduled_expression:
            firing = (original_event.get("source"), original_event.get("detail-type")) == SCHEDULED_EVENT
            if not firing or self.arn not in original_event.get("resources", []) or self.state != "ENABLED":
                return
        original_send(self, original_event, transform_input)

    Rule.send_to_targets = send_to_targets
