"""The training workflow's state machine definition: Amazon States Language with JSONata, as a plain dict.

An execution takes a training input (console, trainctl) or the EventBridge event of a trigger (request
file, image push, schedule). Begin sets the counters; Prepare turns the input into a CreateTrainingJob
request (a CreateHyperParameterTuningJob request for a request with a `tuner`), or finds the event ignored or
the request file invalid; Route ends an ignored event at once and sends a training request to RunTrainingJob
(which waits for the job's end) or StartTrainingJob ("wait": false), a tuning request to RunTuningJob (which
waits, then reads the best training job's model) or StartTuningJob. A
SageMaker failure goes to ClassifyFailure, which either retries through Prepare under a new job name or
names the outcome; a job name in use is checked for the execution's own job (tagged with the execution's
ARN), which a create retried after it succeeded meets, and which the execution then follows to its end. Every outcome passes ReportOutcome (WriteResult: a request file's result) and Conclude to
its end state: Succeed (Completed, Started, Duplicate, Ignored) or a Fail state named after the failure.

Each group of states is one function below, composed by `training_definition`. Every expression is plain
JSONata (`{% ... %}`). What comes from Python is a value, never text spliced into an expression: function
ARNs as task arguments, and what the conditions compare with (`$max_capacity_retries`,
`$max_name_collision_retries`, `$job_name_origins`, `$request_kinds`, `$execution_tag_key`, `$job_poll_seconds`)
as variables
Begin assigns. The job's name travels in
the field platform_contract.JOB_NAME_FIELD names (`job_name`, in Prepare's result and the execution's
output); the expressions spell it, and the executions' tests read it through the contract.

JSONata rather than JSONPath because the request's keys depend on the input (VpcConfig, CheckpointConfig
... appear only when used): `"Arguments": "{% $states.input.request %}"` passes the built request through
whole, and variables carry the retry counters, the prepared job and the outcome from state to state.
"""

from __future__ import annotations

from platform_contract import EXECUTION_TAG_KEY, JobNameOrigin, RequestKind, WorkflowState

# Step Functions' service integrations, as `integration_arn(partition, <integration>)` names them.
CREATE_TRAINING_JOB_SYNC = "sagemaker:createTrainingJob.sync"
CREATE_TRAINING_JOB = "sagemaker:createTrainingJob"
CREATE_TUNING_JOB_SYNC = "sagemaker:createHyperParameterTuningJob.sync"
CREATE_TUNING_JOB = "sagemaker:createHyperParameterTuningJob"
LAMBDA_INVOKE = "lambda:invoke"
# SageMaker's optimised integration has no describe or tag reading: the AWS SDK integration does.
DESCRIBE_TRAINING_JOB = "aws-sdk:sagemaker:describeTrainingJob"
LIST_TAGS = "aws-sdk:sagemaker:listTags"

# The states other parts find in an execution's history (trainctl follows the job Prepare named).
PREPARE = WorkflowState.PREPARE.value
RUN_TRAINING_JOB = WorkflowState.RUN_TRAINING_JOB.value
START_TRAINING_JOB = WorkflowState.START_TRAINING_JOB.value
RUN_TUNING_JOB = WorkflowState.RUN_TUNING_JOB.value
START_TUNING_JOB = WorkflowState.START_TUNING_JOB.value

# Generated names collide only when executions start in the same millisecond: a few fresh tries suffice.
MAX_NAME_COLLISION_RETRIES = 3

