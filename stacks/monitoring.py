"""Notifications and alarms: people hear how each training job ended, and when executions or jobs fail."""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from platform_contract import (
    FINAL_JOB_STATUSES,
    FINAL_TUNING_JOB_STATUSES,
    TRAINING_JOB_STATE_CHANGE,
    TUNING_JOB_STATE_CHANGE,
    NotifyEnvironment,
    TrainingJobStatus,
)
from stacks.platform_function import platform_function

_ALARM_PERIOD = Duration.minutes(5)


def cloudwatch_alarms_key_statement() -> iam.PolicyStatement:
    """The key policy statement CloudWatch needs to send alarms to a topic encrypted with that key.

    A key policy can only be changed where the key is defined: an imported key's owner must add it.
    """
    return iam.PolicyStatement(
        sid="CloudWatchAlarmsPublishToEncryptedTopics",
        principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions=["kms:Decrypt", "kms:GenerateDataKey*"],
        # In a key policy "*" is this key.
        resources=["*"],
        # Confused-deputy protection: only CloudWatch acting for this account's alarms.
        conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
    )


class TrainingMonitoring(Construct):
    """An SNS topic (encrypted with the project key) told about every finished training job of the platform
    (jobs run by its execution role), and alarms on failed workflow executions and failed training jobs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        state_machine: sfn.IStateMachine,
        execution_role: iam.IRole,
        metrics_namespace: str,
        notification_email: str | None,
        dead_letter_queue: sqs.IQueue | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Training platform notifications",
            master_key=key,
            enforce_ssl=True,
        )
        key.add_to_resource_policy(cloudwatch_alarms_key_statement(), allow_no_op=True)
        # The topic's own policy (SSL only) replaces SNS's default one: let this account's alarms publish.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        if notification_email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(notification_email))

        self.notify_function = self._notify_function(key, log_retention)
        # What the retries could not deliver goes to the dead-letter queue (stacks/event_delivery.py).
        notify = targets.LambdaFunction(
            self.notify_function, max_event_age=Duration.hours(6), retry_attempts=8, dead_letter_queue=dead_letter_queue
        )
        self.job_state_rule = events.Rule(
            self,
            "JobStateRule",
            description="A training job of the platform completed, failed or was stopped",
            event_pattern=events.EventPattern(
                source=[TRAINING_JOB_STATE_CHANGE[0]],
                detail_type=[TRAINING_JOB_STATE_CHANGE[1]],
                detail={"TrainingJobStatus": list(FINAL_JOB_STATUSES), "RoleArn": [execution_role.role_arn]},
            ),
            targets=[notify],
        )
        # A tuning job's training jobs run with the role of its training job definition.
        self.tuning_job_state_rule = events.Rule(
            self,
            "TuningStateRule",
            description="A tuning job of the platform completed, failed or was stopped",
            event_pattern=events.EventPattern(
                source=[TUNING_JOB_STATE_CHANGE[0]],
                detail_type=[TUNING_JOB_STATE_CHANGE[1]],
                detail={
                    "HyperParameterTuningJobStatus": list(FINAL_TUNING_JOB_STATUSES),
                    "TrainingJobDefinition": {"RoleArn": [execution_role.role_arn]},
                },
            ),
            targets=[notify],
        )

        self.failed_executions_alarm = self._alarm_on_any(
            "FailedExecutionsAlarm",
            "A training workflow execution failed (invalid input, job failed or stopped, SageMaker refused the request)",
            state_machine.metric_failed(period=_ALARM_PERIOD, statistic="Sum"),
        )
        # SageMaker publishes no job status metric: count the notifier's "Failed" lines instead.
        failed_jobs = logs.MetricFilter(
            self,
            "FailedJobsFilter",
            log_group=self.notify_log_group,
            filter_pattern=logs.FilterPattern.string_value("$.status", "=", TrainingJobStatus.FAILED.value),
            metric_namespace=metrics_namespace,
            metric_name="TrainingJobsFailed",
            metric_value="1",
            default_value=0,
        )
        self.failed_jobs_alarm = self._alarm_on_any(
            "FailedJobsAlarm",
            "A training job of the platform failed",
            failed_jobs.metric(period=_ALARM_PERIOD, statistic="Sum"),
        )

    def _alarm_on_any(self, construct_id: str, description: str, metric: cloudwatch.IMetric) -> cloudwatch.Alarm:
        """An alarm that tells the topic as soon as the metric counts one in a period."""
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=description,
            metric=metric,
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
        return alarm

    def _notify_function(self, key: kms.IKey, log_retention: logs.RetentionDays) -> lambda_.Function:
        function = platform_function(
            self,
            "Notify",
            handler="notify.handler",
            description="Formats SageMaker training job state changes for people and publishes them to SNS",
            role_description="Training job notifier: publish to the platform's topic, write its own logs",
            log_retention=log_retention,
            environment={NotifyEnvironment.TOPIC_ARN.value: self.topic.topic_arn},
        )
        self.notify_log_group = function.log_group
        function.add_to_role_policy(
            iam.PolicyStatement(sid="PublishNotifications", actions=["sns:Publish"], resources=[self.topic.topic_arn])
        )
        # Publishing to an encrypted topic makes SNS use the key on the publisher's behalf. Named actions only:
        # `grant_publish` would add kms:GenerateDataKey*.
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="EncryptNotifications", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn]
            )
        )
        return function
