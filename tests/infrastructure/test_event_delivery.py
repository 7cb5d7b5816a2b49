"""Events EventBridge could not deliver are kept, not dropped: every rule target has a retry policy and a
dead-letter queue (encrypted, TLS only, only those rules may send to it), and an alarm tells the platform's topic
when an event waits there."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.event_delivery import UNDELIVERED_EVENT_RETENTION

# The rules' logical IDs (without the CDK's hash) -> the dead-letter queue their targets use.
DEAD_LETTER_QUEUES = {
    "TriggersRequestFileRule": "UndeliveredTriggerEventsQueue",
    "TriggersImagePushRule": "UndeliveredTriggerEventsQueue",
    "TriggersScheduleRule": "UndeliveredTriggerEventsQueue",
    "MonitoringJobStateRule": "UndeliveredJobEventsQueue",
    "MonitoringTuningStateRule": "UndeliveredJobEventsQueue",
}


def _of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == resource_type}


def _stem(logical_id: str) -> str:
    return logical_id[:-8]


@pytest.fixture(scope="module")
def template(synthesize_variant) -> dict[str, Any]:
    # With a schedule, so that all four rules exist.
    app = synthesize_variant(
        training_schedule="rate(1 day)", scheduled_request='{"instance_type": "ml.m5.large", "instance_count": 1}'
    )
    return app.template("training")


def test_every_rule_target_retries_then_keeps_what_it_could_not_deliver(template: dict[str, Any]) -> None:
    queues = {_stem(k): k for k in _of_type(template, "AWS::SQS::Queue")}
    rules = _of_type(template, "AWS::Events::Rule")

    assert sorted(_stem(k) for k in rules) == sorted(DEAD_LETTER_QUEUES)
    for logical_id, rule in rules.items():
        (target,) = rule["Properties"]["Targets"]
        assert target["DeadLetterConfig"] == {
            "Arn": {"Fn::GetAtt": [queues[DEAD_LETTER_QUEUES[_stem(logical_id)]], "Arn"]}
        }
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_the_queues_are_encrypted_kept_two_weeks_and_go_with_the_stack(template: dict[str, Any]) -> None:
    queues = _of_type(template, "AWS::SQS::Queue")

    assert len(queues) == 2
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert queue["Properties"]["MessageRetentionPeriod"] == UNDELIVERED_EVENT_RETENTION.to_seconds() == 14 * 86400
        # Only notices of events about data kept elsewhere: the training stack holds no data.
        assert queue["DeletionPolicy"] == "Delete"


def test_only_the_platforms_rules_may_send_to_the_queues_and_only_over_tls(template: dict[str, Any]) -> None:
    rule_ids = {_stem(k): k for k in _of_type(template, "AWS::Events::Rule")}
    for policy in _of_type(template, "AWS::SQS::QueuePolicy").values():
        (queue_ref,) = policy["Properties"]["Queues"]
        queue_id = queue_ref["Ref"]
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert {
            "Action": "sqs:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
        } in statements
        senders = [s for s in statements if s["Effect"] == "Allow"]
        expected_rules = {rule_ids[rule] for rule, queue in DEAD_LETTER_QUEUES.items() if queue == _stem(queue_id)}
        assert {s["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0] for s in senders} == expected_rules
        for statement in senders:
            assert statement["Principal"] == {"Service": "events.amazonaws.com"}
            assert statement["Action"] == "sqs:SendMessage"
            assert statement["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}


def test_a_waiting_event_alarms_the_platforms_topic(template: dict[str, Any]) -> None:
    (topic_id,) = _of_type(template, "AWS::SNS::Topic")
    alarmed_queues = set()
    for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if properties.get("Namespace") != "AWS/SQS":
            continue
        assert properties["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert properties["Threshold"] == 1
        assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert properties["AlarmActions"] == [{"Ref": topic_id}]
        (dimension,) = properties["Dimensions"]
        alarmed_queues.add(dimension["Value"]["Fn::GetAtt"][0])
    assert alarmed_queues == set(_of_type(template, "AWS::SQS::Queue"))