# The Lambda service's transient errors, as AWS's Step Functions best practice lists them.
_LAMBDA_SERVICE_RETRY = {
    "ErrorEquals": [
        "Lambda.ClientExecutionTimeoutException",
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

# The AWS SDK integration names errors <Service>.<Error>Exception: throttling, and the SDK's generic error.
_SAGEMAKER_SDK_RETRY = {
    "ErrorEquals": ["SageMaker.ThrottlingException", "SageMaker.SageMakerException"],
    "IntervalSeconds": 5,
    "MaxAttempts": 3,
    "BackoffRate": 2,
    "JitterStrategy": "FULL",
}

# The request Prepare built, with the execution tag appended: a job found under the name later can be
# recognised as this execution's own (platform_contract.EXECUTION_TAG_KEY).
_REQUEST_WITH_EXECUTION_TAG = (
    "{% $merge([$states.input.request, {'Tags': $append($states.input.request.Tags, "
    "[{'Key': $execution_tag_key, 'Value': $states.context.Execution.Id}])}]) %}"
)

# A Lambda's unhandled error comes with Cause = {"errorMessage", "errorType", "stackTrace"} as JSON: keep the
# message, never the traceback. Other causes (States.Timeout, Lambda service errors) are kept as they are.
_LAMBDA_FAILURE = (
    "{% ($cause := $states.errorOutput.Cause; "
    "$message := $contains($cause, /^\\s*\\{/) ? $parse($cause).errorMessage; "
    "{'Error': $states.errorOutput.Error, 'Cause': $message ? $message : $cause}) %}"
)


def _fail_error(namespace: str) -> str:
    """A Fail state's Error for a caught `$failure`: its own name, except that error names beginning `States.`
    belong to Step Functions (a Fail state may not raise one), so `States.Timeout` becomes `<namespace>.Timeout`."""
    return (
        "{% $substring($failure.Error, 0, 7) = 'States.' ? "
        f"'{namespace}.' & $substringAfter($failure.Error, 'States.') : $failure.Error %}}"
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
# The tuning `.sync` task fails likewise, with the tuning job's DescribeHyperParameterTuningJob response.
_DESCRIBED_TUNING_JOB = (
    "{% ($cause := $states.errorOutput.Cause; "
    "$contains($cause, /^\\s*\\{/) and $contains($cause, 'HyperParameterTuningJobStatus') ? $parse($cause) : {}) %}"
)
_CATCH_TUNING_FAILURE = {
    "ErrorEquals": ["States.ALL"],
    "Assign": {
        "failure": "{% $states.errorOutput %}",
        "tuning_job": _DESCRIBED_TUNING_JOB,
        "name_in_use": _NAME_IN_USE,
    },
    "Next": "ClassifyTuningFailure",
}


def integration_arn(partition: str, integration: str) -> str:
    """A service integration's resource in the partition (`arn:aws-cn:states:::lambda:invoke` in China)."""
    return f"arn:{partition}:states:::{integration}"


def training_definition(
    prepare_function_arn: str,
    max_capacity_retries: int,
    write_result_function_arn: str,
    *,
    job_poll_seconds: int,
    partition: str,
) -> dict[str, object]:
    """The state machine definition (Amazon States Language, JSONata) as a dict, for the partition it runs in.

    `job_poll_seconds`: how often the execution describes its own job when it follows it without `.sync`
    (a create that was retried after SageMaker had already created the job).
    """
    return {
        "Comment": "Training request or event -> SageMaker training job, run to its end",
        "QueryLanguage": "JSONata",
        "StartAt": "Begin",
        "States": {
            **_preparation(prepare_function_arn, max_capacity_retries, job_poll_seconds, partition),
            **_training_job(partition),
            **_failure_classification(),
            **_name_in_use(partition),
            **_own_job(partition),
            **_tuning_job(partition),
            **_tuning_failure_classification(),
            **_reporting(write_result_function_arn, partition),
            **_successful_ends(),
            **_failed_ends(),
        },
    }


def _preparation(
    prepare_function_arn: str, max_capacity_retries: int, job_poll_seconds: int, partition: str
) -> dict[str, object]:
    """Begin sets the counters and settings; Prepare builds the request; Route picks what happens next.

    Prepare reads the EXECUTION input, not its state input: a retry comes back with the state input of a
    failure, and must rebuild the same request under a new name. Invalid console input raises
    InvalidTrainingInput (its message: one line per problem); an invalid request file comes back as a
    result (`invalid`), so its errors can be written to its result file first.
    """
    return {
        "Begin": {
            "Type": "Pass",
            "Assign": {
                # Nothing prepared yet: what reports a failure before Prepare returns reads it.
                "prepared": {},
                "capacity_retries": 0,
                "name_retries": 0,
                "max_capacity_retries": max_capacity_retries,
                "max_name_collision_retries": MAX_NAME_COLLISION_RETRIES,
                "job_name_origins": {origin.name.lower(): origin.value for origin in JobNameOrigin},
                "request_kinds": {kind.name.lower(): kind.value for kind in RequestKind},
                "execution_tag_key": EXECUTION_TAG_KEY,
                "job_poll_seconds": job_poll_seconds,
            },
            "Next": PREPARE,
        },
        PREPARE: {
            "Type": "Task",
            "Resource": integration_arn(partition, LAMBDA_INVOKE),
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
                    "ErrorEquals": ["InvalidTrainingInput"],
                    # The Lambda's error Cause is {"errorMessage", "errorType", "stackTrace"}: keep the message.
                    "Assign": {
                        "ending": "InvalidInput",
                        "invalid_errors": "{% $parse($states.errorOutput.Cause).errorMessage %}",
                        "report": (
                            "{% {'status': 'Invalid', "
                            "'errors': $split($parse($states.errorOutput.Cause).errorMessage, '\\n')} %}"
                        ),
                    },
                    "Next": "ReportOutcome",
                },
                # Any other failure, a timeout included: a request file's result still says why.
                {**_CATCH_LAMBDA_FAILURE, "Next": "PreparationFailure"},
            ],
            "Assign": {"prepared": "{% $states.result.Payload %}"},
            "Output": "{% $states.result.Payload %}",
            "Next": "Route",
        },
        "PreparationFailure": {
            "Type": "Pass",
            "Assign": {
                "ending": "PreparationFailed",
                "report": "{% {'status': 'Failed', 'failure_reason': $failure.Error & ': ' & $failure.Cause} %}",
            },
            "Next": "ReportOutcome",
        },
        "Route": {
            "Type": "Choice",
            "Choices": [
                # An event the platform does not train for (a key under the result prefix, a tag that does not match).
                {"Condition": "{% $exists($states.input.ignored) %}", "Next": "Ignored"},
                {
                    # Only request files come back invalid (console input raises): write the errors to its result.
                    "Condition": "{% $exists($states.input.invalid) %}",
                    "Assign": {
                        "ending": "InvalidInput",
                        "invalid_errors": "{% $join($states.input.invalid, '\\n') %}",
                        "report": "{% {'status': 'Invalid', 'errors': $states.input.invalid} %}",
                    },
                    "Next": "ReportOutcome",
                },
                {
                    "Condition": "{% $states.input.request_kind = $request_kinds.tuning and $states.input.wait = false %}",
                    "Next": START_TUNING_JOB,
                },
                {"Condition": "{% $states.input.request_kind = $request_kinds.tuning %}", "Next": RUN_TUNING_JOB},
                {"Condition": "{% $states.input.wait = false %}", "Next": START_TRAINING_JOB},
            ],
            "Default": RUN_TRAINING_JOB,
        },
    }


def _training_job(partition: str) -> dict[str, object]:
    """SageMaker's own integration creates the job; RunTrainingJob (`.sync`) also follows it to its end.

    No polling Lambda and no Wait loop (except for the rare own job met under its name, `_own_job`):
    stopping the execution makes Step Functions stop the job. Both
    tasks retry quota errors (minutes apart, waiting for running jobs to finish) and throttling; any
    other error goes to ClassifyFailure, with the job's description when it ran and ended badly.
    """
    return {
        RUN_TRAINING_JOB: {
            "Type": "Task",
            "Resource": integration_arn(partition, CREATE_TRAINING_JOB_SYNC),
            "Arguments": _REQUEST_WITH_EXECUTION_TAG,
            "Retry": _SAGEMAKER_RETRIES,
            "Catch": [_CATCH_SAGEMAKER_FAILURE],
            "Assign": _completed("$states.result"),
            "Next": "ReportOutcome",
        },
        START_TRAINING_JOB: {
            "Type": "Task",
            "Resource": integration_arn(partition, CREATE_TRAINING_JOB),
            "Arguments": _REQUEST_WITH_EXECUTION_TAG,
            "Retry": _SAGEMAKER_RETRIES,
            "Catch": [_CATCH_SAGEMAKER_FAILURE],
            "Assign": _started("$states.result.TrainingJobArn"),
            "Next": "ReportOutcome",
        },
    }


def _completed(job: str) -> dict[str, str]:
    """What a completed job assigns: `job` is its DescribeTrainingJob response (the `.sync` result, or the own
    job followed by the poll loop)."""
    return {
        "ending": "Completed",
        "summary": (
            f"{{% ($job := {job}; {{"
            "'job_name': $job.TrainingJobName, "
            "'job_arn': $job.TrainingJobArn, "
            "'status': $job.TrainingJobStatus, "
            "'model_artifacts': $job.ModelArtifacts.S3ModelArtifacts, "
            "'final_metrics': $job.FinalMetricDataList ? $merge($job.FinalMetricDataList.{MetricName: Value}) : {}, "
            "'training_time_seconds': $job.TrainingTimeInSeconds, "
            "'billable_time_seconds': $job.BillableTimeInSeconds, "
            "'capacity_retries': $capacity_retries, "
            "'links': $prepared.links}) %}"
        ),
        "report": (
            f"{{% {{'status': 'Completed', 'model_artifacts': {job}.ModelArtifacts.S3ModelArtifacts, "
            "'links': $prepared.links} %}"
        ),
    }


def _started(job_arn: str) -> dict[str, str]:
    """What a created job that the execution does not wait for (`"wait": false`) assigns."""
    return {
        "ending": "Started",
        "summary": (
            f"{{% {{'job_name': $prepared.job_name, 'job_arn': {job_arn}, "
            "'status': 'InProgress', 'links': $prepared.links} %}"
        ),
        "report": "{% {'status': 'InProgress', 'links': $prepared.links} %}",
    }


def _failure_classification() -> dict[str, object]:
    """What a SageMaker task's failure means, decided from the job's status and the name's origin.

    A job that ran: Stopped -> TrainingJobStopped; Failed for lack of capacity -> a fresh job under a
    new name (an old name is never reused), unless the user chose the name or the retries are spent;
    otherwise Failed -> TrainingJobFailed. The name already in use -> DescribeJobInUse (`_name_in_use`).
    Anything else: SageMaker refused the request -> SageMakerRequestFailed with the integration's own
    error and cause.
    """
    return {
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
                    # SageMaker's words for no instances to offer: "CapacityError: Unable to provision
                    # requested ML compute capacity", "InsufficientCapacityError".
                    "Condition": (
                        "{% $job.TrainingJobStatus = 'Failed' "
                        "and $contains($job.FailureReason, /CapacityError|InsufficientCapacity/) "
                        "and $capacity_retries < $max_capacity_retries "
                        # A name the user chose cannot be changed, and a second job under it is refused.
                        "and $prepared.job_name_origin != $job_name_origins.input %}"
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
                # A job of that name exists: this execution's own (a create retried after it succeeded) or not.
                {"Condition": "{% $name_in_use %}", "Next": "DescribeJobInUse"},
            ],
            "Default": "RequestRefused",
        },
        "RetryWithFreshName": {
            "Type": "Pass",
            "Assign": {"capacity_retries": "{% $capacity_retries + 1 %}"},
            "Next": PREPARE,
        },
        "RetryWithNewName": {
            "Type": "Pass",
            "Assign": {"name_retries": "{% $name_retries + 1 %}"},
            "Next": PREPARE,
        },
        "RequestRefused": {
            "Type": "Pass",
            "Assign": {
                "ending": "SageMakerRequestFailed",
                "report": "{% {'status': 'Failed', 'failure_reason': $failure.Error & ': ' & $failure.Cause} %}",
            },
            "Next": "ReportOutcome",
        },
    }


