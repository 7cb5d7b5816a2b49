"""Every AWS call the platform makes, by the role that makes it: what `trainctl doctor` asks IAM
about, and what a record of the calls the platform really makes can be compared against.

Plain data, importable without AWS or the CDK. Keep it equal to the grants in stacks/ (the
execution role, the workflow's and the functions' roles, the rules' role): the doctor's tests judge
every call below against the policies this checkout synthesizes.

- A principal is a role of the training stack, named by its logical ID without the hash the CDK
  appends (`TrainingWorkflowPrepareRole` for `TrainingWorkflowPrepareRoleACF008E5`).
- A call is one or more actions on the resource IAM authorizes them against, an ARN pattern, with the
  request context IAM sees (condition keys). `allowed=False` marks a call the role must be refused:
  the conditions and limits the platform relies on.
- Patterns: `{fact}` is a fact of the deployment (FACTS names them all); `*` matches any run of
  characters, as in IAM. A fact that is a list (the extra readable buckets, the VPC's subnets) gives
  one call per item, and none when it is empty; `when` names a fact that must be true.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import product

from platform_contract import (
    COST_TAG_KEY,
    COST_TAG_VALUE,
    EXECUTION_TAG_KEY,
    SAGEMAKER_TRAINING_SYNC_RULE,
    SAGEMAKER_TUNING_SYNC_RULE,
    TRAINING_JOB_LOG_GROUP,
    TRAINING_JOB_METRICS_NAMESPACE,
)

# The facts the patterns use and where the doctor reads each one.
FACTS: Mapping[str, str] = {
    "partition": "the caller's partition (aws, aws-cn, ...)",
    "region": "the region the platform is deployed in",
    "account": "the caller's account, which holds both stacks",
    "data_bucket": "the stateful stack's output DataBucketName",
    "artifacts_bucket": "the stateful stack's output ArtifactsBucketName",
    "checkpoints_bucket": "the stateful stack's output CheckpointsBucketName",
    "tensorboard_bucket": "the stateful stack's output TensorBoardBucketName",
    "repository": "the repository named by the stateful stack's output RepositoryUri",
    "key_arn": "the stateful stack's KMS key, or the kms_key_arn setting",
    "execution_role_arn": "the training stack's output ExecutionRoleArn",
    "state_machine_arn": "the training stack's output TrainingStateMachineArn",
    "topic_arn": "the training stack's output NotificationTopicArn",
    "prepare_function": "the training stack's function TrainingWorkflowPrepare",
    "write_result_function": "the training stack's function TrainingWorkflowWriteResult",
    "notify_function": "the training stack's function MonitoringNotify",
    "prepare_log_group": "the training stack's log group TrainingWorkflowPrepareLogs",
    "write_result_log_group": "the training stack's log group TrainingWorkflowWriteResultLogs",
    "notify_log_group": "the training stack's log group MonitoringNotifyLogs",
    "request_prefix": "the request_prefix setting",
    "result_prefix": "the result_prefix setting",
    "extra_readable_bucket": "each of the extra_readable_buckets setting (a list)",
    "extra_kms_key": "each of the extra_kms_key_arns setting (a list)",
    "extra_image_repository": "each of the extra_image_repositories setting, as an ARN (a list)",
    "rule_evaluator_repository": "the region's Debugger rule image repository (training_request.rule_catalog), "
    "empty where the SDK knows none",
    "vpc_subnet": "each of the vpc_subnet_ids setting (a list)",
    "vpc_security_group": "each of the vpc_security_group_ids setting (a list)",
    "vpc": "whether training runs in a VPC (vpc_subnet_ids is set)",
    "job_instance_type": "an instance type a job may use: the first of allowed_instance_types, else ml.m5.large",
    "job_max_run": "the max_run of a job that gives none: a day, or max_run_seconds when that is shorter",
    "instance_type_not_allowed": "an instance type outside allowed_instance_types (empty when any is allowed)",
    "max_run_above_limit": "one second more than max_run_seconds (empty without a limit)",
    "keep_alive_above_limit": "one second more than max_keep_alive_seconds (empty without a limit)",
    "remote_debug": "the allow_remote_debug setting",
    "credentials_provider": "each of the training_repository_credentials_providers setting (a list)",
    "training_plan": "each of the training_plans setting (a list)",
}

# What stands for a name the platform chooses at run time (a job, an object key, a log stream) in
# the concrete ARN the doctor asks IAM about.
EXAMPLE_NAME = "doctor-check"


@dataclass(frozen=True)
class Context:
    """A condition key and its values in the request, typed as SimulatePrincipalPolicy takes it."""

    key: str
    values: tuple[str, ...]
    type: str = "string"


@dataclass(frozen=True)
class Call:
    actions: tuple[str, ...]
    resource: str
    why: str
    context: tuple[Context, ...] = ()
    allowed: bool = True
    when: str | None = None


@dataclass(frozen=True)
class Principal:
    role: str  # the role's logical ID in the training stack, without the CDK's hash
    name: str
    calls: tuple[Call, ...]


def _via(service: str) -> Context:
    return Context("kms:ViaService", (f"{service}.{{region}}.amazonaws.com",))


def _bucket(fact: str) -> str:
    return f"arn:{{partition}}:s3:::{{{fact}}}"


def _objects(fact: str, key: str = "*") -> str:
    return f"arn:{{partition}}:s3:::{{{fact}}}/{key}"


def _log_streams(log_group: str) -> str:
    # CloudWatch Logs authorizes stream calls against the stream's ARN, within `log-group:<name>:*`.
    return f"arn:{{partition}}:logs:{{region}}:{{account}}:log-group:{log_group}:log-stream:*"


def _function(fact: str) -> str:
    return f"arn:{{partition}}:lambda:{{region}}:{{account}}:function:{{{fact}}}"


def _function_logs_and_traces(log_group_fact: str) -> tuple[Call, ...]:
    """What every function of the platform does besides its work: write its log group and X-Ray traces."""
    return (
        Call(
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            _log_streams(f"{{{log_group_fact}}}"),
            "the function writes its own log group",
        ),
        Call(
            ("xray:PutTraceSegments", "xray:PutTelemetryRecords"),
            "*",
            "the function sends X-Ray traces (no resource-level permission)",
        ),
    )


_TRAINING_JOBS = "arn:{partition}:sagemaker:{region}:{account}:training-job/*"
_TUNING_JOBS = "arn:{partition}:sagemaker:{region}:{account}:hyper-parameter-tuning-job/*"
_KEY = "{key_arn}"
_READABLE_BUCKETS = (
    "data_bucket",
    "extra_readable_bucket",
    "artifacts_bucket",
    "checkpoints_bucket",
    "tensorboard_bucket",
)
_WRITABLE_BUCKETS = ("artifacts_bucket", "checkpoints_bucket", "tensorboard_bucket")
# The tags of every job the workflow creates: the cost tag and the creating execution's own tag.
_WORKFLOW_JOB_TAGS = (
    Context(f"aws:RequestTag/{COST_TAG_KEY}", (COST_TAG_VALUE,)),
    Context(f"aws:RequestTag/{EXECUTION_TAG_KEY}", (EXAMPLE_NAME,)),
    Context("aws:TagKeys", (COST_TAG_KEY, EXECUTION_TAG_KEY), "stringList"),
)
# What SageMaker tells IAM of a job within the guardrails (stacks/job_limits.py conditions the grant on them).
_JOB_WITHIN_LIMITS = (
    Context("sagemaker:InstanceTypes", ("{job_instance_type}",), "stringList"),
    Context("sagemaker:MaxRuntimeInSeconds", ("{job_max_run}",), "numeric"),
)
_WORKFLOW_JOB = (*_WORKFLOW_JOB_TAGS, *_JOB_WITHIN_LIMITS)


def _job_beyond(key: str, value: str, kind: str, why: str, when: str) -> Call:
    """A tagged job beyond one guardrail: IAM must refuse it to the workflow's role."""
    others = tuple(context for context in _WORKFLOW_JOB if context.key != key)
    return Call(
        ("sagemaker:CreateTrainingJob",),
        _TRAINING_JOBS,
        why,
        context=(*others, Context(key, (value,), kind)),
        allowed=False,
        when=when,
    )


