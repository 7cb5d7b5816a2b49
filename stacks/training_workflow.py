"""The training workflow: a Step Functions state machine that turns an execution input (SPEC section 1)
into a SageMaker training job and runs it to the end.

States (the definition is `training_definition()`, a plain dict, so tests can run and validate it):

- Begin (Pass): sets the capacity-retry counter `$capacity_retries` to 0.
- Prepare (Task, lambda:invoke): the Lambda builds the CreateTrainingJob request from the EXECUTION
  input (`$states.context.Execution.Input`, not the state input, because a capacity retry comes back
  here with the state input of a failure). It validates everything and stamps a fresh job name on every
  call. Invalid input -> Fail `InvalidInput` (Error InvalidTrainingInput, Cause: one line per problem).
  Lambda service hiccups are retried; anything else -> Fail `PreparationFailed`.
- ChooseWait (Choice): `"wait": false` -> StartTrainingJob, otherwise RunTrainingJob.
- RunTrainingJob (Task, `sagemaker:createTrainingJob.sync`): SageMaker's optimized integration creates
  the job and follows it to its end (no polling Lambda, no Wait loop); stopping the execution makes Step
  Functions stop the training job. Output: job name and ARN, status, model artifact URI, final
  metrics, training and billable seconds, console links.
- StartTrainingJob (Task, `sagemaker:createTrainingJob`): creates the job and ends at once with its
  name, ARN and links.
- Both SageMaker tasks retry quota errors (SageMaker.ResourceLimitExceededException: minutes apart,
  waiting for running jobs to finish) and throttling (Step Functions reports SageMaker's
  ThrottlingException as the generic SageMaker.AmazonSageMakerException: a few quick retries).
- ClassifyFailure (Choice, after any RunTrainingJob error): a job that ended Stopped -> Fail
  `TrainingJobStopped`; Failed for lack of capacity, retries left and a generated job name (not the
  input's `job_name`) -> RetryWithFreshName (Pass: counter + 1, back to Prepare, which names a new
  job: the old name can never be reused); Failed ->
  Fail `TrainingJobFailed` (Cause: SageMaker's FailureReason); anything else (the API call itself
  failed) -> Fail `SageMakerRequestFailed` with the integration's own error and cause.

Query language: JSONata. The request's keys depend on the input (VpcConfig, CheckpointConfig,
DebugHookConfig ... appear only when used); with JSONPath a task's Parameters must spell out every key,
while JSONata's `"Arguments": "{% $states.input.request %}"` passes the built request through whole.
JSONata also gives variables (the retry counter, the links) and expressions in Fail states.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, Fn, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

LAMBDA_SOURCE = Path(__file__).resolve().parent.parent / "lambda"
CREATE_TRAINING_JOB_SYNC = "arn:aws:states:::sagemaker:createTrainingJob.sync"
CREATE_TRAINING_JOB = "arn:aws:states:::sagemaker:createTrainingJob"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
# The EventBridge rule Step Functions manages for `.sync` SageMaker training tasks.
SAGEMAKER_SYNC_RULE = "StepFunctionsGetEventsForSageMakerTrainingJobsRule"
# Words SageMaker puts in the FailureReason of a job it could not find instances for
# ("CapacityError: Unable to provision requested ML compute capacity", "InsufficientCapacityError").
_CAPACITY_FAILURE = "/CapacityError|InsufficientCapacity/"

_LAMBDA_SERVICE_RETRY = {
    "ErrorEquals": [
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    ],
    "IntervalSeconds": 2,
    "MaxAttempts": 6,
    "BackoffRate": 2,
    "JitterStrategy": "FULL",
}
_SAGEMAKER_RETRIES = [
    # Instance quota in use by other jobs: wait for them (1, 2, 4, 8, 15 minutes).
    {
        "ErrorEquals": ["SageMaker.ResourceLimitExceededException"],
        "IntervalSeconds": 60,
        "MaxAttempts": 5,
        "BackoffRate": 2,
        "MaxDelaySeconds": 900,
        "JitterStrategy": "FULL",
    },
    # Throttling arrives as the generic exception; so do validation errors, hence few attempts.
    {
        "ErrorEquals": ["SageMaker.AmazonSageMakerException"],
        "IntervalSeconds": 5,
        "MaxAttempts": 3,
        "BackoffRate": 2,
        "JitterStrategy": "FULL",
    },
]
_CATCH_ANY = {"ErrorEquals": ["States.ALL"], "Assign": {"failure": "{% $states.errorOutput %}"}}
# The `.sync` task fails with the job's DescribeTrainingJob response, as JSON, in its Cause.
_DESCRIBED_JOB = (
    "{% ($cause := $states.errorOutput.Cause; "
    "$contains($cause, /^\\s*\\{/) and $contains($cause, 'TrainingJobStatus') ? $parse($cause) : {}) %}"
)
_RUN_OUTPUT = (
    "{% ($job := $states.result; {"
    "'job_name': $job.TrainingJobName, "
    "'job_arn': $job.TrainingJobArn, "
    "'status': $job.TrainingJobStatus, "
    "'model_artifacts': $job.ModelArtifacts.S3ModelArtifacts, "
    "'final_metrics': $job.FinalMetricDataList ? $merge($job.FinalMetricDataList.{MetricName: Value}) : {}, "
    "'training_time_seconds': $job.TrainingTimeInSeconds, "
    "'billable_time_seconds': $job.BillableTimeInSeconds, "
    "'capacity_retries': $capacity_retries, "
    "'links': $links}) %}"
)


def training_definition(prepare_function_arn: str, max_capacity_retries: int) -> dict[str, object]:
    """The state machine definition (Amazon States Language, JSONata) as a dict."""
    return {
        "Comment": "Training request -> SageMaker training job, run to its end",
        "QueryLanguage": "JSONata",
        "StartAt": "Begin",
        "States": {
            "Begin": {"Type": "Pass", "Assign": {"capacity_retries": 0}, "Next": "Prepare"},
            "Prepare": {
                "Type": "Task",
                "Resource": LAMBDA_INVOKE,
                "Arguments": {
                    "FunctionName": prepare_function_arn,
                    "Payload": {"input": "{% $states.context.Execution.Input %}"},
                },
                "TimeoutSeconds": 120,
                "Retry": [_LAMBDA_SERVICE_RETRY],
                "Catch": [
                    {**_CATCH_ANY, "ErrorEquals": ["InvalidTrainingInput"], "Next": "InvalidInput"},
                    {**_CATCH_ANY, "Next": "PreparationFailed"},
                ],
                "Assign": {"job_name": "{% $states.result.Payload.job_name %}", "links": "{% $states.result.Payload.links %}"},
                "Output": "{% $states.result.Payload %}",
                "Next": "ChooseWait",
            },
            "ChooseWait": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.wait = false %}", "Next": "StartTrainingJob"}],
                "Default": "RunTrainingJob",
            },
            "RunTrainingJob": {
                "Type": "Task",
                "Resource": CREATE_TRAINING_JOB_SYNC,
                "Arguments": "{% $states.input.request %}",
                "Retry": _SAGEMAKER_RETRIES,
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Assign": {"failure": "{% $states.errorOutput %}", "job": _DESCRIBED_JOB},
                        "Next": "ClassifyFailure",
                    }
                ],
                "Output": _RUN_OUTPUT,
                "End": True,
            },
            "StartTrainingJob": {
                "Type": "Task",
                "Resource": CREATE_TRAINING_JOB,
                "Arguments": "{% $states.input.request %}",
                "Retry": _SAGEMAKER_RETRIES,
                "Catch": [{**_CATCH_ANY, "Next": "SageMakerRequestFailed"}],
                "Output": (
                    "{% {'job_name': $job_name, 'job_arn': $states.result.TrainingJobArn, "
                    "'status': 'InProgress', 'links': $links} %}"
                ),
                "End": True,
            },
            "ClassifyFailure": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $job.TrainingJobStatus = 'Stopped' %}", "Next": "TrainingJobStopped"},
                    {
                        "Condition": (
                            "{% $job.TrainingJobStatus = 'Failed' "
                            f"and $contains($job.FailureReason, {_CAPACITY_FAILURE}) "
                            f"and $capacity_retries < {max_capacity_retries} "
                            # A name the user chose cannot be changed, and a second job under it is refused.
                            "and $not($exists($states.context.Execution.Input.job_name)) %}"
                        ),
                        "Next": "RetryWithFreshName",
                    },
                    {"Condition": "{% $job.TrainingJobStatus = 'Failed' %}", "Next": "TrainingJobFailed"},
                ],
                "Default": "SageMakerRequestFailed",
            },
            "RetryWithFreshName": {
                "Type": "Pass",
                "Assign": {"capacity_retries": "{% $capacity_retries + 1 %}"},
                "Next": "Prepare",
            },
            "InvalidInput": {
                "Type": "Fail",
                "Error": "InvalidTrainingInput",
                # The Lambda's error Cause is {"errorMessage", "errorType", "stackTrace"}: keep the message.
                "Cause": "{% $parse($failure.Cause).errorMessage %}",
            },
            "PreparationFailed": {"Type": "Fail", "Error": "{% $failure.Error %}", "Cause": "{% $failure.Cause %}"},
            "TrainingJobFailed": {
                "Type": "Fail",
                "Error": "TrainingJobFailed",
                "Cause": (
                    "{% 'Training job ' & $job.TrainingJobName & ' failed: ' & $job.FailureReason"
                    " & ($capacity_retries > 0 ? ' (after ' & $capacity_retries & ' retries with a fresh job name)' : '') %}"
                ),
            },
            "TrainingJobStopped": {
                "Type": "Fail",
                "Error": "TrainingJobStopped",
                "Cause": (
                    "{% 'Training job ' & $job.TrainingJobName & ' was stopped (' & $job.SecondaryStatus & ')'"
                    " & ($job.FailureReason ? ': ' & $job.FailureReason : '') %}"
                ),
            },
            "SageMakerRequestFailed": {"Type": "Fail", "Error": "{% $failure.Error %}", "Cause": "{% $failure.Cause %}"},
        },
    }


class TrainingWorkflow(Construct):
    """The Prepare Lambda and the state machine, each with its own least-privilege role and log group.

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
        execution_role: iam.IRole,
        default_image_uri: str,
        default_output_path: str,
        default_checkpoint_s3_uri: str,
        readable_bucket_names: Sequence[str],
        writable_bucket_names: Sequence[str],
        max_capacity_retries: int = 2,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.prepare_function = self._prepare_function(
            log_retention,
            {
                "DEFAULT_ROLE_ARN": execution_role.role_arn,
                "DEFAULT_IMAGE_URI": default_image_uri,
                "DEFAULT_OUTPUT_PATH": default_output_path,
                "DEFAULT_CHECKPOINT_S3_URI": default_checkpoint_s3_uri,
                "READABLE_BUCKETS": Fn.join(",", list(readable_bucket_names)),
                "WRITABLE_BUCKETS": Fn.join(",", list(writable_bucket_names)),
            },
        )
        self.role = iam.Role(
            self,
            "StateMachineRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Step Functions training workflow: create and follow SageMaker training jobs",
        )
        self._grant_training_jobs(self.role, execution_role)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokePrepare",
                actions=["lambda:InvokeFunction"],
                resources=[self.prepare_function.function_arn],
            )
        )
        self.log_group = logs.LogGroup(self, "ExecutionLogs", retention=log_retention)
        stack = Stack.of(self)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="Start a SageMaker training from an Estimator/fit() style JSON input (see the README)",
            definition_body=sfn.DefinitionBody.from_string(
                stack.to_json_string(training_definition(self.prepare_function.function_arn, max_capacity_retries))
            ),
            state_machine_type=sfn.StateMachineType.STANDARD,
            role=self.role,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        self._acknowledge_wildcards_aws_requires()

    def _prepare_function(self, log_retention: logs.RetentionDays, environment: dict[str, str]) -> lambda_.Function:
        log_group = logs.LogGroup(self, "PrepareLogs", retention=log_retention)
        role = iam.Role(
            self,
            "PrepareRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Prepare step of the training workflow: no AWS access beyond its logs and traces",
        )
        log_group.grant_write(role)
        return lambda_.Function(
            self,
            "Prepare",
            description="Builds and validates the CreateTrainingJob request of a training workflow execution",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler="prepare_training.handler",
            code=lambda_.Code.from_asset(
                str(LAMBDA_SOURCE), exclude=["tests", "**/__pycache__", "**/*.pyc", ".pytest_cache"]
            ),
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            memory_size=256,
            timeout=Duration.seconds(30),
            environment=environment,
            # No reserved concurrency: reserving any in an account at the default limit of 10 fails the
            # deployment, and one invocation per execution (plus capacity retries) needs no protection.
        )

    def _grant_training_jobs(self, role: iam.Role, execution_role: iam.IRole) -> None:
        stack = Stack.of(self)
        training_jobs = stack.format_arn(service="sagemaker", resource="training-job", resource_name="*")
        # Only jobs carrying CER=1 (the platform appends it to every request): the tag condition holds
        # for CreateTrainingJob and for the AddTags authorization SageMaker performs when a create carries tags.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="CreateTaggedTrainingJobs",
                actions=["sagemaker:CreateTrainingJob", "sagemaker:AddTags"],
                resources=[training_jobs],
                conditions={"StringEquals": {"aws:RequestTag/CER": "1"}},
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
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ManageSyncEventRule",
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[stack.format_arn(service="events", resource="rule", resource_name=SAGEMAKER_SYNC_RULE)],
            )
        )

    def _acknowledge_wildcards_aws_requires(self) -> None:
        training_jobs = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:training-job/*"
        _acknowledge(
            self.role,
            f"AwsSolutions-IAM5[Resource::{training_jobs}]",
            "Training job names are generated per execution (a fresh one on every capacity retry), so the "
            "jobs are only known as training-job/* in this account and region; creation is further limited "
            "to requests tagged CER=1.",
        )
        _acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray trace delivery and the CloudWatch Logs delivery APIs Step Functions uses for execution "
            "logging have no resource-level permissions: AWS requires Resource '*'.",
        )
        _acknowledge(
            self.prepare_function.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions: AWS requires Resource '*'.",
        )
        _acknowledge(
            self.prepare_function,
            "AwsSolutions-L1",
            "Python 3.13 is the runtime the team pinned for the handler (stdlib + boto3 only); move to the "
            "newest runtime in a deliberate upgrade, not on every CDK release.",
        )


def _acknowledge(construct: Construct | None, rule: str, reason: str) -> None:
    assert construct is not None
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