def _name_in_use(partition: str) -> dict[str, object]:
    """Whose job holds the name: the execution tag of the job in use says.

    This execution's own job (its create was retried after SageMaker had created the job, the first answer
    lost to throttling or a 5xx) -> followed as its own (`_own_job`). Another execution's: an event delivered
    before (its name derives from the event) -> Duplicate; a generated name met by another execution in the
    same millisecond -> a new name; the user's job_name -> JobNameInUse. A job whose description or tags
    cannot be read counts as another execution's, as it did before the tag existed.
    """
    not_own = {"ErrorEquals": ["States.ALL"], "Assign": {"own_job": False}, "Next": "ClassifyNameInUse"}
    return {
        "DescribeJobInUse": {
            "Type": "Task",
            "Resource": integration_arn(partition, DESCRIBE_TRAINING_JOB),
            "Arguments": {"TrainingJobName": "{% $prepared.job_name %}"},
            "Retry": [_SAGEMAKER_SDK_RETRY],
            "Catch": [not_own],
            "Assign": {"job_in_use": "{% $states.result %}"},
            "Next": "ReadJobInUseTags",
        },
        "ReadJobInUseTags": {
            "Type": "Task",
            "Resource": integration_arn(partition, LIST_TAGS),
            # 100, the most one page holds: 50 tags of the request and those SageMaker or Step Functions add.
            "Arguments": {"ResourceArn": "{% $job_in_use.TrainingJobArn %}", "MaxResults": 100},
            "Retry": [_SAGEMAKER_SDK_RETRY],
            "Catch": [not_own],
            "Assign": {
                "own_job": (
                    "{% $count($states.result.Tags[Key = $execution_tag_key "
                    "and Value = $states.context.Execution.Id]) > 0 %}"
                )
            },
            "Next": "ClassifyNameInUse",
        },
        "ClassifyNameInUse": {
            "Type": "Choice",
            "Choices": [
                {
                    "Condition": "{% $own_job and $prepared.wait = false %}",
                    "Assign": _started("$job_in_use.TrainingJobArn"),
                    "Next": "ReportOutcome",
                },
                {"Condition": "{% $own_job %}", "Next": "FollowOwnJob"},
                {
                    # The event was delivered before: its job exists under the name derived from it.
                    "Condition": "{% $prepared.job_name_origin = $job_name_origins.event %}",
                    "Assign": {
                        "ending": "Duplicate",
                        "report": "{% {'status': 'Duplicate', 'links': $prepared.links} %}",
                    },
                    "Next": "ReportOutcome",
                },
                {
                    # Two executions generated the same SDK-form name in the same millisecond.
                    "Condition": (
                        "{% $prepared.job_name_origin = $job_name_origins.generated "
                        "and $name_retries < $max_name_collision_retries %}"
                    ),
                    "Next": "RetryWithNewName",
                },
            ],
            "Default": "NameTaken",
        },
        "NameTaken": {
            "Type": "Pass",
            "Assign": {
                "ending": "JobNameInUse",
                "report": (
                    "{% {'status': 'Failed', 'failure_reason': 'Training job name ' & $prepared.job_name & "
                    "' is already in use', 'links': $prepared.links} %}"
                ),
            },
            "Next": "ReportOutcome",
        },
    }