EXECUTION_ROLE = Principal(
    "ExecutionRole",
    "the SageMaker execution role",
    (
        *(
            Call(("s3:ListBucket", "s3:GetBucketLocation"), _bucket(fact), "training lists its input channels")
            for fact in _READABLE_BUCKETS
        ),
        *(
            Call(("s3:GetObject", "s3:GetObjectVersion"), _objects(fact), "training reads its input channels")
            for fact in _READABLE_BUCKETS
        ),
        Call(
            ("s3:GetObject",),
            _objects("artifacts_bucket", "*/source/sourcedir.tar.gz"),
            "the container fetches script-mode code trainctl uploaded to its default place",
        ),
        *(
            Call(
                ("s3:PutObject", "s3:AbortMultipartUpload"),
                _objects(fact),
                "training writes the model, checkpoints and TensorBoard data",
            )
            for fact in _WRITABLE_BUCKETS
        ),
        Call(
            ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"),
            "arn:{partition}:ecr:{region}:{account}:repository/{repository}",
            "SageMaker pulls the training image from the platform's repository",
        ),
        Call(
            ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"),
            "{extra_image_repository}",
            "SageMaker pulls a training image from a repository of the extra_image_repositories setting",
        ),
        Call(
            ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"),
            "{rule_evaluator_repository}",
            "Debugger and profiler rule evaluation jobs pull SageMaker's regional rule image",
            when="rule_evaluator_repository",
        ),
        Call(("ecr:GetAuthorizationToken",), "*", "SageMaker logs in to the registry (no resource-level permission)"),
        Call(
            ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
            _log_streams(TRAINING_JOB_LOG_GROUP),
            "SageMaker writes the job's logs",
        ),
        Call(
            ("cloudwatch:PutMetricData",),
            "*",
            "SageMaker publishes the job's metrics",
            context=(Context("cloudwatch:namespace", (TRAINING_JOB_METRICS_NAMESPACE,)),),
        ),
        Call(
            ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
            _KEY,
            "S3 uses the project key for the job's data and outputs",
            context=(_via("s3"),),
        ),
        Call(("kms:DescribeKey",), _KEY, "SageMaker checks the project key"),
        Call(
            ("kms:Decrypt",),
            "{extra_kms_key}",
            "S3 decrypts an extra readable bucket's objects with its key (extra_kms_key_arns)",
            context=(_via("s3"),),
        ),
        Call(
            ("kms:CreateGrant",),
            _KEY,
            "SageMaker lets EBS encrypt the training volume with the project key",
            context=(Context("kms:GrantIsForAWSResource", ("true",), "boolean"),),
        ),
        Call(
            (
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ),
            "*",
            "remote debugging reaches the container through Systems Manager (allow_remote_debug; no "
            "resource-level permission)",
            when="remote_debug",
        ),
        Call(
            ("lambda:InvokeFunction",),
            "{credentials_provider}",
            "SageMaker gets a private registry's credentials (training_repository_credentials_providers)",
        ),
        Call(
            ("ec2:CreateNetworkInterface",),
            "arn:{partition}:ec2:{region}:{account}:network-interface/*",
            "SageMaker attaches the training instances to the VPC",
            when="vpc",
        ),
        Call(
            ("ec2:CreateNetworkInterface",),
            "arn:{partition}:ec2:{region}:{account}:subnet/{vpc_subnet}",
            "in the configured subnets",
        ),
        Call(
            ("ec2:CreateNetworkInterface",),
            "arn:{partition}:ec2:{region}:{account}:security-group/{vpc_security_group}",
            "with the configured security groups",
        ),
        Call(
            (
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ),
            "arn:{partition}:ec2:{region}:{account}:network-interface/*",
            "SageMaker manages the training instances' network interfaces",
            when="vpc",
        ),
        Call(
            (
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ),
            "*",
            "SageMaker reads the VPC's configuration (no resource-level permission)",
            when="vpc",
        ),
        Call(("s3:PutObject",), _objects("data_bucket"), "training data is read-only to jobs", allowed=False),
        Call(
            ("ecr:BatchGetImage",),
            f"arn:{{partition}}:ecr:{{region}}:{{account}}:repository/{EXAMPLE_NAME}",
            "jobs pull images only from the platform's and the configured repositories",
            allowed=False,
        ),
        Call(
            ("kms:Decrypt",),
            "{extra_kms_key}",
            "an extra bucket's key only through S3",
            allowed=False,
        ),
        Call(("s3:DeleteObject",), _objects("artifacts_bucket"), "jobs never delete outputs", allowed=False),
        Call(
            ("cloudwatch:PutMetricData",),
            "*",
            f"jobs publish metrics only in {TRAINING_JOB_METRICS_NAMESPACE}",
            context=(Context("cloudwatch:namespace", (EXAMPLE_NAME,)),),
            allowed=False,
        ),
        Call(
            ("kms:CreateGrant",),
            _KEY,
            "grants of the project key only for AWS resources",
            context=(Context("kms:GrantIsForAWSResource", ("false",), "boolean"),),
            allowed=False,
        ),
    ),
)

