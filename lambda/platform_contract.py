"""The facts the platform's parts share, in one place: the CDK app (`stacks/`), the Lambda handlers
(`lambda/`), the command line (`trainctl/`), the emulator (`emulator/`) and the tests import them
from here and never spell them again.

It lives in the Lambda asset because the handlers can import only their own asset (and boto3);
`stacks/`, `trainctl/` and `emulator/` put `lambda/` on their path for the same reason. Standard
library only, no side effects: importing it costs a Lambda cold start nothing measurable.
"""

from __future__ import annotations

from enum import Enum

# -- Cost tag ---------------------------------------------------------------------------------------
# Every resource of both stacks and every training job carries it. The request builder appends it to
# each job's tags (a different value is an error) and the state machine's role may only create jobs
# that carry it.
COST_TAG_KEY = "CER"
COST_TAG_VALUE = "1"


# -- Execution tag ----------------------------------------------------------------------------------
# The state machine tags every job it creates with the ARN of the execution creating it. A create whose
# answer was lost (throttling, a 5xx) and is retried meets "name in use" for its own job: this tag tells
# the workflow the job is its own, to follow, rather than an earlier execution's. The request builder
# refuses it in a user's tags and leaves room for it.
EXECUTION_TAG_KEY = "training-workflow:execution-arn"


# -- Lambda environment variables ---------------------------------------------------------------------
class PrepareEnvironment(str, Enum):
    """What the stacks give the Prepare function (and trainctl reads back, to check inputs with the
    same defaults): the deployed stack's defaults and its trigger settings."""

    DEFAULT_ROLE_ARN = "DEFAULT_ROLE_ARN"
    DEFAULT_IMAGE_URI = "DEFAULT_IMAGE_URI"
    DEFAULT_OUTPUT_PATH = "DEFAULT_OUTPUT_PATH"
    DEFAULT_CHECKPOINT_S3_URI = "DEFAULT_CHECKPOINT_S3_URI"
    # The project key: OutputDataConfig.KmsKeyId and ResourceConfig.VolumeKmsKeyId when the input names none.
    DEFAULT_KMS_KEY_ARN = "DEFAULT_KMS_KEY_ARN"
    READABLE_BUCKETS = "READABLE_BUCKETS"  # comma-separated bucket names; unset = no reachability check
    WRITABLE_BUCKETS = "WRITABLE_BUCKETS"
    # comma-separated repository URIs (<registry>/<name>) the execution role may pull from; unset = no check
    IMAGE_REPOSITORIES = "IMAGE_REPOSITORIES"
    REQUEST_PREFIX = "REQUEST_PREFIX"
    RESULT_PREFIX = "RESULT_PREFIX"  # a request file under it is ignored (a result file, never a request)
    IMAGE_TAG_PATTERN = "IMAGE_TAG_PATTERN"  # unset: the image-push trigger is off
    IMAGE_PUSH_REQUEST = "IMAGE_PUSH_REQUEST"  # a JSON object
    SCHEDULED_REQUEST = "SCHEDULED_REQUEST"  # a JSON object; unset: no schedule


class WriteResultEnvironment(str, Enum):
    """What the stacks give the WriteResult function: where request files are and where their results go."""

    REQUEST_PREFIX = "REQUEST_PREFIX"
    RESULT_PREFIX = "RESULT_PREFIX"


class NotifyEnvironment(str, Enum):
    """What the stacks give the Notify function."""

    TOPIC_ARN = "TOPIC_ARN"


# -- Request files --------------------------------------------------------------------------------------
# A request file is `<request prefix><path>.json` in the data bucket; the platform writes its outcome to
# `<result prefix><path>.json`, the same path under a sibling prefix (`requests/team/gan.json` ->
# `results/team/gan.json`). The request-file rule matches only keys under the request prefix, so writing a
# result starts nothing; the two prefixes never contain one another (the settings check it), and the result
# writer may put objects only under the result prefix. Each upload of a request file is a new version of it,
# and its result a new version of the result object (the data bucket is versioned): the result document's
# `request_version_id` names the request version it answers.
REQUEST_SUFFIX = ".json"


def result_key(request_key: str, *, request_prefix: str, result_prefix: str) -> str:
    """Where the outcome of the request file `request_key` is written: its path under `result_prefix`.

    A key outside the request prefix (the setting changed while its execution ran) keeps its whole path.
    """
    path = request_key[len(request_prefix) :] if request_key.startswith(request_prefix) else request_key
    return result_prefix + path


