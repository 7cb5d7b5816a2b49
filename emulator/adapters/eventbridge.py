"""EventBridge: rules deliver to state machines, SNS topics and Lambda functions; scheduled rules
receive only their own firings."""

from __future__ import annotations

import copy
import json
import re
import threading
from datetime import datetime
from typing import Any

SCHEDULED_EVENT = ("aws.events", "Scheduled Event")  # (source, detail-type) of a schedule's firing
_ASYNC_LAMBDA_CONCURRENCY = 4


def deliver_eventbridge_events_to_state_machines_topics_and_functions() -> None:
    """A rule whose target is a state machine starts an execution, an SNS topic gets a message, a
    Lambda function is invoked (asynchronously, as EventBridge does: PutEvents never waits for it);
    each with the (transformed) event.

    moto raises NotImplementedError for any target but logs, archives, SQS, buses and API
    destinations (PutEvents answered HTTP 500 for an event matching a rule with a Lambda target).
    Input, InputPath ($ or $.detail...) and InputTransformer are honoured.
    """
    from moto.awslambda.models import lambda_backends
    from moto.events.models import Rule
    from moto.sns.models import sns_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    original_send = Rule.send_to_targets
    handled_services = ("states", "sns", "lambda")

    def target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
        if "Input" in target:
            return str(target["Input"])
        if "InputTransformer" in target:
            transformer = target["InputTransformer"]
            return render_input_template(transformer["InputTemplate"], transformer.get("InputPathsMap", {}), event)
        selected: Any = event
        for part in target.get("InputPath", "$").removeprefix("$").strip(".").split("."):
            selected = selected[part] if part else selected
        return json.dumps(selected)

    # Asynchronous invocations queue up, a few run at once: a burst of events must not start a
    # Python process for each at the same time on a small machine.
    running_invocations = threading.BoundedSemaphore(_ASYNC_LAMBDA_CONCURRENCY)

    def invoke_function(arn: str, payload: str) -> None:
        _, _, _, region, account = arn.split(":")[:5]
        with running_invocations:
            try:
                function = lambda_backends[account][region].get_function(arn)
                function.invoke(payload, {"x-amz-invocation-type": "Event"}, {})
            except Exception as error:  # noqa: BLE001 - asynchronous: reported in the emulator's log
                print(f"emulator: EventBridge could not invoke {arn}: {error}", flush=True)

    def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        handled = [t for t in self.targets if t["Arn"].split(":")[2] in handled_services]
        event = dict(original_event)
        if isinstance(event.get("time"), (int, float)):
            event["time"] = datetime.utcfromtimestamp(event["time"]).strftime("%Y-%m-%dT%H:%M:%SZ")
        for target in handled:
            arn = target["Arn"]
            _, _, service, region, account = arn.split(":")[:5]
            if service == "states":
                stepfunctions_parser_backends[account][region].start_execution(
                    arn, execution_input=target_input(target, event))
            elif service == "sns":
                sns_backends[account][region].publish(message=target_input(target, event), arn=arn)
            else:
                threading.Thread(target=invoke_function, args=(arn, target_input(target, event)),
                                 name=f"eventbridge-{self.name}", daemon=True).start()
        if len(handled) < len(self.targets):
            others = copy.copy(self)
            others.targets = [t for t in self.targets if t not in handled]
            original_send(others, original_event, transform_input)

    Rule.send_to_targets = send_to_targets


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
        before = template[position:placeholder.start()]
        rendered.append(before)
        value = values[placeholder.group(1)]
        in_string = len(re.findall(r'(?<!\\)"', template[:placeholder.start()])) % 2 == 1
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