PREPARE_ROLE = Principal(
    "TrainingWorkflowPrepareRole",
    "the Prepare function's role",
    (
        Call(
            ("s3:GetObject", "s3:GetObjectVersion"),
            _objects("data_bucket", "{request_prefix}*"),
            "Prepare reads request files, any version",
        ),
        Call(("kms:Decrypt",), _KEY, "S3 decrypts request files with the project key", context=(_via("s3"),)),
        *_function_logs_and_traces("prepare_log_group"),
        Call(
            ("s3:GetObject",),
            _objects("data_bucket", f"{EXAMPLE_NAME}.json"),
            "Prepare reads only under the request prefix",
            allowed=False,
        ),
        Call(("s3:PutObject",), _objects("data_bucket", "{request_prefix}*"), "Prepare writes nothing", allowed=False),
        Call(("kms:Decrypt",), _KEY, "Prepare uses the project key only through S3", allowed=False),
    ),
)

WRITE_RESULT_ROLE = Principal(
    "TrainingWorkflowWriteResultRole",
    "the WriteResult function's role",
    (
        Call(
            ("s3:PutObject",),
            _objects("data_bucket", "{result_prefix}*.json"),
            "WriteResult writes each request file's result at the same path under the result prefix",
        ),
        Call(("kms:GenerateDataKey",), _KEY, "S3 encrypts result files with the project key", context=(_via("s3"),)),
        *_function_logs_and_traces("write_result_log_group"),
        Call(
            ("s3:PutObject",),
            _objects("data_bucket", "{request_prefix}*.json"),
            "WriteResult never overwrites a request file",
            allowed=False,
        ),
        Call(("kms:GenerateDataKey",), _KEY, "WriteResult uses the project key only through S3", allowed=False),
    ),
)