def _own_job(partition: str) -> dict[str, object]:
    """This execution's job, created by an earlier attempt of its create: followed to its end by describing it
    every `$job_poll_seconds` (the `.sync` integration only follows a job it created in that attempt).

    Completed -> Completed, as if `.sync` had followed it; Failed or Stopped -> ClassifyFailure with its
    description, as `.sync` would have failed (a capacity failure is retried under a fresh name). Stopping
    the execution during this loop does not stop the job (as `.sync` would): stop it in SageMaker.
    """
    return {
        "FollowOwnJob": {
            "Type": "Choice",
            "Choices": [
                {
                    "Condition": "{% $job_in_use.TrainingJobStatus = 'Completed' %}",
                    "Assign": _completed("$job_in_use"),
                    "Next": "ReportOutcome",
                },
                {
                    "Condition": "{% $job_in_use.TrainingJobStatus in ['Failed', 'Stopped'] %}",
                    "Assign": {"job": "{% $job_in_use %}", "name_in_use": False},
                    "Next": "ClassifyFailure",
                },
            ],
            "Default": "WaitForOwnJob",
        },
        "WaitForOwnJob": {"Type": "Wait", "Seconds": "{% $job_poll_seconds %}", "Next": "DescribeOwnJob"},
        "DescribeOwnJob": {
            "Type": "Task",
            "Resource": integration_arn(partition, DESCRIBE_TRAINING_JOB),
            "Arguments": {"TrainingJobName": "{% $job_in_use.TrainingJobName %}"},
            "Retry": [_SAGEMAKER_SDK_RETRY],
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Assign": {"failure": "{% $states.errorOutput %}"},
                    "Next": "RequestRefused",
                }
            ],
            "Assign": {"job_in_use": "{% $states.result %}"},
            "Next": "FollowOwnJob",
        },
    }


