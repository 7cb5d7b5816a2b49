"""The Notify function: tells people how a training or tuning job ended, publishing SageMaker's state change to SNS.

Event: an EventBridge "SageMaker Training Job State Change" or "SageMaker HyperParameter Tuning Job State Change"
(Completed, Failed or Stopped; the rules filter). Environment: TOPIC_ARN. Prints one JSON line per job
({"job_name", "status"}, and "kind": "tuning" for a tuning job): the monitoring construct counts failed
jobs (a failed tuning job among them) from it with a metric filter, so no CloudWatch permission is needed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import boto3

from platform_contract import NotifyEnvironment
from training_events import state_change_notification

_SNS = boto3.client("sns")


def handler(event: Mapping[str, object], context: object) -> dict[str, str]:
    notification = state_change_notification(event)
    line = {"job_name": notification.job_name, "status": notification.status}
    print(json.dumps(line if notification.kind == "training" else {**line, "kind": notification.kind}))
    response = _SNS.publish(
        TopicArn=os.environ[NotifyEnvironment.TOPIC_ARN.value],
        Subject=notification.subject,
        Message=notification.message,
    )
    return {"message_id": response["MessageId"]}
