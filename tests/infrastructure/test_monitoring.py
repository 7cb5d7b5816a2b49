"""Notifications and alarms: what reaches the topic, who may publish, what is encrypted."""

from __future__ import annotations

import json

from event_stacks import EXECUTION_ROLE_ARN, STATE_MACHINE_ARN, EventStack, sample_event, synthesize_event_stack
from moto.events.models import EventPattern


def topic_ref(stack: EventStack) -> dict:
    (logical_id,) = stack.resources("AWS::SNS::Topic")
    return {"Ref": logical_id}


def key_arn(stack: EventStack) -> dict:
    (logical_id,) = stack.resources("AWS::KMS::Key")
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def job_event(**detail: object) -> dict:
    event = sample_event("training-job-failed")
    event["detail"].update(detail)
    return event


def job_rule_matches(event: dict) -> bool:
    pattern = synthesize_event_stack().one("AWS::Events::Rule", "JobStateRule")["Properties"]["EventPattern"]
    return EventPattern.load(json.dumps(pattern)).matches_event(event)


def test_topic_is_encrypted_with_the_project_key_and_refuses_plain_http() -> None:
    stack = synthesize_event_stack()
    topic = stack.one("AWS::SNS::Topic")["Properties"]
    statements = stack.one("AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"]

    assert topic["KmsMasterKeyId"] == key_arn(stack)
    assert {
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": "*",
        "Resource": topic_ref(stack),
        "Sid": "AllowPublishThroughSSLOnly",
    } in statements


def test_alarms_can_reach_the_encrypted_topic() -> None:
    stack = synthesize_event_stack()
    topic_statements = stack.one("AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"]
    key_statements = stack.one("AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]

    assert {
        "Action": "sns:Publish",
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Resource": topic_ref(stack),
        "Sid": "CloudWatchAlarmsPublish",
    } in topic_statements
    assert any(
        s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
        and set(s["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
        for s in key_statements
    )


def test_email_subscription_only_when_an_address_is_configured() -> None:
    (subscription,) = synthesize_event_stack().resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ml-team@example.com"

    assert synthesize_event_stack(notification_email=None).resources("AWS::SNS::Subscription") == {}


def test_finished_jobs_of_the_platform_reach_the_notifier() -> None:
    for status in ("Completed", "Failed", "Stopped"):
        assert job_rule_matches(job_event(TrainingJobStatus=status)), status


def test_running_jobs_and_other_teams_jobs_do_not() -> None:
    assert not job_rule_matches(job_event(TrainingJobStatus="InProgress"))
    assert not job_rule_matches(job_event(TrainingJobStatus="Stopping"))
    assert not job_rule_matches(job_event(RoleArn="arn:aws:iam::111122223333:role/another-team"))
    assert sample_event("training-job-failed")["detail"]["RoleArn"] == EXECUTION_ROLE_ARN


def tuning_event(**detail: object) -> dict:
    event = sample_event("tuning-job-completed")
    event["detail"].update(detail)
    return event


def tuning_rule_matches(event: dict) -> bool:
    pattern = synthesize_event_stack().one("AWS::Events::Rule", "TuningStateRule")["Properties"]["EventPattern"]
    return EventPattern.load(json.dumps(pattern)).matches_event(event)


def test_finished_tuning_jobs_of_the_platform_reach_the_notifier_too() -> None:
    stack = synthesize_event_stack()
    for status in ("Completed", "Failed", "Stopped"):
        assert tuning_rule_matches(tuning_event(HyperParameterTuningJobStatus=status)), status
    (training_target,) = stack.one("AWS::Events::Rule", "JobStateRule")["Properties"]["Targets"]
    (tuning_target,) = stack.one("AWS::Events::Rule", "TuningStateRule")["Properties"]["Targets"]
    assert tuning_target["Arn"] == training_target["Arn"]
    assert tuning_target.get("DeadLetterConfig") == training_target.get("DeadLetterConfig")
    assert tuning_target["RetryPolicy"] == training_target["RetryPolicy"]


def test_running_tuning_jobs_and_other_teams_tuning_jobs_do_not() -> None:
    assert not tuning_rule_matches(tuning_event(HyperParameterTuningJobStatus="InProgress"))
    assert not tuning_rule_matches(
        tuning_event(TrainingJobDefinition={"RoleArn": "arn:aws:iam::111122223333:role/another-team"})
    )
    assert not job_rule_matches(tuning_event())  # a tuning job's end is not taken for a training job's
    assert sample_event("tuning-job-completed")["detail"]["TrainingJobDefinition"]["RoleArn"] == EXECUTION_ROLE_ARN


def test_notifier_may_only_write_its_logs_and_traces_and_publish_encrypted_to_the_topic() -> None:
    stack = synthesize_event_stack()
    (policy,) = [p for k, p in stack.resources("AWS::IAM::Policy").items() if k.startswith("MonitoringNotifyRole")]
    (log_group,) = stack.resources("AWS::Logs::LogGroup")

    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
        },
        # X-Ray has no resource-level permissions.
        {"Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Effect": "Allow", "Resource": "*"},
        {"Action": "sns:Publish", "Effect": "Allow", "Resource": topic_ref(stack), "Sid": "PublishNotifications"},
        {
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Effect": "Allow",
            "Resource": key_arn(stack),
            "Sid": "EncryptNotifications",
        },
    ]


def test_failed_executions_alarm_the_topic() -> None:
    stack = synthesize_event_stack()
    alarm = stack.one("AWS::CloudWatch::Alarm", "FailedExecutions")["Properties"]

    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/States", "ExecutionsFailed", "Sum")
    assert alarm["Dimensions"] == [{"Name": "StateMachineArn", "Value": STATE_MACHINE_ARN}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert alarm["AlarmActions"] == [topic_ref(stack)]


def test_failed_jobs_alarm_counts_the_notifiers_failed_lines() -> None:
    stack = synthesize_event_stack()
    metric_filter = stack.one("AWS::Logs::MetricFilter")["Properties"]
    alarm = stack.one("AWS::CloudWatch::Alarm", "FailedJobs")["Properties"]
    (transformation,) = metric_filter["MetricTransformations"]

    assert metric_filter["FilterPattern"] == '{ $.status = "Failed" }'
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        transformation["MetricNamespace"],
        transformation["MetricName"],
    )
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert alarm["AlarmActions"] == [topic_ref(stack)]