def _tuning_job(partition: str) -> dict[str, object]:
    """A tuning request: SageMaker's own integration creates the tuning job; RunTuningJob (`.sync`) also follows
    it to its end, and stopping the execution stops it (and its training jobs).

    A completed tuning job names its best training job, but not that job's model: DescribeBestTrainingJob
    reads it (a best job whose description cannot be read leaves `model_artifacts` out rather than fail a
    tuning job that completed). Failures go to ClassifyTuningFailure, with the tuning job's description.
    """
    return {
        RUN_TUNING_JOB: {
            "Type": "Task",
            "Resource": integration_arn(partition, CREATE_TUNING_JOB_SYNC),
            "Arguments": _REQUEST_WITH_EXECUTION_TAG,
            "Retry": _SAGEMAKER_RETRIES,
            "Catch": [_CATCH_TUNING_FAILURE],
            "Assign": {"tuning_job": "{% $states.result %}", "best_training_job": _BEST_TRAINING_JOB},
            "Next": "FindBestTrainingJob",
        },
        "FindBestTrainingJob": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $exists($best_training_job.name) %}", "Next": "DescribeBestTrainingJob"}],
            "Default": "TuningJobCompleted",
        },
        "DescribeBestTrainingJob": {
            "Type": "Task",
            "Resource": integration_arn(partition, DESCRIBE_TRAINING_JOB),
            "Arguments": {"TrainingJobName": "{% $best_training_job.name %}"},
            "Retry": [_SAGEMAKER_SDK_RETRY],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "TuningJobCompleted"}],
            "Assign": {
                "best_training_job": (
                    "{% $merge([$best_training_job, "
                    "{'model_artifacts': $states.result.ModelArtifacts.S3ModelArtifacts}]) %}"
                )
            },
            "Next": "TuningJobCompleted",
        },
        "TuningJobCompleted": {"Type": "Pass", "Assign": _tuning_completed(), "Next": "ReportOutcome"},
        START_TUNING_JOB: {
            "Type": "Task",
            "Resource": integration_arn(partition, CREATE_TUNING_JOB),
            "Arguments": _REQUEST_WITH_EXECUTION_TAG,
            "Retry": _SAGEMAKER_RETRIES,
            "Catch": [_CATCH_TUNING_FAILURE],
            "Assign": {
                "ending": "Started",
                "summary": (
                    "{% {'tuning_job_name': $prepared.tuning_job_name, "
                    "'tuning_job_arn': $states.result.HyperParameterTuningJobArn, 'status': 'InProgress', "
                    "'console_url': $prepared.links.console, 'links': $prepared.links} %}"
                ),
                "report": "{% {'status': 'InProgress', 'links': $prepared.links} %}",
            },
            "Next": "ReportOutcome",
        },
    }