NOTIFY_ROLE = Principal(
    "MonitoringNotifyRole",
    "the Notify function's role",
    (
        Call(("sns:Publish",), "{topic_arn}", "Notify tells the topic how each job ended"),
        Call(
            ("kms:GenerateDataKey", "kms:Decrypt"),
            _KEY,
            "SNS encrypts the messages with the project key",
            context=(_via("sns"),),
        ),
        *_function_logs_and_traces("notify_log_group"),
        Call(
            ("sns:Publish",),
            f"arn:{{partition}}:sns:{{region}}:{{account}}:{EXAMPLE_NAME}",
            "Notify publishes only to the platform's topic",
            allowed=False,
        ),
    ),
)

STATE_MACHINE_ROLE = Principal(
    "TrainingWorkflowStateMachineRole",
    "the state machine's role",
    (
        Call(
            ("lambda:InvokeFunction",),
            _function("prepare_function"),
            "the workflow runs Prepare",
        ),
        Call(
            ("lambda:InvokeFunction",),
            _function("write_result_function"),
            "the workflow runs WriteResult",
        ),
        Call(
            ("sagemaker:CreateTrainingJob",),
            _TRAINING_JOBS,
            f"the workflow creates jobs tagged {COST_TAG_KEY}={COST_TAG_VALUE}, within the guardrails",
            context=_WORKFLOW_JOB,
        ),
        Call(
            ("sagemaker:CreateTrainingJob",),
            "{training_plan}",
            "a job on a training plan is authorized on the plan too (training_plans)",
            context=_WORKFLOW_JOB,
        ),
        Call(
            ("sagemaker:AddTags", "sagemaker:ListTags"),
            _TRAINING_JOBS,
            "Step Functions tags the jobs it creates; the workflow reads a job's tags to find its own",
        ),
        Call(
            ("sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob"),
            _TRAINING_JOBS,
            "the workflow follows and stops its jobs",
        ),
        Call(
            ("iam:PassRole",),
            "{execution_role_arn}",
            "the workflow gives jobs the execution role",
            context=(Context("iam:PassedToService", ("sagemaker.amazonaws.com",)),),
        ),
        Call(
            ("events:PutTargets", "events:PutRule", "events:DescribeRule"),
            f"arn:{{partition}}:events:{{region}}:{{account}}:rule/{SAGEMAKER_TRAINING_SYNC_RULE}",
            "Step Functions hears of job ends through its managed rule",
        ),
        Call(
            ("sagemaker:CreateHyperParameterTuningJob",),
            _TUNING_JOBS,
            f"the workflow creates tuning jobs tagged {COST_TAG_KEY}={COST_TAG_VALUE}, within the guardrails",
            context=_WORKFLOW_JOB,  # a tuning job is held to the instance types too
        ),
        Call(
            ("sagemaker:AddTags", "sagemaker:ListTags"),
            _TUNING_JOBS,
            "Step Functions tags the tuning jobs it creates and reads their tags",
        ),
        Call(
            (
                "sagemaker:DescribeHyperParameterTuningJob",
                "sagemaker:StopHyperParameterTuningJob",
                "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
            ),
            _TUNING_JOBS,
            "the workflow follows and stops its tuning jobs",
        ),
        Call(
            ("events:PutTargets", "events:PutRule", "events:DescribeRule"),
            f"arn:{{partition}}:events:{{region}}:{{account}}:rule/{SAGEMAKER_TUNING_SYNC_RULE}",
            "Step Functions hears of tuning job ends through its managed rule",
        ),
        Call(
            ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"),
            "*",
            "the workflow is traced with X-Ray (no resource-level permission)",
        ),
        Call(
            (
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ),
            "*",
            "Step Functions delivers the execution logs (no resource-level permission)",
        ),
        Call(
            ("sagemaker:CreateTrainingJob",),
            _TRAINING_JOBS,
            f"only jobs tagged {COST_TAG_KEY}={COST_TAG_VALUE} may be created",
            context=(
                Context("aws:RequestTag/Team", (EXAMPLE_NAME,)),
                Context("aws:TagKeys", ("Team",), "stringList"),
            ),
            allowed=False,
        ),
        _job_beyond(
            "sagemaker:InstanceTypes",
            "{instance_type_not_allowed}",
            "stringList",
            "only the allowed instance types (allowed_instance_types)",
            "instance_type_not_allowed",
        ),
        _job_beyond(
            "sagemaker:MaxRuntimeInSeconds",
            "{max_run_above_limit}",
            "numeric",
            "no longer run than max_run_seconds",
            "max_run_above_limit",
        ),
        _job_beyond(
            "sagemaker:KeepAlivePeriod",
            "{keep_alive_above_limit}",
            "numeric",
            "no longer warm pool than max_keep_alive_seconds",
            "keep_alive_above_limit",
        ),
        Call(
            ("sagemaker:CreateHyperParameterTuningJob",),
            _TUNING_JOBS,
            f"only tuning jobs tagged {COST_TAG_KEY}={COST_TAG_VALUE} may be created",
            context=(
                Context(f"aws:RequestTag/{COST_TAG_KEY}", ("2",)),
                Context("aws:TagKeys", (COST_TAG_KEY,), "stringList"),
            ),
            allowed=False,
        ),
        Call(
            ("iam:PassRole",),
            "{execution_role_arn}",
            "the execution role goes to SageMaker only",
            context=(Context("iam:PassedToService", ("ec2.amazonaws.com",)),),
            allowed=False,
        ),
        Call(
            ("iam:PassRole",),
            f"arn:{{partition}}:iam::{{account}}:role/{EXAMPLE_NAME}",
            "the workflow passes no other role",
            context=(Context("iam:PassedToService", ("sagemaker.amazonaws.com",)),),
            allowed=False,
        ),
    ),
)

