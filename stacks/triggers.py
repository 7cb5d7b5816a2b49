"""Event triggers of the training workflow: request files in S3, image pushes to ECR, an optional schedule.

Every rule sends the event itself, unchanged, as the execution input; the workflow's Prepare step recognises it
(lambda/training_events) and names the job after the event, so a duplicate delivery cannot train twice.

Result files go under a sibling prefix, at the request's own path (`requests/team/gan.json` ->
`results/team/gan.json`, platform_contract.result_key), where the request rule (`<request prefix>*.json`)
cannot match them: writing a result starts no execution. Alternatives weighed: a name in the request folder
that the wildcard cannot match (`gan.json.result`) also starts nothing, but keeps the result writer allowed to
write under the users' inbox and mixes the platform's output with their inputs; excluding result names in the
rule is not expressible (EventBridge cannot AND a prefix and an `anything-but` suffix on one field), which is
why result files used to start an execution of their own that Prepare then ignored. Prepare still ignores a key
under the result prefix, should such an event reach it (sent by hand).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from platform_contract import REQUEST_SUFFIX, PrepareEnvironment
from stacks.lambda_environment import environment_json

# How long EventBridge keeps retrying a start it could not deliver (throttling, a deployment in progress).
_DELIVERY_RETRY_WINDOW = Duration.hours(24)


class TrainingTriggers(Construct):
    """EventBridge rules that start the training workflow.

    `prepare_environment` is what the Prepare Lambda needs to turn these events into inputs (the request
    prefix, the tag pattern, the image-push and scheduled requests): see training_events.TriggerConfig.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine: sfn.IStateMachine,
        data_bucket: s3.IBucket,
        request_prefix: str,
        result_prefix: str,
        repository: ecr.IRepository,
        image_tag_pattern: str | None,
        image_push_request: Mapping[str, object],
        schedule_expression: str | None = None,
        scheduled_request: Mapping[str, object] | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if (schedule_expression is None) != (scheduled_request is None):
            raise ValueError("a training schedule needs both a schedule expression and a scheduled request")
        if request_prefix.startswith(result_prefix) or result_prefix.startswith(request_prefix):
            raise ValueError(
                f"the request prefix {request_prefix!r} and the result prefix {result_prefix!r} must not contain "
                "one another: a result under the request prefix would start a training"
            )
        self.prepare_environment: dict[str, str] = {
            PrepareEnvironment.REQUEST_PREFIX.value: request_prefix,
            PrepareEnvironment.RESULT_PREFIX.value: result_prefix,
        }
        # What the retries could not deliver goes to the dead-letter queue (stacks/event_delivery.py).
        target = targets.SfnStateMachine(
            state_machine,
            max_event_age=_DELIVERY_RETRY_WINDOW,
            retry_attempts=185,
            dead_letter_queue=dead_letter_queue,
        )

        self.request_file_rule = events.Rule(
            self,
            "RequestFileRule",
            description=f"A JSON request file under s3://<data bucket>/{request_prefix} starts a training",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [data_bucket.bucket_name]},
                    "object": {
                        "key": events.Match.wildcard(
                            _escape_wildcard(request_prefix) + "*" + _escape_wildcard(REQUEST_SUFFIX)
                        )
                    },
                },
            ),
            targets=[target],
        )

        self.image_push_rule: events.Rule | None = None
        if image_tag_pattern is not None:
            self.prepare_environment[PrepareEnvironment.IMAGE_TAG_PATTERN.value] = image_tag_pattern
            self.prepare_environment[PrepareEnvironment.IMAGE_PUSH_REQUEST.value] = environment_json(image_push_request)
            self.image_push_rule = events.Rule(
                self,
                "ImagePushRule",
                description=f"A successful push of a tag matching {image_tag_pattern} to the training image repository starts a training",
                event_pattern=events.EventPattern(
                    source=["aws.ecr"],
                    detail_type=["ECR Image Action"],
                    detail={
                        "action-type": ["PUSH"],
                        "result": ["SUCCESS"],
                        "repository-name": [repository.repository_name],
                        "image-tag": events.Match.wildcard(image_tag_pattern),
                    },
                ),
                targets=[target],
            )

        self.schedule_rule: events.Rule | None = None
        if schedule_expression is not None and scheduled_request is not None:
            self.prepare_environment[PrepareEnvironment.SCHEDULED_REQUEST.value] = environment_json(scheduled_request)
            self.schedule_rule = events.Rule(
                self,
                "ScheduleRule",
                description=f"Starts the scheduled training {schedule_expression}",
                schedule=events.Schedule.expression(schedule_expression),
                targets=[target],
            )


def _escape_wildcard(text: str) -> str:
    # In an EventBridge wildcard `*` is the only special character; `\` escapes it (and itself).
    return text.replace("\\", "\\\\").replace("*", "\\*")