# The best training job as the tuning job's description (`$states.result`) names it, without its model (added
# by DescribeBestTrainingJob); {} when there is none (no training job reported the objective metric).
_BEST_TRAINING_JOB = (
    "{% ($best := $states.result.BestTrainingJob; $objective := $best.FinalHyperParameterTuningJobObjectiveMetric; "
    "$best ? {'name': $best.TrainingJobName, 'objective_metric': $objective.MetricName, "
    "'objective_value': $objective.Value, 'tuned_hyperparameters': $best.TunedHyperParameters} : {}) %}"
)
# The tuning job's training jobs by status: SageMaker counts failures as retryable or not.
_TRAINING_JOB_COUNTS = (
    "{'completed': $sum([$counts.Completed]), 'stopped': $sum([$counts.Stopped]), "
    "'failed': $sum([$counts.RetryableError, $counts.NonRetryableError]), 'in_progress': $sum([$counts.InProgress])}"
)


def _tuning_completed() -> dict[str, str]:
    """What a completed tuning job assigns, from its description (`$tuning_job`) and `$best_training_job`."""
    best = "($exists($best_training_job.name) ? $best_training_job)"  # no else: undefined, the key is left out
    return {
        "ending": "Completed",
        "summary": (
            "{% ($counts := $tuning_job.TrainingJobStatusCounters; {"
            "'tuning_job_name': $tuning_job.HyperParameterTuningJobName, "
            "'tuning_job_arn': $tuning_job.HyperParameterTuningJobArn, "
            "'status': $tuning_job.HyperParameterTuningJobStatus, "
            "'console_url': $prepared.links.console, "
            f"'best_training_job': {best}, "
            f"'training_job_counts': {_TRAINING_JOB_COUNTS}, "
            "'links': $prepared.links}) %}"
        ),
        "report": f"{{% {{'status': 'Completed', 'best_training_job': {best}, 'links': $prepared.links}} %}}",
    }


