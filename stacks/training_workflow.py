"""The training workflow construct: the state machine (its definition is stacks/training_definition.py),
the Prepare and WriteResult Lambdas it invokes, and each one's least-privilege role and log group."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, ArnFormat, Fn, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from platform_contract import (
    COST_TAG_KEY,
    COST_TAG_VALUE,
    SAGEMAKER_TRAINING_SYNC_RULE,
    SAGEMAKER_TUNING_SYNC_RULE,
    PrepareEnvironment,
    WriteResultEnvironment,
)
from stacks.nag import acknowledge_wildcard_resources
from stacks.platform_function import platform_function
from stacks.training_definition import training_definition


class TrainingWorkflow(Construct):
    """The state machine and the Prepare and WriteResult Lambdas, each with its own least-privilege role and log group.

    Logging: the state machine logs ALL events (every state entered, every failure) but NOT execution
    data (`include_execution_data=False`). Inputs may carry secrets in `environment` and the built
    request repeats them, so no input, output, error cause or request reaches CloudWatch Logs; the
    execution history in the Step Functions console still shows them, behind IAM, for 90 days. The
    Lambda logs nothing of its own; only an unhandled error's message goes to its log group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine_name: str,
        execution_role: iam.IRole,
        default_image_uri: str,
        default_output_path: str,
        default_checkpoint_s3_uri: str,
        readable_bucket_names: Sequence[str],
        writable_bucket_names: Sequence[str],
        request_bucket: s3.IBucket,
        request_prefix: str,
        result_prefix: str,
        key: kms.IKey,
        max_capacity_retries: int = 2,
        job_poll_seconds: int = 60,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.prepare_function = platform_function(
            self,
            "Prepare",
            handler="prepare.handler",
            description="Builds and validates the CreateTrainingJob request of a training workflow execution",
            role_description="Prepare step of the training workflow: read request files, write its logs and traces",
            log_retention=log_retention,
            environment={
                PrepareEnvironment.DEFAULT_ROLE_ARN.value: execution_role.role_arn,
                PrepareEnvironment.DEFAULT_IMAGE_URI.value: default_image_uri,
                PrepareEnvironment.DEFAULT_OUTPUT_PATH.value: default_output_path,
                PrepareEnvironment.DEFAULT_CHECKPOINT_S3_URI.value: default_checkpoint_s3_uri,
                # Outputs, checkpoints and volumes are encrypted with the project key unless the input names one.
                PrepareEnvironment.DEFAULT_KMS_KEY_ARN.value: key.key_arn,
                PrepareEnvironment.READABLE_BUCKETS.value: Fn.join(",", list(readable_bucket_names)),
                PrepareEnvironment.WRITABLE_BUCKETS.value: Fn.join(",", list(writable_bucket_names)),
                PrepareEnvironment.REQUEST_PREFIX.value: request_prefix,
            },
        )
        self.write_result_function = platform_function(
            self,
            "WriteResult",
            handler="write_result.handler",
            description="Writes the outcome of a request-file training under the result prefix, at the request's path",
            role_description="Result writer of the training workflow: write result files under the result prefix",
            log_retention=log_retention,
            environment={
                WriteResultEnvironment.REQUEST_PREFIX.value: request_prefix,
                WriteResultEnvironment.RESULT_PREFIX.value: result_prefix,
            },
        )
        self._grant_request_files(request_bucket, request_prefix, result_prefix, key)
        stack = Stack.of(self)
        self.role = iam.Role(
            self,
            "StateMachineRole",
            # Confused-deputy protection as Step Functions documents it: only this account's state machine of this
            # name (the name is fixed, so its ARN is known before the state machine exists).
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="states",
                            resource="stateMachine",
                            resource_name=state_machine_name,
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            ),
            description="Step Functions training workflow: create and follow SageMaker training and tuning jobs",
        )
        self._grant_training_jobs(self.role, execution_role)
        self._grant_tuning_jobs(self.role)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeWorkflowFunctions",
                actions=["lambda:InvokeFunction"],
                resources=[self.prepare_function.function_arn, self.write_result_function.function_arn],
            )
        )
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=execution_log_group_name(state_machine_name, stack),
            retention=log_retention,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=state_machine_name,
            comment="Start a SageMaker training from an Estimator/fit() style JSON input or a trigger event (see the README)",
            definition_body=sfn.DefinitionBody.from_string(
                stack.to_json_string(
                    training_definition(
                        self.prepare_function.function_arn,
                        max_capacity_retries,
                        self.write_result_function.function_arn,
                        job_poll_seconds=job_poll_seconds,
                        partition=stack.partition,
                    )
                )
            ),
            state_machine_type=sfn.StateMachineType.STANDARD,
            role=self.role,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        self._acknowledge_wildcards_aws_requires()

    def _grant_request_files(self, bucket: s3.IBucket, request_prefix: str, result_prefix: str, key: kms.IKey) -> None:
        """Prepare reads request files (any version) under the request prefix; the writer writes only under the
        result prefix, never under the request prefix (the two never contain one another: stacks/settings.py).

        The data bucket is encrypted with the project key: S3 uses it on the functions' behalf, and only S3 may.
        """
        via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"}}
        prepare_role, writer_role = self.prepare_function.role, self.write_result_function.role
        assert prepare_role is not None and writer_role is not None
        request_files = bucket.arn_for_objects(f"{request_prefix}*")
        result_files = bucket.arn_for_objects(f"{result_prefix}*")
        prepare_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadRequestFiles", actions=["s3:GetObject", "s3:GetObjectVersion"], resources=[request_files]
            )
        )
        prepare_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DecryptRequestFiles", actions=["kms:Decrypt"], resources=[key.key_arn], conditions=via_s3
            )
        )
        writer_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteResultFiles",
                actions=["s3:PutObject"],
                # platform_contract.result_key: `<result prefix><path>` for `<request prefix><path>`.
                resources=[result_files],
            )
        )
        writer_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="EncryptResultFiles", actions=["kms:GenerateDataKey"], resources=[key.key_arn], conditions=via_s3
            )
        )
        acknowledge_wildcard_resources(
            prepare_role,
            [request_files],
            "Request files are any objects users put under the request prefix: their names are only known as <prefix>*.",
        )
        acknowledge_wildcard_resources(
            writer_role,
            [result_files],
            "Result files mirror the paths of the request files users choose: only known as <result prefix>*.",
        )

    def _grant_training_jobs(self, role: iam.Role, execution_role: iam.IRole) -> None:
        stack = Stack.of(self)
        training_jobs = stack.format_arn(service="sagemaker", resource="training-job", resource_name="*")
        self._training_jobs = training_jobs
        role.add_to_policy(
            iam.PolicyStatement(
                sid="CreateTaggedTrainingJobs",
                actions=["sagemaker:CreateTrainingJob"],
                resources=[training_jobs],
                conditions=job_creation_conditions(),
            )
        )
        tuning_jobs = stack.format_arn(service="sagemaker", resource="hyper-parameter-tuning-job", resource_name="*")
        self._tuning_jobs = tuning_jobs
        # AWS's policy for the SageMaker integration grants these two without a tag condition: Step Functions
        # tags the jobs it creates itself (its own tag, without the cost tag), and reads jobs' tags back.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="TagTrainingAndTuningJobs",
                actions=["sagemaker:AddTags", "sagemaker:ListTags"],
                resources=[training_jobs, tuning_jobs],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="FollowAndStopTrainingJobs",
                actions=["sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"],
                resources=[training_jobs],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PassExecutionRoleToSageMaker",
                actions=["iam:PassRole"],
                resources=[execution_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        # The rules Step Functions manages for `.sync` training and tuning tasks.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ManageSyncEventRules",
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    stack.format_arn(service="events", resource="rule", resource_name=rule)
                    for rule in (SAGEMAKER_TRAINING_SYNC_RULE, SAGEMAKER_TUNING_SYNC_RULE)
                ],
            )
        )

    def _grant_tuning_jobs(self, role: iam.Role) -> None:
        """What `createHyperParameterTuningJob(.sync)` needs, as AWS's policy for the SageMaker integration lists it,
        under the conditions training jobs are created with. Tagging, the managed rule and the execution role passed
        to SageMaker are granted with the training jobs' (`_grant_training_jobs`); so is describing the best
        training job."""
        tuning_jobs = self._tuning_jobs
        role.add_to_policy(
            iam.PolicyStatement(
                sid="CreateTaggedTuningJobs",
                actions=["sagemaker:CreateHyperParameterTuningJob"],
                resources=[tuning_jobs],
                conditions=job_creation_conditions(),
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="FollowAndStopTuningJobs",
                actions=[
                    "sagemaker:DescribeHyperParameterTuningJob",
                    "sagemaker:StopHyperParameterTuningJob",
                    "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                ],
                resources=[tuning_jobs],
            )
        )

    def _acknowledge_wildcards_aws_requires(self) -> None:
        # Named as the synthesized ARN renders (the partition is a literal where the region is known).
        acknowledge_wildcard_resources(
            self.role,
            [self._training_jobs],
            "Training job names are generated per execution (a fresh one on every capacity retry), so the "
            "jobs are only known as training-job/* in this account and region; creation is further limited "
            f"to requests tagged {COST_TAG_KEY}={COST_TAG_VALUE}.",
        )
        acknowledge_wildcard_resources(
            self.role,
            [self._tuning_jobs],
            "Tuning job names are generated per execution, so the tuning jobs are only known as "
            "hyper-parameter-tuning-job/* in this account and region; creation is further limited to requests "
            f"tagged {COST_TAG_KEY}={COST_TAG_VALUE}.",
        )
        _acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray trace delivery and the CloudWatch Logs delivery APIs Step Functions uses for execution "
            "logging have no resource-level permissions: AWS requires Resource '*'.",
        )


def job_creation_conditions() -> dict[str, object]:
    """The conditions under which the state machine may create a job, training or tuning: only jobs carrying the
    cost tag (the platform appends it to every request)."""
    return {"StringEquals": {f"aws:RequestTag/{COST_TAG_KEY}": COST_TAG_VALUE}}


def execution_log_group_name(state_machine_name: str, stack: Stack) -> str:
    """`/aws/vendedlogs/states/<state machine>-<stack id>`.

    Step Functions adds every logging state machine's log group to the account's CloudWatch Logs resource
    policy, which is limited to 5,120 characters: in a busy account the deployment fails. Log groups under
    `/aws/vendedlogs/` need no entry there. The stack's id (a fresh UUID per stack creation) keeps the name
    free after `cdk destroy`, which keeps the old group.
    """
    stack_uuid = Fn.select(2, Fn.split("/", stack.stack_id))
    return f"/aws/vendedlogs/states/{state_machine_name}-{stack_uuid}"


def _acknowledge(construct: Construct | None, rule: str, reason: str) -> None:
    assert construct is not None
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
