"""The Notify function: tells people how a training job ended, publishing SageMaker's job state change to SNS.

Event: an EventBridge "SageMaker Training Job State Change" (Completed, Failed or Stopped; the rule filters).
Environment: TOPIC_ARN. Prints one JSON line per job ({"job_name", "status"}): the monitoring construct
counts failed jobs from it with a metric filter, so no CloudWatch permission is needed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import boto3

from platform_contract import NotifyEnvironment
from training_events import job_state_notification

_SNS = boto3.client("sns")


def handler(event: Mapping[str, object], context: object) -> dict[str, str]:
    notification = job_state_notification(event)
    print(json.dumps({"job_name": notification.job_name, "status": notification.status}))
    response = _SNS.publish(
        TopicArn=os.environ[NotifyEnvironment.TOPIC_ARN.value],
        Subject=notification.subject,
        Message=notification.message,
    )
    return {"message_id": response["MessageId"]}