EVENTS_ROLE = Principal(
    "TrainingWorkflowStateMachineEventsRole",
    "the trigger rules' role",
    (
        Call(("states:StartExecution",), "{state_machine_arn}", "a trigger rule starts the workflow"),
        Call(
            ("states:StartExecution",),
            f"arn:{{partition}}:states:{{region}}:{{account}}:stateMachine:{EXAMPLE_NAME}",
            "the rules start no other state machine",
            allowed=False,
        ),
    ),
)

PRINCIPALS: tuple[Principal, ...] = (
    EXECUTION_ROLE,
    PREPARE_ROLE,
    WRITE_RESULT_ROLE,
    STATE_MACHINE_ROLE,
    EVENTS_ROLE,
    NOTIFY_ROLE,
)


@dataclass(frozen=True)
class RuleTarget:
    """What an EventBridge rule of the training stack must send its events to (and with which role)."""

    arn: str
    role: str | None  # a principal's role, whose ARN the target uses; None for a function target
    what: str


_STARTS_WORKFLOW = RuleTarget("{state_machine_arn}", EVENTS_ROLE.role, "the training workflow")
# By the rule's logical ID without the CDK's hash.
RULE_TARGETS: Mapping[str, RuleTarget] = {
    "TriggersRequestFileRule": _STARTS_WORKFLOW,
    "TriggersImagePushRule": _STARTS_WORKFLOW,
    "TriggersScheduleRule": _STARTS_WORKFLOW,
    "MonitoringJobStateRule": RuleTarget(_function("notify_function"), None, "the Notify function"),
    "MonitoringTuningStateRule": RuleTarget(_function("notify_function"), None, "the Notify function"),
}