def _tuning_failure_classification() -> dict[str, object]:
    """What a tuning task's failure means: Stopped -> TuningJobStopped, Failed -> TuningJobFailed (SageMaker's
    FailureReason in the cause; a tuning job retries its training jobs' capacity errors itself), a name in use
    -> by the name's origin as for a training job (an event delivered before: Duplicate; a generated name:
    a new one; the user's job_name: TuningJobNameInUse); anything else -> SageMakerRequestFailed.
    """
    return {
        "ClassifyTuningFailure": {
            "Type": "Choice",
            "Choices": [
                {
                    "Condition": "{% $tuning_job.HyperParameterTuningJobStatus = 'Stopped' %}",
                    "Assign": {
                        "ending": "TuningJobStopped",
                        "report": (
                            "{% {'status': 'Stopped', 'failure_reason': $tuning_job.FailureReason ? "
                            "$tuning_job.FailureReason : 'The tuning job was stopped', 'links': $prepared.links} %}"
                        ),
                    },
                    "Next": "ReportOutcome",
                },
                {
                    "Condition": "{% $tuning_job.HyperParameterTuningJobStatus = 'Failed' %}",
                    "Assign": {
                        "ending": "TuningJobFailed",
                        "report": (
                            "{% {'status': 'Failed', 'failure_reason': $tuning_job.FailureReason, "
                            "'links': $prepared.links} %}"
                        ),
                    },
                    "Next": "ReportOutcome",
                },
                {
                    "Condition": "{% $name_in_use and $prepared.job_name_origin = $job_name_origins.event %}",
                    "Assign": {
                        "ending": "Duplicate",
                        "report": "{% {'status': 'Duplicate', 'links': $prepared.links} %}",
                    },
                    "Next": "ReportOutcome",
                },
                {
                    "Condition": (
                        "{% $name_in_use and $prepared.job_name_origin = $job_name_origins.generated "
                        "and $name_retries < $max_name_collision_retries %}"
                    ),
                    "Next": "RetryWithNewName",
                },
                {
                    "Condition": "{% $name_in_use %}",
                    "Assign": {
                        "ending": "TuningJobNameInUse",
                        "report": (
                            "{% {'status': 'Failed', 'failure_reason': 'Tuning job name ' & $prepared.tuning_job_name & "
                            "' is already in use', 'links': $prepared.links} %}"
                        ),
                    },
                    "Next": "ReportOutcome",
                },
            ],
            "Default": "RequestRefused",
        },
    }


