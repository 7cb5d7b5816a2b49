"""The CloudWatch adapters: alarms and metric filters a template declares exist with their stack
(create_alarms_and_metric_filters_from_cloudformation, emulator/adapters/cloudformation.py), and
alarms are evaluated and notify their SNS actions (evaluate_alarms_and_notify_their_actions,
emulator/adapters/cloudwatch.py)."""

from __future__ import annotations

import json
import time
from typing import Any

from adapter_resources import deploy_template, unique
from execution_waits import wait_for


def subscribed_queue(emulator: Any, topic_arn: str) -> str:
    """An SQS queue subscribed to the topic: what the topic publishes can be read back."""
    sqs = emulator.client("sqs")
    queue_url = sqs.create_queue(QueueName=unique("alarms"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    emulator.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return str(queue_url)


def notifications(emulator: Any, queue_url: str) -> list[dict[str, Any]]:
    """The SNS notifications waiting in the queue: their Subject and their Message parsed."""
    messages = emulator.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    envelopes = [json.loads(m["Body"]) for m in messages]
    return [{"Subject": e.get("Subject"), **json.loads(e["Message"])} for e in envelopes]


def alarm(emulator: Any, name: str) -> dict[str, Any]:
    return dict(emulator.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0])


def test_a_template_s_metric_filter_and_alarm_notify_the_topic_when_a_job_fails(emulator: Any) -> None:
    """The platform's failed-jobs chain, in small: a JSON line with status Failed in the log group
    counts in the metric filter's metric, whose alarm (Sum >= 1 over 300 s, missing data not
    breaching) goes from OK to ALARM and publishes CloudWatch's notification to the topic."""
    namespace = unique("test/platform")
    template = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Logs": {"Type": "AWS::Logs::LogGroup"},
            "FailedJobsFilter": {
                "Type": "AWS::Logs::MetricFilter",
                "Properties": {
                    "FilterPattern": '{ $.status = "Failed" }',
                    "LogGroupName": {"Ref": "Logs"},
                    "MetricTransformations": [
                        {
                            "DefaultValue": 0,
                            "MetricName": "TrainingJobsFailed",
                            "MetricNamespace": namespace,
                            "MetricValue": "1",
                        }
                    ],
                },
            },
            "FailedJobsAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmActions": [{"Ref": "Topic"}],
                    "AlarmDescription": "A training job of the platform failed",
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "EvaluationPeriods": 1,
                    "MetricName": "TrainingJobsFailed",
                    "Namespace": namespace,
                    "Period": 300,
                    "Statistic": "Sum",
                    "Threshold": 1,
                    "TreatMissingData": "notBreaching",
                },
            },
        },
        "Outputs": {
            "Topic": {"Value": {"Ref": "Topic"}},
            "Logs": {"Value": {"Ref": "Logs"}},
            "Alarm": {"Value": {"Ref": "FailedJobsAlarm"}},
            "AlarmArn": {"Value": {"Fn::GetAtt": ["FailedJobsAlarm", "Arn"]}},
        },
    }
    stack_name = unique("monitoring")
    stack = deploy_template(emulator, template, stack_name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    queue = subscribed_queue(emulator, outputs["Topic"])
    assert outputs["Alarm"].startswith(f"{stack_name}-FailedJobsAlarm-")
    assert alarm(emulator, outputs["Alarm"])["AlarmArn"] == outputs["AlarmArn"]
    filters = emulator.client("logs").describe_metric_filters(logGroupName=outputs["Logs"])["metricFilters"]
    assert [f["filterPattern"] for f in filters] == ['{ $.status = "Failed" }']
    # Nothing failed yet, and missing data is not breaching: OK, without a notification (no OK action).
    wait_for(lambda: alarm(emulator, outputs["Alarm"])["StateValue"] == "OK")

    logs = emulator.client("logs")
    logs.create_log_stream(logGroupName=outputs["Logs"], logStreamName="notify")
    line = json.dumps({"job_name": "gan-1", "status": "Failed"})
    logs.put_log_events(
        logGroupName=outputs["Logs"],
        logStreamName="notify",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": line}],
    )
    received = wait_for(lambda: notifications(emulator, queue))
    assert [n["Subject"] for n in received] == [f'ALARM: "{outputs["Alarm"]}" in EU (Ireland)']
    message = received[0]
    assert (message["AlarmName"], message["NewStateValue"], message["OldStateValue"]) == (
        outputs["Alarm"],
        "ALARM",
        "OK",
    )
    assert message["NewStateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [1.0 (")
    assert message["Trigger"]["MetricName"] == "TrainingJobsFailed" and message["Trigger"]["Statistic"] == "SUM"
    assert alarm(emulator, outputs["Alarm"])["StateValue"] == "ALARM"

    emulator.client("cloudformation").delete_stack(StackName=stack_name)
    assert emulator.client("cloudwatch").describe_alarms(AlarmNames=[outputs["Alarm"]])["MetricAlarms"] == []


def test_alarms_honour_periods_datapoints_and_missing_data(emulator: Any) -> None:
    cloudwatch = emulator.client("cloudwatch")
    namespace = unique("test/alarms")

    def put_alarm(name: str, **settings: Any) -> str:
        name = unique(name)
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace=namespace,
            MetricName="Latency",
            Dimensions=[{"Name": "Service", "Value": "trainer"}],
            Period=60,
            Statistic="Average",
            **{"EvaluationPeriods": 1, "Threshold": 100, "ComparisonOperator": "GreaterThanThreshold", **settings},
        )
        return name

    new = put_alarm("new")
    assert alarm(emulator, new)["StateValue"] == "INSUFFICIENT_DATA"  # as CloudWatch starts, no data yet
    breaching = put_alarm("breaching", TreatMissingData="breaching")
    two_of_three = put_alarm("two-of-three", EvaluationPeriods=3, DatapointsToAlarm=2)
    wait_for(lambda: alarm(emulator, breaching)["StateValue"] == "ALARM")

    for value in (50, 250):  # an average of 150 in the current minute
        cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {"MetricName": "Latency", "Value": value, "Dimensions": [{"Name": "Service", "Value": "trainer"}]}
            ],
        )
    wait_for(lambda: alarm(emulator, new)["StateValue"] == "ALARM")
    # One breaching period of three: not enough for an alarm that needs two.
    wait_for(lambda: alarm(emulator, two_of_three)["StateValue"] == "OK")
    assert json.loads(alarm(emulator, new)["StateReasonData"])["recentDatapoints"] == [150.0]


def test_setting_an_alarm_s_state_notifies_its_actions(emulator: Any) -> None:
    sns, cloudwatch = emulator.client("sns"), emulator.client("cloudwatch")
    topic = sns.create_topic(Name=unique("alarm-actions"))["TopicArn"]
    queue = subscribed_queue(emulator, topic)
    name = unique("manual")
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace=unique("test/manual"),
        MetricName="Anything",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        Statistic="Sum",
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="ignore",
        AlarmActions=[topic],
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="testing the notification")
    received = wait_for(lambda: notifications(emulator, queue))
    assert (received[0]["NewStateValue"], received[0]["NewStateReason"]) == ("ALARM", "testing the notification")