@dataclass(frozen=True)
class KeyPolicyGrant:
    """A statement the project key's policy must have: who, and which actions (at least)."""

    principal_type: str  # "AWS" or "Service"
    principal: str
    actions: tuple[str, ...]
    why: str
    # The statement's condition, if it has one (patterns as in calls); a statement with any other condition
    # does not count.
    condition: Mapping[str, Mapping[str, str]] | None = None


def _kms_actions() -> tuple[str, ...]:
    return tuple(
        sorted(
            {
                action
                for principal in PRINCIPALS
                for call in principal.calls
                if call.allowed
                for action in call.actions
                if action.startswith("kms:")
            }
        )
    )


KEY_POLICY_GRANTS: tuple[KeyPolicyGrant, ...] = (
    KeyPolicyGrant(
        "AWS",
        "arn:{partition}:iam::{account}:root",
        _kms_actions(),
        "only then do the roles' own policies give them the key",
    ),
    KeyPolicyGrant(
        "Service",
        "cloudwatch.amazonaws.com",
        ("kms:Decrypt", "kms:GenerateDataKey"),
        "CloudWatch alarms publish to the topic encrypted with the key",
        {"StringEquals": {"aws:SourceAccount": "{account}"}},
    ),
)


# -- Using the catalogue ---------------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
Fact = str | tuple[str, ...] | bool


class MissingFact(KeyError):
    """A pattern names a fact the deployment does not give."""


def placeholders(call: Call) -> set[str]:
    texts = [call.resource, *(value for context in call.context for value in context.values)]
    return {name for text in texts for name in _PLACEHOLDER.findall(text)}


def fill(pattern: str, facts: Mapping[str, Fact]) -> str:
    """A pattern with its placeholders replaced by single-valued facts."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in facts:
            raise MissingFact(name)
        fact = facts[name]
        if not isinstance(fact, str):
            raise MissingFact(f"{name} is not a single value")
        return fact

    return _PLACEHOLDER.sub(value, pattern)


def resolve(call: Call, facts: Mapping[str, Fact]) -> Iterator[Call]:
    """The call with the deployment's facts in its patterns: one per combination of list facts' items
    (none when a list is empty or `when` is false)."""
    if call.when is not None and not facts.get(call.when):
        return
    names = sorted(placeholders(call))
    for name in names:
        if name not in facts:
            raise MissingFact(name)
    choices: list[tuple[Fact, ...]] = [_items(facts[name]) for name in names]
    for values in product(*choices):
        single = {**facts, **dict(zip(names, values, strict=True))}
        yield replace(
            call,
            resource=fill(call.resource, single),
            context=tuple(
                replace(context, values=tuple(fill(value, single) for value in context.values))
                for context in call.context
            ),
            when=None,
        )


def _items(fact: Fact) -> tuple[Fact, ...]:
    return fact if isinstance(fact, tuple) else (fact,)


def example(pattern: str) -> str:
    """A concrete resource the pattern covers: each `*` a name the platform would choose (a bare `*`,
    for actions without resource-level permissions, stays `*`)."""
    return pattern if pattern == "*" else pattern.replace("*", EXAMPLE_NAME)


def matches(pattern: str, value: str) -> bool:
    """Whether a resource (or action) matches a pattern as IAM matches them: `*` any run of characters,
    `?` any one."""
    expression = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(expression, value, flags=re.DOTALL) is not None


def logical_id_stem(logical_id: str) -> str:
    """A CDK logical ID without the 8-hex-digit hash it ends with (`ExecutionRoleCDF74862` -> `ExecutionRole`)."""
    return re.sub(r"[0-9A-F]{8}$", "", logical_id)
