"""The training workflow: a Step Functions state machine that turns an execution input (SPEC section 1, or
an EventBridge event of the triggers: request file, image push, schedule) into a SageMaker training job and
runs it to the end.

States (the definition is `training_definition()`, a plain dict, so tests can run and validate it):

- Begin (Pass): sets the retry counters `$capacity_retries` and `$name_retries` to 0.
- Prepare (Task, lambda:invoke): the Lambda recognises the EXECUTION input (`$states.context.Execution.Input`,
  not the state input, because a retry comes back here with the state input of a failure), reads a request
  file, builds and validates the CreateTrainingJob request and names the job: after the event for event
  triggers (the same event always gives the same name; a capacity retry another name derived from it),
  else the input's `job_name` or a fresh generated one. Invalid console input -> Fail `InvalidInput`
  (Error InvalidTrainingInput, Cause: one line per problem). Lambda hiccups are retried; anything else
  -> Fail `PreparationFailed`. `$prepared` keeps the Lambda's result for the later states.
- Route (Choice): an ignored event (a result file, a tag that does not match) -> Succeed `Ignored` at
  once; an invalid request file -> its errors are reported (below), then Fail `InvalidInput`;
  `"wait": false` -> StartTrainingJob; otherwise RunTrainingJob.
- RunTrainingJob (Task, `sagemaker:createTrainingJob.sync`): SageMaker's optimized integration creates
  the job and follows it to its end (no polling Lambda, no Wait loop); stopping the execution makes Step
  Functions stop the training job. Output: job name and ARN, status, model artifact URI, final
  metrics, training and billable seconds, console links.
- StartTrainingJob (Task, `sagemaker:createTrainingJob`): creates the job and ends with its name, ARN, links.
- Both SageMaker tasks retry quota errors (SageMaker.ResourceLimitExceededException: minutes apart,
  waiting for running jobs to finish) and throttling (Step Functions reports SageMaker's
  ThrottlingException as the generic SageMaker.AmazonSageMakerException: a few quick retries).
- ClassifyFailure (Choice, after any SageMaker task error): a job that ended Stopped -> `TrainingJobStopped`;
  Failed for lack of capacity, retries left and a name not chosen by the user -> RetryWithFreshName (Pass:
  counter + 1, back to Prepare, which names a new job: the old name can never be reused); Failed ->
  `TrainingJobFailed` (Cause: SageMaker's FailureReason). The job name already in use (ResourceInUse):
  for an event-derived name the event was delivered before -> Succeed `Duplicate` (exactly one job per
  event); for a generated name two executions met in one millisecond -> RetryWithNewName (bounded); for
  the user's `job_name` -> Fail `JobNameInUse`. Anything else (SageMaker refused the request) -> Fail
  `SageMakerRequestFailed` with the integration's own error and cause.
- ReportOutcome / WriteResult / Conclude: every outcome of a request-file execution (completed, started,
  failed, stopped, invalid, duplicate, refused) is written beside the request file by the result-writer
  Lambda (`lambda/request_files.py`), then Conclude routes to the end state the outcome named in `$ending`.
  A result that cannot be written fails the execution (`ResultNotWritten`), naming the outcome.

Query language: JSONata. The request's keys depend on the input (VpcConfig, CheckpointConfig,
DebugHookConfig ... appear only when used); with JSONPath a task's Parameters must spell out every key,
while JSONata's `"Arguments": "{% $states.input.request %}"` passes the built request through whole.
JSONata also gives variables (the retry counters, the prepared job, the outcome) and expressions in Fail states.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Fn, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct
from platform_contract import COST_TAG_KEY, COST_TAG_VALUE, PrepareEnvironment

from stacks.nag import acknowledge_wildcard_resources
from stacks.platform_function import platform_function

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
# A Lambda's unhandled error comes with Cause = {"errorMessage", "errorType", "stackTrace"} as JSON: keep the
# message, never the traceback. Other causes (States.Timeout, Lambda service errors) are kept as they are.
_LAMBDA_FAILURE = (
    "{% ($cause := $states.errorOutput.Cause; "
    "$message := $contains($cause, /^\\s*\\{/) ? $parse($cause).errorMessage; "
    "{'Error': $states.errorOutput.Error, 'Cause': $message ? $message : $cause}) %}"
)
_CATCH_LAMBDA_FAILURE = {"ErrorEquals": ["States.ALL"], "Assign": {"failure": _LAMBDA_FAILURE}}
# The `.sync` task fails with the job's DescribeTrainingJob response, as JSON, in its Cause.
_DESCRIBED_JOB = (
    "{% ($cause := $states.errorOutput.Cause; "
    "$contains($cause, /^\\s*\\{/) and $contains($cause, 'TrainingJobStatus') ? $parse($cause) : {}) %}"
)
# A job of that name exists. Step Functions names SageMaker's modelled ResourceInUse error
# SageMaker.ResourceInUseException; errors it reports generically (SageMaker.AmazonSageMakerException)
# carry SageMaker's error code and message in the Cause, so both forms are recognised.
_NAME_IN_USE = (
    "{% $states.errorOutput.Error = 'SageMaker.ResourceInUseException' or "
    "($contains($states.errorOutput.Error, 'SageMaker') and "
    "$contains($states.errorOutput.Cause, /Error Code: ResourceInUse|must be unique/)) %}"
)
_CATCH_SAGEMAKER_FAILURE = {
    "ErrorEquals": ["States.ALL"],
    "Assign": {"failure": "{% $states.errorOutput %}", "job": _DESCRIBED_JOB, "name_in_use": _NAME_IN_USE},
    "Next": "ClassifyFailure",
}
# Generated names collide only when executions start in the same millisecond: a few fresh tries suffice.
_MAX_NAME_COLLISION_RETRIES = 3
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
    "'links': $prepared.links}) %}"
)


def training_definition(
    prepare_function_arn: str, max_capacity_retries: int, write_result_function_arn: str
) -> dict[str, object]:
    """The state machine definition (Amazon States Language, JSONata) as a dict."""
    return {
        "Comment": "Training request or event -> SageMaker training job, run to its end",
        "QueryLanguage": "JSONata",
        "StartAt": "Begin",
        "States": {
            "Begin": {"Type": "Pass", "Assign": {"capacity_retries": 0, "name_retries": 0}, "Next": "Prepare"},
            "Prepare": {
                "Type": "Task",
                "Resource": LAMBDA_INVOKE,
                "Arguments": {
                    "FunctionName": prepare_function_arn,
                    "Payload": {
                        "input": "{% $states.context.Execution.Input %}",
                        # An event-named job's capacity retry gets a fresh name still derived from the event.
                        "capacity_retries": "{% $capacity_retries %}",
                    },
                },
                "TimeoutSeconds": 120,
                "Retry": [_LAMBDA_SERVICE_RETRY],
                "Catch": [
                    {
                        **_CATCH_ANY,
                        "ErrorEquals": ["InvalidTrainingInput"],
                        # The Lambda's error Cause is {"errorMessage", "errorType", "stackTrace"}: keep the message.
                        "Assign": {"invalid_errors": "{% $parse($states.errorOutput.Cause).errorMessage %}"},
                        "Next": "InvalidInput",
                    },
                    {**_CATCH_LAMBDA_FAILURE, "Next": "PreparationFailed"},
                ],
                "Assign": {"prepared": "{% $states.result.Payload %}"},
                "Output": "{% $states.result.Payload %}",
                "Next": "Route",
            },
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": "{% $exists($states.input.ignored) %}", "Next": "Ignored"},
                    {
                        # Only request files come back invalid (console input raises): write the errors beside it.
                        "Condition": "{% $exists($states.input.invalid) %}",
                        "Assign": {
                            "ending": "InvalidInput",
                            "invalid_errors": "{% $join($states.input.invalid, '\\n') %}",
                            "report": "{% {'status': 'Invalid', 'errors': $states.input.invalid} %}",
                        },
                        "Next": "ReportOutcome",
                    },
                    {"Condition": "{% $states.input.wait = false %}", "Next": "StartTrainingJob"},
                ],
                "Default": "RunTrainingJob",
            },
            "RunTrainingJob": {
                "Type": "Task",
                "Resource": CREATE_TRAINING_JOB_SYNC,
                "Arguments": "{% $states.input.request %}",
                "Retry": _SAGEMAKER_RETRIES,
                "Catch": [_CATCH_SAGEMAKER_FAILURE],
                "Assign": {
                    "ending": "Completed",
                    "summary": _RUN_OUTPUT,
                    "report": (
                        "{% {'status': 'Completed', 'model_artifacts': $states.result.ModelArtifacts.S3ModelArtifacts, "
                        "'links': $prepared.links} %}"
                    ),
                },
                "Next": "ReportOutcome",
            },
            "StartTrainingJob": {
                "Type": "Task",
                "Resource": CREATE_TRAINING_JOB,
                "Arguments": "{% $states.input.request %}",
                "Retry": _SAGEMAKER_RETRIES,
                "Catch": [_CATCH_SAGEMAKER_FAILURE],
                "Assign": {
                    "ending": "Started",
                    "summary": (
                        "{% {'job_name': $prepared.job_name, 'job_arn': $states.result.TrainingJobArn, "
                        "'status': 'InProgress', 'links': $prepared.links} %}"
                    ),
                    "report": "{% {'status': 'InProgress', 'links': $prepared.links} %}",
                },
                "Next": "ReportOutcome",
            },
            "ClassifyFailure": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Condition": "{% $job.TrainingJobStatus = 'Stopped' %}",
                        "Assign": {
                            "ending": "TrainingJobStopped",
                            # One expression per report: a key whose value is undefined is left out.
                            "report": (
                                "{% {'status': 'Stopped', 'failure_reason': $job.FailureReason ? $job.FailureReason : "
                                "$job.SecondaryStatus, 'model_artifacts': $job.ModelArtifacts.S3ModelArtifacts, "
                                "'links': $prepared.links} %}"
                            ),
                        },
                        "Next": "ReportOutcome",
                    },
                    {
                        "Condition": (
                            "{% $job.TrainingJobStatus = 'Failed' "
                            f"and $contains($job.FailureReason, {_CAPACITY_FAILURE}) "
                            f"and $capacity_retries < {max_capacity_retries} "
                            # A name the user chose cannot be changed, and a second job under it is refused.
                            "and $prepared.job_name_origin != 'input' %}"
                        ),
                        "Next": "RetryWithFreshName",
                    },
                    {
                        "Condition": "{% $job.TrainingJobStatus = 'Failed' %}",
                        "Assign": {
                            "ending": "TrainingJobFailed",
                            "report": "{% {'status': 'Failed', 'failure_reason': $job.FailureReason, 'links': $prepared.links} %}",
                        },
                        "Next": "ReportOutcome",
                    },
                    {
                        # The event was delivered before: its job exists under the name derived from it.
                        "Condition": "{% $name_in_use and $prepared.job_name_origin = 'event' %}",
                        "Assign": {"ending": "Duplicate", "report": "{% {'status': 'Duplicate', 'links': $prepared.links} %}"},
                        "Next": "ReportOutcome",
                    },
                    {
                        # Two executions generated the same SDK-form name in the same millisecond.
                        "Condition": (
                            f"{{% $name_in_use and $prepared.job_name_origin = 'generated' "
                            f"and $name_retries < {_MAX_NAME_COLLISION_RETRIES} %}}"
                        ),
                        "Next": "RetryWithNewName",
                    },
                    {"Condition": "{% $name_in_use %}", "Next": "JobNameInUse"},
                ],
                "Default": "RequestRefused",
            },
            "RetryWithFreshName": {
                "Type": "Pass",
                "Assign": {"capacity_retries": "{% $capacity_retries + 1 %}"},
                "Next": "Prepare",
            },
            "RetryWithNewName": {
                "Type": "Pass",
                "Assign": {"name_retries": "{% $name_retries + 1 %}"},
                "Next": "Prepare",
            },
            "RequestRefused": {
                "Type": "Pass",
                "Assign": {
                    "ending": "SageMakerRequestFailed",
                    "report": "{% {'status': 'Failed', 'failure_reason': $failure.Error & ': ' & $failure.Cause} %}",
                },
                "Next": "ReportOutcome",
            },
            "ReportOutcome": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $type($prepared.request_file) = 'object' %}", "Next": "WriteResult"}],
                "Default": "Conclude",
            },
            "WriteResult": {
                "Type": "Task",
                "Resource": LAMBDA_INVOKE,
                "Arguments": {
                    "FunctionName": write_result_function_arn,
                    "Payload": (
                        "{% $merge([$report, {'request_file': $prepared.request_file, 'job_name': $prepared.job_name, "
                        "'execution_arn': $states.context.Execution.Id}]) %}"
                    ),
                },
                "TimeoutSeconds": 60,
                "Retry": [_LAMBDA_SERVICE_RETRY],
                "Catch": [{**_CATCH_LAMBDA_FAILURE, "Next": "ResultNotWritten"}],
                "Next": "Conclude",
            },
            "Conclude": {
                "Type": "Choice",
                "Choices": [
                    {"Condition": f"{{% $ending = '{ending}' %}}", "Next": ending}
                    for ending in (
                        "Completed",
                        "Started",
                        "Duplicate",
                        "InvalidInput",
                        "TrainingJobFailed",
                        "TrainingJobStopped",
                    )
                ],
                "Default": "SageMakerRequestFailed",
            },
            "Completed": {"Type": "Succeed", "Output": "{% $summary %}"},
            "Started": {"Type": "Succeed", "Output": "{% $summary %}"},
            "Duplicate": {
                "Type": "Succeed",
                "Output": (
                    "{% {'status': 'Duplicate', 'job_name': $prepared.job_name, 'links': $prepared.links, "
                    "'message': 'This event was delivered before: training job ' & $prepared.job_name & "
                    "' was started for it by an earlier execution; no second job was created.'} %}"
                ),
            },
            "Ignored": {"Type": "Succeed", "Output": "{% {'ignored': $states.input.ignored} %}"},
            "InvalidInput": {"Type": "Fail", "Error": "InvalidTrainingInput", "Cause": "{% $invalid_errors %}"},
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
            "JobNameInUse": {
                "Type": "Fail",
                "Error": "JobNameInUse",
                "Cause": (
                    "{% 'Training job name ' & $prepared.job_name & ' is already in use: SageMaker never reuses a job '"
                    " & 'name. Choose another job_name, or leave it out to get a generated one.' %}"
                ),
            },
            "SageMakerRequestFailed": {"Type": "Fail", "Error": "{% $failure.Error %}", "Cause": "{% $failure.Cause %}"},
            "ResultNotWritten": {
                "Type": "Fail",
                "Error": "ResultNotWritten",
                "Cause": (
                    "{% 'The outcome (' & $report.status & ($prepared.job_name ? ', training job ' & $prepared.job_name : '')"
                    " & ') could not be written beside the request file: ' & $failure.Error & ': ' & $failure.Cause %}"
                ),
            },
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
        state_machine_name: str,
        execution_role: iam.IRole,
        default_image_uri: str,
        default_output_path: str,
        default_checkpoint_s3_uri: str,
        readable_bucket_names: Sequence[str],
        writable_bucket_names: Sequence[str],
        request_bucket: s3.IBucket,
        request_prefix: str,
        key: kms.IKey,
        max_capacity_retries: int = 2,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.prepare_function = platform_function(
            self,
            "Prepare",
            handler="prepare_training.handler",
            description="Builds and validates the CreateTrainingJob request of a training workflow execution",
            role_description="Prepare step of the training workflow: read request files, write its logs and traces",
            log_retention=log_retention,
            environment={
                PrepareEnvironment.DEFAULT_ROLE_ARN.value: execution_role.role_arn,
                PrepareEnvironment.DEFAULT_IMAGE_URI.value: default_image_uri,
                PrepareEnvironment.DEFAULT_OUTPUT_PATH.value: default_output_path,
                PrepareEnvironment.DEFAULT_CHECKPOINT_S3_URI.value: default_checkpoint_s3_uri,
                PrepareEnvironment.READABLE_BUCKETS.value: Fn.join(",", list(readable_bucket_names)),
                PrepareEnvironment.WRITABLE_BUCKETS.value: Fn.join(",", list(writable_bucket_names)),
                PrepareEnvironment.REQUEST_PREFIX.value: request_prefix,
            },
        )
        self.write_result_function = platform_function(
            self,
            "WriteResult",
            handler="request_files.handler",
            description="Writes the outcome of a request-file training beside the request file",
            role_description="Result writer of the training workflow: write result files beside request files",
            log_retention=log_retention,
            environment={},
        )
        self._grant_request_files(request_bucket, request_prefix, key)
        self.role = iam.Role(
            self,
            "StateMachineRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Step Functions training workflow: create and follow SageMaker training jobs",
        )
        self._grant_training_jobs(self.role, execution_role)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeWorkflowFunctions",
                actions=["lambda:InvokeFunction"],
                resources=[self.prepare_function.function_arn, self.write_result_function.function_arn],
            )
        )
        self.log_group = logs.LogGroup(self, "ExecutionLogs", retention=log_retention)
        stack = Stack.of(self)
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
                    )
                )
            ),
            state_machine_type=sfn.StateMachineType.STANDARD,
            role=self.role,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        self._acknowledge_wildcards_aws_requires()

    def _grant_request_files(self, bucket: s3.IBucket, prefix: str, key: kms.IKey) -> None:
        """Prepare reads request files (any version) under the prefix; the writer writes only result files there.

        The data bucket is encrypted with the project key: S3 uses it on the functions' behalf, and only S3 may.
        """
        via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"}}
        prepare_role, writer_role = self.prepare_function.role, self.write_result_function.role
        assert prepare_role is not None and writer_role is not None
        request_files = bucket.arn_for_objects(f"{prefix}*")
        result_files = bucket.arn_for_objects(f"{prefix}*.result.json")
        prepare_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadRequestFiles", actions=["s3:GetObject", "s3:GetObjectVersion"], resources=[request_files]
            )
        )
        prepare_role.add_to_principal_policy(
            iam.PolicyStatement(sid="DecryptRequestFiles", actions=["kms:Decrypt"], resources=[key.key_arn], conditions=via_s3)
        )
        writer_role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteResultFiles",
                actions=["s3:PutObject"],
                # training_events.RESULT_SUFFIX: `<prefix>/<name>.result.json` beside `<prefix>/<name>.json`.
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
            "Result files are named after the request files users choose: only known as <prefix>*.result.json.",
        )

    def _grant_training_jobs(self, role: iam.Role, execution_role: iam.IRole) -> None:
        stack = Stack.of(self)
        training_jobs = stack.format_arn(service="sagemaker", resource="training-job", resource_name="*")
        # Only jobs carrying the cost tag (the platform appends it to every request): the tag condition holds
        # for CreateTrainingJob and for the AddTags authorization SageMaker performs when a create carries tags.
        role.add_to_policy(
            iam.PolicyStatement(
                sid="CreateTaggedTrainingJobs",
                actions=["sagemaker:CreateTrainingJob", "sagemaker:AddTags"],
                resources=[training_jobs],
                conditions={"StringEquals": {f"aws:RequestTag/{COST_TAG_KEY}": COST_TAG_VALUE}},
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
            f"to requests tagged {COST_TAG_KEY}={COST_TAG_VALUE}.",
        )
        _acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray trace delivery and the CloudWatch Logs delivery APIs Step Functions uses for execution "
            "logging have no resource-level permissions: AWS requires Resource '*'.",
        )


def _acknowledge(construct: Construct | None, rule: str, reason: str) -> None:
    assert construct is not None
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
