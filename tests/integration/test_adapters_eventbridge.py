"""The EventBridge adapters (emulator/adapters/eventbridge.py): rules deliver to functions and topics,
scheduled rules receive only their own firings."""

from __future__ import annotations

import json
import time
from typing import Any

from adapter_resources import python_package, training_request, unique
from execution_waits import wait_for

from emulator import scheduled_event_entry


# deliver_eventbridge_events_to_state_machines_topics_and_functions (Lambda, asynchronously) --------
def test_a_rule_invokes_its_lambda_target_without_making_put_events_wait(emulator: Any, lambda_role: str) -> None:
    sqs, events, awslambda = emulator.client("sqs"), emulator.client("events"), emulator.client("lambda")
    queue = sqs.create_queue(QueueName=unique("delivered"))["QueueUrl"]
    source = (
        "import json, os, time, boto3\n"
        "def handler(event, context):\n"
        "    time.sleep(10)\n"
        "    boto3.client('sqs').send_message(QueueUrl=os.environ['QUEUE'], MessageBody=json.dumps(event))\n"
    )
    function = awslambda.create_function(
        FunctionName=unique("notify"),
        Runtime="python3.11",
        Role=lambda_role,
        Handler="index.handler",
        Timeout=30,
        Code={"ZipFile": python_package(source)},
        Environment={"Variables": {"QUEUE": queue}},
    )["FunctionArn"]
    rule, job = unique("job-state"), unique("job")
    events.put_rule(
        Name=rule, EventPattern=json.dumps({"source": ["aws.sagemaker"], "detail": {"TrainingJobStatus": ["Failed"]}})
    )
    events.put_targets(
        Rule=rule,
        Targets=[
            {
                "Id": "notifier",
                "Arn": function,
                "InputTransformer": {
                    "InputPathsMap": {"name": "$.detail.TrainingJobName"},
                    "InputTemplate": '{"job": <name>, "why": "it failed"}',
                },
            }
        ],
    )

    started = time.monotonic()
    answer = events.put_events(
        Entries=[
            {
                "Source": "aws.sagemaker",
                "DetailType": "SageMaker Training Job State Change",
                "Detail": json.dumps({"TrainingJobName": job, "TrainingJobStatus": "Failed"}),
            }
        ]
    )
    assert answer["FailedEntryCount"] == 0
    assert time.monotonic() - started < 5  # the function sleeps 10 s: PutEvents did not wait for it

    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"), timeout=30)
    assert json.loads(messages[0]["Body"]) == {"job": job, "why": "it failed"}


# match_scheduled_rules_only_to_their_own_firings ------------------------------------------------
def test_a_scheduled_rule_receives_only_its_own_firings(emulator: Any) -> None:
    sqs, events = emulator.client("sqs"), emulator.client("events")
    queue = sqs.create_queue(QueueName=unique("nightly"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = events.put_rule(Name=unique("nightly"), ScheduleExpression="cron(0 2 * * ? *)")["RuleArn"]
    events.put_targets(Rule=rule.split("/")[-1], Targets=[{"Id": "queue", "Arn": queue_arn}])

    events.put_events(
        Entries=[
            {"Source": "aws.ecr", "DetailType": "ECR Image Action", "Detail": json.dumps({"result": "SUCCESS"})},
            scheduled_event_entry(rule.replace("nightly", "another")),
        ]
    )
    assert not sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages")

    events.put_events(Entries=[scheduled_event_entry(rule)])
    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"), timeout=10)
    firing = json.loads(messages[0]["Body"])
    assert (firing["source"], firing["detail-type"], firing["resources"]) == ("aws.events", "Scheduled Event", [rule])


# deliver_eventbridge_events_to_state_machines_topics_and_functions (SNS), and the job's state change events
def test_a_job_s_end_reaches_a_topic_through_an_eventbridge_rule(emulator: Any, output_bucket: str) -> None:
    sns, sqs, events = emulator.client("sns"), emulator.client("sqs"), emulator.client("events")
    topic = sns.create_topic(Name=unique("jobs"))["TopicArn"]
    queue = sqs.create_queue(QueueName=unique("inbox"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    name = unique("job")
    rule = unique("job-ends")
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Training Job State Change"],
                "detail": {"TrainingJobName": [name], "TrainingJobStatus": ["Completed", "Failed", "Stopped"]},
            }
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "topic", "Arn": topic, "InputPath": "$.detail"}])

    emulator.client("sagemaker").create_training_job(**training_request(name, output_bucket))
    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"), timeout=30)
    detail = json.loads(messages[0]["Body"])
    assert (detail["TrainingJobName"], detail["TrainingJobStatus"]) == (name, "Completed")
