"""What runs trainings: the SageMaker execution role, the training workflow, its event triggers and the
notifications and alarms. Holds no data, so it can be destroyed and redeployed freely."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Fn, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from platform_contract import PrepareEnvironment, TrainingStackOutput
from stacks.event_delivery import UndeliveredEvents, limit_events_role_to_account
from stacks.execution_role import TrainingExecutionRole
from stacks.monitoring import TrainingMonitoring
from stacks.settings import PlatformSettings
from stacks.stateful_stack import StatefulReferences
from stacks.training_workflow import TrainingWorkflow
from stacks.triggers import TrainingTriggers
from training_request.image_repositories import repository_uri


class TrainingStack(Stack):
    """Uses the stateful stack's key, repository and buckets through its exports (see StatefulReferences).

    Attributes for the constructs wired here: settings, key, repository, data_bucket, artifacts_bucket,
    checkpoints_bucket, tensorboard_bucket, execution_role (TrainingExecutionRole; `.role` is the iam.Role).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: PlatformSettings,
        stateful: StatefulReferences,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.key = kms.Key.from_key_arn(self, "ProjectKey", stateful.key_arn)
        self.repository = ecr.Repository.from_repository_name(self, "TrainingImageRepository", stateful.repository_name)
        self.data_bucket = self._bucket("DataBucket", stateful.data_bucket_name)
        self.artifacts_bucket = self._bucket("ArtifactsBucket", stateful.artifacts_bucket_name)
        self.checkpoints_bucket = self._bucket("CheckpointsBucket", stateful.checkpoints_bucket_name)
        self.tensorboard_bucket = self._bucket("TensorBoardBucket", stateful.tensorboard_bucket_name)

        self.execution_role = TrainingExecutionRole(
            self,
            "ExecutionRole",
            readable_buckets=[self.data_bucket],
            extra_readable_bucket_names=settings.extra_readable_buckets,
            writable_buckets=[self.artifacts_bucket, self.checkpoints_bucket, self.tensorboard_bucket],
            repository=self.repository,
            key=self.key,
            vpc_subnet_ids=settings.vpc_subnet_ids,
            vpc_security_group_ids=settings.vpc_security_group_ids,
            extra_image_repository_arns=settings.extra_image_repositories,
            extra_kms_key_arns=settings.extra_kms_key_arns,
        )
        CfnOutput(
            self,
            TrainingStackOutput.EXECUTION_ROLE_ARN.value,
            value=self.execution_role.role.role_arn,
            description="SageMaker execution role (the default `role` of a training request)",
        )
        self.workflow = TrainingWorkflow(
            self,
            "TrainingWorkflow",
            state_machine_name=settings.state_machine_name,
            execution_role=self.execution_role.role,
            default_image_uri=self.repository.repository_uri_for_tag(settings.default_image_tag),
            default_output_path=f"s3://{self.artifacts_bucket.bucket_name}/",
            default_checkpoint_s3_uri=f"s3://{self.checkpoints_bucket.bucket_name}/",
            readable_bucket_names=self.execution_role.readable_bucket_names,
            writable_bucket_names=self.execution_role.writable_bucket_names,
            request_bucket=self.data_bucket,
            request_prefix=settings.request_prefix,
            result_prefix=settings.result_prefix,
            key=self.key,
            max_capacity_retries=settings.max_capacity_retries,
            job_poll_seconds=settings.job_poll_seconds,
        )
        CfnOutput(
            self,
            TrainingStackOutput.STATE_MACHINE_ARN.value,
            value=self.workflow.state_machine.state_machine_arn,
            description="Training workflow: start an execution with a training request as input",
        )
        CfnOutput(
            self,
            TrainingStackOutput.PREPARE_FUNCTION_NAME.value,
            value=self.workflow.prepare_function.function_name,
            description="Prepare Lambda: its environment holds the defaults the workflow applies to a request",
        )
        # Where EventBridge puts the events it could not deliver: one queue per kind of target, for redrive.
        self.undelivered_trigger_events = UndeliveredEvents(
            self, "UndeliveredTriggerEvents", description="A trigger could not start the training workflow"
        )
        self.undelivered_job_events = UndeliveredEvents(
            self, "UndeliveredJobEvents", description="A training job's end could not reach the Notify function"
        )
        self.triggers = TrainingTriggers(
            self,
            "Triggers",
            state_machine=self.workflow.state_machine,
            data_bucket=self.data_bucket,
            request_prefix=settings.request_prefix,
            result_prefix=settings.result_prefix,
            repository=self.repository,
            image_tag_pattern=settings.image_tag_pattern,
            image_push_request=settings.image_push_request,
            schedule_expression=settings.training_schedule,
            scheduled_request=settings.triggered_scheduled_request,
            dead_letter_queue=self.undelivered_trigger_events.queue,
        )
        limit_events_role_to_account(self.workflow.state_machine)
        # The builder refuses an image the execution role could not pull: it needs the repositories' URIs.
        self.workflow.prepare_function.add_environment(
            PrepareEnvironment.IMAGE_REPOSITORIES.value,
            Fn.join(
                ",",
                [
                    self.repository.repository_uri,
                    *(repository_uri(arn) for arn in settings.extra_image_repositories),
                ],
            ),
        )
        # Prepare turns the triggers' events into requests: it needs their settings.
        for name, value in self.triggers.prepare_environment.items():
            self.workflow.prepare_function.add_environment(name, value)
        self.monitoring = TrainingMonitoring(
            self,
            "Monitoring",
            key=self.key,
            state_machine=self.workflow.state_machine,
            execution_role=self.execution_role.role,
            metrics_namespace=f"{settings.prefix}/{settings.environment}",
            notification_email=settings.notification_email,
            dead_letter_queue=self.undelivered_job_events.queue,
        )
        for undelivered in (self.undelivered_trigger_events, self.undelivered_job_events):
            undelivered.alarm_to(self.monitoring.topic)
        CfnOutput(
            self,
            TrainingStackOutput.NOTIFICATION_TOPIC_ARN.value,
            value=self.monitoring.topic.topic_arn,
            description="SNS topic told when a training job completes, fails or is stopped, and of alarms",
        )

    def _bucket(self, construct_id: str, bucket_name: str) -> s3.IBucket:
        return s3.Bucket.from_bucket_attributes(self, construct_id, bucket_name=bucket_name, encryption_key=self.key)