def _reporting(write_result_function_arn: str, partition: str) -> dict[str, object]:
    """Every outcome of a request-file execution is written to the request file's result, then Conclude goes
    to the end state the outcome named in `$ending`. A result that cannot be written fails the execution.

    Prepare names the request file; when Prepare failed before it did, the execution's S3 event names it
    (WriteResult reads it from `event`)."""
    return {
        "ReportOutcome": {
            "Type": "Choice",
            "Choices": [
                {"Condition": "{% $type($prepared.request_file) = 'object' %}", "Next": "WriteResult"},
                {
                    "Condition": (
                        "{% $states.context.Execution.Input.source = 'aws.s3' "
                        "and $states.context.Execution.Input.`detail-type` = 'Object Created' %}"
                    ),
                    "Next": "WriteResult",
                },
            ],
            "Default": "Conclude",
        },
        "WriteResult": {
            "Type": "Task",
            "Resource": integration_arn(partition, LAMBDA_INVOKE),
            "Arguments": {
                "FunctionName": write_result_function_arn,
                "Payload": (
                    "{% $merge([$report, {'request_file': $prepared.request_file, 'job_name': $prepared.job_name, "
                    "'tuning_job_name': $prepared.tuning_job_name, 'execution_arn': $states.context.Execution.Id}, "
                    "$type($prepared.request_file) = 'object' ? {} : {'event': $states.context.Execution.Input}]) %}"
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
                {"Condition": "{% $ending = 'Completed' %}", "Next": "Completed"},
                {"Condition": "{% $ending = 'Started' %}", "Next": "Started"},
                {"Condition": "{% $ending = 'Duplicate' %}", "Next": "Duplicate"},
                {"Condition": "{% $ending = 'InvalidInput' %}", "Next": "InvalidInput"},
                {"Condition": "{% $ending = 'TrainingJobFailed' %}", "Next": "TrainingJobFailed"},
                {"Condition": "{% $ending = 'TrainingJobStopped' %}", "Next": "TrainingJobStopped"},
                {"Condition": "{% $ending = 'JobNameInUse' %}", "Next": "JobNameInUse"},
                {"Condition": "{% $ending = 'PreparationFailed' %}", "Next": "PreparationFailed"},
                {"Condition": "{% $ending = 'TuningJobFailed' %}", "Next": "TuningJobFailed"},
                {"Condition": "{% $ending = 'TuningJobStopped' %}", "Next": "TuningJobStopped"},
                {"Condition": "{% $ending = 'TuningJobNameInUse' %}", "Next": "TuningJobNameInUse"},
            ],
            "Default": "SageMakerRequestFailed",
        },
    }


# "training job <name>" or "tuning job <name>": the job Prepare named.
_PREPARED_JOB = (
    "($prepared.tuning_job_name ? 'tuning job ' & $prepared.tuning_job_name : 'training job ' & $prepared.job_name)"
)


def _successful_ends() -> dict[str, object]:
    """The execution's output: the job's summary, a duplicate's notice, or why an event was ignored."""
    return {
        "Completed": {"Type": "Succeed", "Output": "{% $summary %}"},
        "Started": {"Type": "Succeed", "Output": "{% $summary %}"},
        "Duplicate": {
            "Type": "Succeed",
            "Output": (
                "{% {'status': 'Duplicate', 'job_name': $prepared.job_name, "
                "'tuning_job_name': $prepared.tuning_job_name, 'links': $prepared.links, "
                f"'message': 'This event was delivered before: ' & {_PREPARED_JOB} & "
                "' was started for it by an earlier execution; no second job was created.'} %}"
            ),
        },
        "Ignored": {"Type": "Succeed", "Output": "{% {'ignored': $states.input.ignored} %}"},
    }


def _failed_ends() -> dict[str, object]:
    """One Fail state per way an execution fails, each with an error name and a cause a user can act on."""
    return {
        "InvalidInput": {"Type": "Fail", "Error": "InvalidTrainingInput", "Cause": "{% $invalid_errors %}"},
        "PreparationFailed": {"Type": "Fail", "Error": _fail_error("Prepare"), "Cause": "{% $failure.Cause %}"},
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
        "TuningJobFailed": {
            "Type": "Fail",
            "Error": "TuningJobFailed",
            "Cause": "{% 'Tuning job ' & $tuning_job.HyperParameterTuningJobName & ' failed: ' & $tuning_job.FailureReason %}",
        },
        "TuningJobStopped": {
            "Type": "Fail",
            "Error": "TuningJobStopped",
            "Cause": (
                "{% 'Tuning job ' & $tuning_job.HyperParameterTuningJobName & ' was stopped'"
                " & ($tuning_job.FailureReason ? ': ' & $tuning_job.FailureReason : '')"
                " & ($tuning_job.BestTrainingJob ? '; its best training job so far: ' & "
                "$tuning_job.BestTrainingJob.TrainingJobName : '') %}"
            ),
        },
        "TuningJobNameInUse": {
            "Type": "Fail",
            "Error": "TuningJobNameInUse",
            "Cause": (
                "{% 'Tuning job name ' & $prepared.tuning_job_name & ' is already in use: SageMaker never reuses a '"
                " & 'tuning job name. Choose another job_name, or leave it out to get a generated one.' %}"
            ),
        },
        "SageMakerRequestFailed": {
            "Type": "Fail",
            "Error": _fail_error("SageMakerTask"),
            "Cause": "{% $failure.Cause %}",
        },
        "ResultNotWritten": {
            "Type": "Fail",
            "Error": "ResultNotWritten",
            "Cause": (
                "{% 'The outcome (' & $report.status & ($prepared.job_name or $prepared.tuning_job_name ? "
                f"', ' & {_PREPARED_JOB} : '') & ') could not be written to its result file: ' & $failure.Error & ': ' "
                "& $failure.Cause %}"
            ),
        },
    }
