"""How EventBridge delivers the platform's events to their targets: the role it assumes to start the workflow
(limited to this account), and where an event goes when every delivery attempt failed.

An event that EventBridge could not deliver (the target throttled, refused or missing for longer than the
target's retry policy allows) is sent to a dead-letter queue instead of being dropped: one queue for the
events that should have started the workflow, one for the job state changes that should have reached Notify,
so each queue's messages are redriven to one target (docs/triggers.md). An alarm tells the platform's topic as
soon as a message waits in either.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# The role the CDK creates for EventBridge to start a state machine (aws_events_targets.SfnStateMachine), as a
# child of the state machine, shared by every rule that targets it.
_STATE_MACHINE_EVENTS_ROLE = "EventsRole"
# SQS's longest retention: undelivered events wait two weeks for someone to redrive them.
UNDELIVERED_EVENT_RETENTION = Duration.days(14)
_ALARM_PERIOD = Duration.minutes(5)


class UndeliveredEvents(Construct):
    """A dead-letter queue for one kind of target, and the alarm that says a message waits in it.

    Pass `queue` as the `dead_letter_queue` of the targets: the CDK then adds the queue policy EventBridge needs
    (sqs:SendMessage for events.amazonaws.com, only from those rules: aws:SourceArn).
    """

    def __init__(self, scope: Construct, construct_id: str, *, description: str) -> None:
        super().__init__(scope, construct_id)
        self.description = description
        self.queue = sqs.Queue(
            self,
            "Queue",
            # SQS-managed keys: EventBridge can send to the queue without a grant in a key policy (an imported
            # project key's policy is not ours to change).
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=UNDELIVERED_EVENT_RETENTION,
            # Destroyed with the training stack, which holds no data: the queue holds only notices of what happened
            # to data that stays (request files in S3, images in ECR, jobs in SageMaker). A retained queue would be
            # orphaned, since a redeployed stack creates a new one; redrive or read it before destroying the stack.
            removal_policy=RemovalPolicy.DESTROY,
        )
        Validations.of(self.queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="This queue is itself a dead-letter queue (of EventBridge targets): it needs none of its own.",
            )
        )

    def alarm_to(self, topic: sns.ITopic) -> cloudwatch.Alarm:
        """An alarm that tells the topic as soon as an undelivered event waits in the queue."""
        alarm = cloudwatch.Alarm(
            self,
            "Alarm",
            alarm_description=f"{self.description}: an event could not be delivered and waits in the dead-letter "
            "queue (see docs/triggers.md to redrive it)",
            metric=self.queue.metric_approximate_number_of_messages_visible(period=_ALARM_PERIOD, statistic="Maximum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
        return alarm


def limit_events_role_to_account(state_machine: Construct) -> None:
    """Confused-deputy protection on the trust policy of the role EventBridge assumes to start the workflow:
    only EventBridge acting for this account (the rules are this account's)."""
    role = state_machine.node.try_find_child(_STATE_MACHINE_EVENTS_ROLE)
    if not isinstance(role, iam.Role):
        raise ValueError("no EventBridge role on the state machine: add the rules' targets first")
    cfn_role = role.node.default_child
    assert isinstance(cfn_role, iam.CfnRole)
    # The CDK's trust policy has one statement (events.amazonaws.com may sts:AssumeRole); its constructor offers no
    # condition, so the synthesized statement gets it.
    cfn_role.add_property_override(
        "AssumeRolePolicyDocument.Statement.0.Condition", {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
    )