class RequestStatus(str, Enum):
    """The `status` of a result file: the workflow tells the result writer which one."""

    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPED = "Stopped"
    # The request asked not to wait (`"wait": false`): the job runs on after the execution ended.
    IN_PROGRESS = "InProgress"
    # Nothing was started: the errors say which fields to fix.
    INVALID = "Invalid"
    # This event was already delivered: the job it started is `job_name`; no second job was created.
    DUPLICATE = "Duplicate"


# -- Partitions -------------------------------------------------------------------------------------------
# ARNs begin `arn:<partition>:`: China's regions are in `aws-cn`, GovCloud's in `aws-us-gov`. The stacks use
# the AWS::Partition of where they are deployed; what builds an ARN from a region alone uses this.
_PARTITIONS_BY_REGION_PREFIX = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
)


def partition_of(region: str) -> str:
    """The partition of a region: `aws-cn` for cn-north-1, `aws-us-gov` for us-gov-west-1, else `aws`."""
    return next((partition for prefix, partition in _PARTITIONS_BY_REGION_PREFIX if region.startswith(prefix)), "aws")


# -- SageMaker ------------------------------------------------------------------------------------------
# SageMaker writes every training job's output to this log group, one stream per instance
# ("<job name>/algo-1-<epoch>"), and its metric values to the CloudWatch namespace of the same name.
TRAINING_JOB_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
TRAINING_JOB_METRICS_NAMESPACE = "/aws/sagemaker/TrainingJobs"


# The EventBridge rules Step Functions creates and manages for `.sync` SageMaker training and tuning tasks:
# the state machine's role may put and describe them (stacks), and trainctl doctor asks IAM whether it may.
SAGEMAKER_TRAINING_SYNC_RULE = "StepFunctionsGetEventsForSageMakerTrainingJobsRule"
SAGEMAKER_TUNING_SYNC_RULE = "StepFunctionsGetEventsForSageMakerTuningJobsRule"


# (source, detail-type) of the event SageMaker sends to the default bus when a training job changes
# status: the notifications rule matches it, the emulator sends it.
TRAINING_JOB_STATE_CHANGE = ("aws.sagemaker", "SageMaker Training Job State Change")
# The same for a hyperparameter tuning job: the notifications rule for tuning jobs matches it.
TUNING_JOB_STATE_CHANGE = ("aws.sagemaker", "SageMaker HyperParameter Tuning Job State Change")
# (source, detail-type) of the event EventBridge sends when a schedule fires: the scheduled trigger's.
SCHEDULED_EVENT = ("aws.events", "Scheduled Event")


class TrainingJobStatus(str, Enum):
    """DescribeTrainingJob's TrainingJobStatus."""

    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


# The statuses a job never leaves: the job state-change rule, the notifier and trainctl wait for them.
FINAL_JOB_STATUSES = (
    TrainingJobStatus.COMPLETED.value,
    TrainingJobStatus.FAILED.value,
    TrainingJobStatus.STOPPED.value,
)


class WorkflowExecutionStatus(str, Enum):
    """DescribeExecution's status."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


class TuningJobStatus(str, Enum):
    """DescribeHyperParameterTuningJob's HyperParameterTuningJobStatus."""

    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


FINAL_TUNING_JOB_STATUSES = (
    TuningJobStatus.COMPLETED.value,
    TuningJobStatus.FAILED.value,
    TuningJobStatus.STOPPED.value,
)


FINAL_EXECUTION_STATUSES = tuple(
    status.value for status in WorkflowExecutionStatus if status is not WorkflowExecutionStatus.RUNNING
)


# -- The workflow -------------------------------------------------------------------------------------
class JobNameOrigin(str, Enum):
    """Where Prepare got a job's name: the workflow's retries depend on it."""

    EVENT = "event"  # derived from the triggering event: the same event always gives the same name
    INPUT = "input"  # the input's job_name: never changed, so never retried under another name
    GENERATED = "generated"  # the SDK's <base>-<timestamp> form, fresh on every call


class WorkflowState(str, Enum):
    """States of the training workflow that other parts look for in an execution's history."""

    PREPARE = "Prepare"  # its output's JOB_NAME_FIELD names the job the execution creates next
    RUN_TRAINING_JOB = "RunTrainingJob"  # createTrainingJob.sync: creates the job, waits for its end
    START_TRAINING_JOB = "StartTrainingJob"  # createTrainingJob ("wait": false)
    RUN_TUNING_JOB = "RunTuningJob"  # createHyperParameterTuningJob.sync: creates the tuning job, waits for its end
    START_TUNING_JOB = "StartTuningJob"  # createHyperParameterTuningJob ("wait": false)


# The field naming the training job in Prepare's output and in the execution's output.
JOB_NAME_FIELD = "job_name"

# A request with this key (an object of HyperparameterTuner's arguments) asks for a hyperparameter tuning job.
TUNER_KEY = "tuner"


class RequestKind(str, Enum):
    """What Prepare's output asks the workflow to create, in its REQUEST_KIND_FIELD: the workflow routes on it."""

    TRAINING = "training"  # `request` is a CreateTrainingJob request, JOB_NAME_FIELD names the job
    TUNING = "tuning"  # `request` is a CreateHyperParameterTuningJob request, TUNING_JOB_NAME_FIELD names it


REQUEST_KIND_FIELD = "request_kind"
# The field naming the tuning job in Prepare's output for a tuning request (which has no JOB_NAME_FIELD).
TUNING_JOB_NAME_FIELD = "tuning_job_name"


class TuningOutputField(str, Enum):
    """The keys of a tuning request's execution output (and, for the best job, of its result file)."""

    TUNING_JOB_NAME = "tuning_job_name"
    TUNING_JOB_ARN = "tuning_job_arn"
    STATUS = "status"
    CONSOLE_URL = "console_url"  # the tuning job's page in the SageMaker console
    LINKS = "links"  # the console page and the log group of its training jobs, as for a training job
    BEST_TRAINING_JOB = "best_training_job"  # an object of BestTrainingJobField keys (absent: no best job)
    TRAINING_JOB_COUNTS = "training_job_counts"  # an object of TrainingJobCountField keys


class BestTrainingJobField(str, Enum):
    """The keys of `best_training_job`: the training job with the best objective value."""

    NAME = "name"
    OBJECTIVE_METRIC = "objective_metric"
    OBJECTIVE_VALUE = "objective_value"
    # Its model artifact's S3 URI (DescribeTrainingJob's; the tuning job's description does not carry it).
    MODEL_ARTIFACTS = "model_artifacts"
    TUNED_HYPERPARAMETERS = "tuned_hyperparameters"  # the values the tuner chose for it


class TrainingJobCountField(str, Enum):
    """The keys of `training_job_counts`: the tuning job's training jobs by status (failed: retryable or not)."""

    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"
    IN_PROGRESS = "in_progress"


# -- Stack outputs ----------------------------------------------------------------------------------------
class StatefulStackOutput(str, Enum):
    """Output keys of the stateful stack (the emulator's demo reads the buckets from them, trainctl doctor
    the image and the Docker commands)."""

    REPOSITORY_URI = "RepositoryUri"
    DEFAULT_IMAGE_URI = "DefaultImageUri"
    DATA_BUCKET_NAME = "DataBucketName"
    ARTIFACTS_BUCKET_NAME = "ArtifactsBucketName"
    CHECKPOINTS_BUCKET_NAME = "CheckpointsBucketName"
    TENSORBOARD_BUCKET_NAME = "TensorBoardBucketName"
    ACCESS_LOGS_BUCKET_NAME = "AccessLogsBucketName"
    # Ready commands for the training image (trainctl doctor tells to run them when the image is missing).
    DOCKER_LOGIN_COMMAND = "DockerLoginCommand"
    DOCKER_BUILD_COMMAND = "DockerBuildCommand"
    DOCKER_PUSH_COMMAND = "DockerPushCommand"


class TrainingStackOutput(str, Enum):
    """Output keys of the training stack, which trainctl and the emulator's demo read."""

    STATE_MACHINE_ARN = "TrainingStateMachineArn"
    PREPARE_FUNCTION_NAME = "PrepareFunctionName"
    EXECUTION_ROLE_ARN = "ExecutionRoleArn"
    NOTIFICATION_TOPIC_ARN = "NotificationTopicArn"


def training_stack_name(prefix: str, environment: str) -> str:
    """`<prefix>-<environment>-training`, also the state machine's name."""
    return f"{prefix}-{environment}-training"


def stateful_stack_name(prefix: str, environment: str) -> str:
    """`<prefix>-<environment>-stateful`."""
    return f"{prefix}-{environment}-stateful"
