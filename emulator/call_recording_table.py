"""The IAM action(s), resource ARN and request context of each operation the platform, its users'
tools and the emulated services call, after the Service Authorization Reference.

An operation missing here is recorded as `unknown:<service>.<Operation>` on "*": the evaluator fails
on it instead of skipping it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator import ACCOUNT_ID
from emulator.call_log import Authorization, ContextValue


@dataclass(frozen=True)
class ServedRequest:
    """A request as IAM sees it: its service and operation, their parameters, where it was sent."""

    service: str
    operation: str
    params: Mapping[str, Any]
    region: str
    account: str = ACCOUNT_ID
    headers: Mapping[str, str] | None = None  # lower-case names

    def header(self, name: str) -> str | None:
        return (self.headers or {}).get(name.lower())

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


Rule = Callable[[ServedRequest], list[Authorization]]
Resource = Callable[[ServedRequest], str]


def authorizations(request: ServedRequest) -> list[Authorization]:
    rule = RULES.get(request.service, {}).get(request.operation)
    if rule is None:
        return [Authorization(f"unknown:{request.service}.{request.operation}", "*")]
    return rule(request)


def tag_context(tags: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None) -> dict[str, ContextValue]:
    """aws:RequestTag/<key> and aws:TagKeys of the tags a request sets (a list of Key/Value pairs,
    either case, or a map)."""
    if isinstance(tags, Mapping):
        pairs = [(str(k), str(v)) for k, v in tags.items()]
    else:
        pairs = [(str(t.get("Key", t.get("key"))), str(t.get("Value", t.get("value", "")))) for t in tags or []]
    if not pairs:
        return {}
    context: dict[str, ContextValue] = {f"aws:RequestTag/{key}": value for key, value in pairs}
    context["aws:TagKeys"] = [key for key, _ in pairs]
    return context


def _one(
    action: str, resource: Resource, context: Callable[[ServedRequest], Mapping[str, ContextValue]] | None = None
) -> Rule:
    return lambda r: [Authorization(action, resource(r), dict(context(r)) if context else {})]


def _each(
    prefix: str, resource: Resource, operations: str, actions: Mapping[str, str] | None = None
) -> dict[str, Rule]:
    """Operations whose IAM action is `<prefix>:<operation>` (or as `actions` renames it) on `resource`."""
    return {op: _one(f"{prefix}:{(actions or {}).get(op, op)}", resource) for op in operations.split()}


def _anything(_: ServedRequest) -> str:
    return "*"


# ---- S3 --------------------------------------------------------------------------------------------


def s3_bucket(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def s3_object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _bucket(r: ServedRequest) -> str:
    return s3_bucket(r.params["Bucket"])


def _object(r: ServedRequest) -> str:
    return s3_object(r.params["Bucket"], r.params["Key"])


def _read_object(r: ServedRequest) -> list[Authorization]:
    versioned = r.params.get("VersionId") not in (None, "", "null")
    return [Authorization("s3:GetObjectVersion" if versioned else "s3:GetObject", _object(r))]


def _write_object(r: ServedRequest) -> list[Authorization]:
    calls = [Authorization("s3:PutObject", _object(r))]
    if r.params.get("Tagging"):
        calls.append(Authorization("s3:PutObjectTagging", _object(r)))
    return calls


def _copy_object(r: ServedRequest) -> list[Authorization]:
    source = str(r.params["CopySource"]).lstrip("/").split("?versionId=")[0]
    return [Authorization("s3:GetObject", f"arn:aws:s3:::{source}"), *_write_object(r)]


def _list_bucket(action: str) -> Rule:
    def rule(r: ServedRequest) -> list[Authorization]:
        context: dict[str, ContextValue] = {}
        for parameter, key in (("Prefix", "s3:prefix"), ("Delimiter", "s3:delimiter"), ("MaxKeys", "s3:max-keys")):
            if r.params.get(parameter) is not None:
                context[key] = str(r.params[parameter])
        return [Authorization(action, _bucket(r), context)]

    return rule


def _delete_objects(r: ServedRequest) -> list[Authorization]:
    objects = (r.params.get("Delete") or {}).get("Objects") or []
    return [
        Authorization(
            "s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject",
            s3_object(r.params["Bucket"], o["Key"]),
        )
        for o in objects
    ]


_S3: dict[str, Rule] = {
    "GetObject": _read_object,
    "HeadObject": _read_object,
    "PutObject": _write_object,
    "CreateMultipartUpload": _write_object,
    "UploadPart": _one("s3:PutObject", _object),
    "CompleteMultipartUpload": _one("s3:PutObject", _object),
    "CopyObject": _copy_object,
    "DeleteObjects": _delete_objects,
    "ListObjectsV2": _list_bucket("s3:ListBucket"),
    "ListObjects": _list_bucket("s3:ListBucket"),
    "ListObjectVersions": _list_bucket("s3:ListBucketVersions"),
    "HeadBucket": _one("s3:ListBucket", _bucket),
    "ListBuckets": _one("s3:ListAllMyBuckets", _anything),
    "DeleteObject": lambda r: [
        Authorization("s3:DeleteObjectVersion" if r.params.get("VersionId") else "s3:DeleteObject", _object(r))
    ],
    **_each("s3", _object, "AbortMultipartUpload GetObjectTagging PutObjectTagging DeleteObjectTagging"),
    **_each(
        "s3",
        _bucket,
        "CreateBucket DeleteBucket GetBucketLocation GetBucketTagging PutBucketTagging GetBucketVersioning "
        "PutBucketVersioning GetBucketPolicy PutBucketPolicy DeleteBucketPolicy GetBucketEncryption PutBucketEncryption "
        "GetBucketNotificationConfiguration PutBucketNotificationConfiguration GetPublicAccessBlock PutPublicAccessBlock "
        "GetBucketLifecycleConfiguration PutBucketLifecycleConfiguration ListMultipartUploads GetBucketAcl "
        "GetBucketOwnershipControls PutBucketOwnershipControls",
        {
            "GetBucketEncryption": "GetEncryptionConfiguration",
            "PutBucketEncryption": "PutEncryptionConfiguration",
            "GetBucketNotificationConfiguration": "GetBucketNotification",
            "PutBucketNotificationConfiguration": "PutBucketNotification",
            "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
            "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
            "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
            "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
            "ListMultipartUploads": "ListBucketMultipartUploads",
        },
    ),
}

# ---- Lambda ----------------------------------------------------------------------------------------


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    """A function's ARN from a name, a partial ARN (account:function:name) or an ARN, qualified when asked."""
    if name.startswith("arn:"):
        arn = name
    elif ":function:" in name:
        arn = f"arn:aws:lambda:{region}:{name}"
    else:
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn


def _function(r: ServedRequest) -> str:
    name = r.params.get("FunctionName") or r.params.get("Resource") or ""
    return function_arn(r.region, r.account, str(name), r.params.get("Qualifier"))


def _create_function(r: ServedRequest) -> list[Authorization]:
    arn = _function(r)
    return [
        Authorization("lambda:CreateFunction", arn, tag_context(r.params.get("Tags"))),
        Authorization("iam:PassRole", r.params["Role"], {"iam:PassedToService": "lambda.amazonaws.com"}),
    ]


_LAMBDA: dict[str, Rule] = {
    "Invoke": _one("lambda:InvokeFunction", _function),
    "InvokeAsync": _one("lambda:InvokeFunction", _function),
    "CreateFunction": _create_function,
    "ListFunctions": _one("lambda:ListFunctions", _anything),
    **_each(
        "lambda",
        _function,
        "GetFunction GetFunctionConfiguration UpdateFunctionConfiguration UpdateFunctionCode DeleteFunction "
        "PutFunctionConcurrency DeleteFunctionConcurrency GetFunctionConcurrency GetPolicy AddPermission "
        "RemovePermission ListVersionsByFunction PublishVersion ListTags TagResource",
    ),
}

# ---- Step Functions --------------------------------------------------------------------------------


def _state_machine(r: ServedRequest) -> str:
    return str(r.params["stateMachineArn"])


def _execution(r: ServedRequest) -> str:
    return str(r.params["executionArn"])


_STATES: dict[str, Rule] = {
    **_each("states", _state_machine, "StartExecution StartSyncExecution DescribeStateMachine ListExecutions"),
    **_each(
        "states",
        _execution,
        "DescribeExecution StopExecution GetExecutionHistory DescribeStateMachineForExecution RedriveExecution",
    ),
    **_each("states", _anything, "ListStateMachines SendTaskSuccess SendTaskFailure SendTaskHeartbeat ListActivities"),
}

# ---- SageMaker -------------------------------------------------------------------------------------


def training_job_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:training-job/{name.lower()}"


def _training_job(r: ServedRequest) -> str:
    return training_job_arn(r.region, r.account, str(r.params["TrainingJobName"]))


def _training_job_context(params: Mapping[str, Any]) -> dict[str, ContextValue]:
    """The sagemaker: condition keys CreateTrainingJob sets (only those the request gives)."""
    resources = params.get("ResourceConfig") or {}
    vpc = params.get("VpcConfig") or {}
    candidates: dict[str, ContextValue | None] = {
        "sagemaker:InstanceTypes": [resources["InstanceType"]] if resources.get("InstanceType") else None,
        "sagemaker:VolumeKmsKey": resources.get("VolumeKmsKeyId"),
        "sagemaker:OutputKmsKey": (params.get("OutputDataConfig") or {}).get("KmsKeyId"),
        "sagemaker:VpcSubnets": list(vpc.get("Subnets") or []) or None,
        "sagemaker:VpcSecurityGroupIds": list(vpc.get("SecurityGroupIds") or []) or None,
        "sagemaker:NetworkIsolation": str(bool(params.get("EnableNetworkIsolation"))).lower(),
        "sagemaker:InterContainerTrafficEncryption": str(
            bool(params.get("EnableInterContainerTrafficEncryption"))
        ).lower(),
        "sagemaker:MaxRuntimeInSeconds": str((params.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", ""))
        or None,
    }
    return {key: value for key, value in candidates.items() if value}


def _create_training_job(r: ServedRequest) -> list[Authorization]:
    """CreateTrainingJob; with Tags, SageMaker also authorizes sagemaker:AddTags on the new job (tag on
    create); and the caller passes the execution role to SageMaker (iam:PassRole)."""
    job = _training_job(r)
    tags = tag_context(r.params.get("Tags"))
    calls = [Authorization("sagemaker:CreateTrainingJob", job, {**tags, **_training_job_context(r.params)})]
    if tags:
        calls.append(Authorization("sagemaker:AddTags", job, tags))
    calls.append(
        Authorization("iam:PassRole", str(r.params["RoleArn"]), {"iam:PassedToService": "sagemaker.amazonaws.com"})
    )
    return calls


def tuning_job_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:hyper-parameter-tuning-job/{name.lower()}"


def _tuning_job(r: ServedRequest) -> str:
    return tuning_job_arn(r.region, r.account, str(r.params["HyperParameterTuningJobName"]))


def _tuning_definitions(params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    single = params.get("TrainingJobDefinition")
    return [single] if single else list(params.get("TrainingJobDefinitions") or [])


def _tuning_job_context(params: Mapping[str, Any]) -> dict[str, ContextValue]:
    """The sagemaker: condition keys of CreateHyperParameterTuningJob: CreateTrainingJob's, read from the
    training job definition(s) (instance types of HyperParameterTuningResourceConfig and its
    InstanceConfigs too; MaxRuntimeInSeconds is the training jobs' StoppingCondition)."""
    context: dict[str, ContextValue] = {}
    instance_types: list[str] = []
    for definition in _tuning_definitions(params):
        resources = definition.get("ResourceConfig") or definition.get("HyperParameterTuningResourceConfig") or {}
        as_training = {**definition, "ResourceConfig": resources}
        for key, value in _training_job_context(as_training).items():
            if key != "sagemaker:InstanceTypes":
                context.setdefault(key, value)
        instance_types += [resources["InstanceType"]] if resources.get("InstanceType") else []
        instance_types += [c["InstanceType"] for c in resources.get("InstanceConfigs") or [] if c.get("InstanceType")]
    if instance_types:
        context["sagemaker:InstanceTypes"] = sorted(set(instance_types))
    return context


def _create_tuning_job(r: ServedRequest) -> list[Authorization]:
    """CreateHyperParameterTuningJob; with Tags, sagemaker:AddTags on the new tuning job (tag on create);
    and the caller passes each training job definition's execution role to SageMaker (iam:PassRole).
    The training jobs the tuning job launches are SageMaker's own: no CreateTrainingJob is authorized
    for them (each assumes the role as any training job does, recorded by the training job's side)."""
    job = _tuning_job(r)
    tags = tag_context(r.params.get("Tags"))
    calls = [Authorization("sagemaker:CreateHyperParameterTuningJob", job, {**tags, **_tuning_job_context(r.params)})]
    if tags:
        calls.append(Authorization("sagemaker:AddTags", job, tags))
    roles = sorted({str(d["RoleArn"]) for d in _tuning_definitions(r.params) if d.get("RoleArn")})
    calls += [Authorization("iam:PassRole", role, {"iam:PassedToService": "sagemaker.amazonaws.com"}) for role in roles]
    return calls


def _add_tags(r: ServedRequest) -> list[Authorization]:
    return [Authorization("sagemaker:AddTags", str(r.params["ResourceArn"]), tag_context(r.params.get("Tags")))]


_SAGEMAKER: dict[str, Rule] = {
    "CreateTrainingJob": _create_training_job,
    "AddTags": _add_tags,
    "CreateHyperParameterTuningJob": _create_tuning_job,
    **_each("sagemaker", _training_job, "DescribeTrainingJob StopTrainingJob"),
    **_each(
        "sagemaker",
        _tuning_job,
        "DescribeHyperParameterTuningJob StopHyperParameterTuningJob ListTrainingJobsForHyperParameterTuningJob",
    ),
    **_each("sagemaker", lambda r: str(r.params["ResourceArn"]), "ListTags DeleteTags"),
    **_each("sagemaker", _anything, "ListTrainingJobs ListHyperParameterTuningJobs Search"),
}

# ---- EventBridge -----------------------------------------------------------------------------------


def event_rule_arn(region: str, account: str, name: str, bus: str | None = None) -> str:
    if name.startswith("arn:"):
        return name
    on_bus = "" if bus in (None, "", "default") else f"{str(bus).rsplit('/', 1)[-1]}/"
    return f"arn:aws:events:{region}:{account}:rule/{on_bus}{name}"


def _event_rule(r: ServedRequest) -> str:
    return event_rule_arn(
        r.region, r.account, str(r.params.get("Name") or r.params["Rule"]), r.params.get("EventBusName")
    )


def _put_events(r: ServedRequest) -> list[Authorization]:
    """PutEvents, once per event bus it puts on, with the entries' sources and detail types."""
    by_bus: dict[str, list[Mapping[str, Any]]] = {}
    for entry in r.params.get("Entries") or []:
        bus = str(entry.get("EventBusName") or "default")
        by_bus.setdefault(bus if bus.startswith("arn:") else r.arn("events", f"event-bus/{bus}"), []).append(entry)
    return [
        Authorization(
            "events:PutEvents",
            bus,
            {
                "events:source": sorted({str(e.get("Source")) for e in entries}),
                "events:detail-type": sorted({str(e.get("DetailType")) for e in entries}),
            },
        )
        for bus, entries in by_bus.items()
    ]


_EVENTS: dict[str, Rule] = {
    "PutEvents": _put_events,
    "PutRule": lambda r: [Authorization("events:PutRule", _event_rule(r), tag_context(r.params.get("Tags")))],
    **_each(
        "events",
        _event_rule,
        "DescribeRule PutTargets RemoveTargets DeleteRule ListTargetsByRule EnableRule DisableRule",
    ),
    **_each("events", _anything, "ListRules ListEventBuses"),
}

# ---- CloudWatch Logs, CloudWatch -------------------------------------------------------------------


def log_group_arn(region: str, account: str, group: str) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{group}"


def log_stream_arn(region: str, account: str, group: str, stream: str) -> str:
    return f"{log_group_arn(region, account, group)}:log-stream:{stream}"


def _log_group(r: ServedRequest) -> str:
    group = r.params.get("logGroupName") or str(r.params.get("logGroupIdentifier") or "").removesuffix(":*")
    return group if group.startswith("arn:") else log_group_arn(r.region, r.account, group)


def _log_stream(r: ServedRequest) -> str:
    return log_stream_arn(r.region, r.account, r.params["logGroupName"], r.params["logStreamName"])


_LOGS: dict[str, Rule] = {
    "CreateLogGroup": lambda r: [
        Authorization("logs:CreateLogGroup", _log_group(r), tag_context(r.params.get("tags")))
    ],
    **_each(
        "logs",
        _log_group,
        "DescribeLogStreams FilterLogEvents DeleteLogGroup PutRetentionPolicy DescribeMetricFilters "
        "PutMetricFilter DeleteMetricFilter",
    ),
    **_each("logs", _log_stream, "CreateLogStream PutLogEvents GetLogEvents DeleteLogStream"),
    "DescribeLogGroups": _one("logs:DescribeLogGroups", lambda r: r.arn("logs", "log-group:*")),
}


def _alarm(r: ServedRequest) -> str:
    return r.arn("cloudwatch", f"alarm:{r.params['AlarmName']}")


def _put_metric_data(r: ServedRequest) -> list[Authorization]:
    return [Authorization("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": str(r.params["Namespace"])})]


_CLOUDWATCH: dict[str, Rule] = {
    "PutMetricData": _put_metric_data,
    **_each("cloudwatch", _anything, "GetMetricData GetMetricStatistics ListMetrics"),
    **_each("cloudwatch", _alarm, "SetAlarmState PutMetricAlarm"),
    **_each("cloudwatch", lambda r: r.arn("cloudwatch", "alarm:*"), "DescribeAlarms DescribeAlarmHistory DeleteAlarms"),
}

# ---- SNS, SQS --------------------------------------------------------------------------------------


def _topic(r: ServedRequest) -> str:
    arn = r.params.get("TopicArn") or r.params.get("TargetArn") or r.params.get("ResourceArn")
    if arn:
        return str(arn)
    if r.params.get("SubscriptionArn"):
        return str(r.params["SubscriptionArn"]).rsplit(":", 1)[0]
    return r.arn("sns", str(r.params["Name"]))


_SNS: dict[str, Rule] = {
    "CreateTopic": lambda r: [Authorization("sns:CreateTopic", _topic(r), tag_context(r.params.get("Tags")))],
    **_each(
        "sns",
        _topic,
        "Publish Subscribe Unsubscribe GetTopicAttributes SetTopicAttributes ListSubscriptionsByTopic DeleteTopic "
        "ListTagsForResource GetSubscriptionAttributes",
    ),
    **_each("sns", _anything, "ListTopics ListSubscriptions"),
}


def _queue(r: ServedRequest) -> str:
    url = r.params.get("QueueUrl")
    if url:
        account, name = str(url).rstrip("/").split("/")[-2:]
        return f"arn:aws:sqs:{r.region}:{account}:{name}"
    return r.arn("sqs", str(r.params["QueueName"]))


_SQS: dict[str, Rule] = {
    **_each(
        "sqs",
        _queue,
        "CreateQueue GetQueueUrl ReceiveMessage SendMessage DeleteMessage GetQueueAttributes SetQueueAttributes "
        "PurgeQueue DeleteQueue ChangeMessageVisibility",
    ),
    "ListQueues": _one("sqs:ListQueues", _anything),
}

# ---- KMS, ECR, STS, IAM, CloudFormation, SSM ---------------------------------------------------------


def key_arn(region: str, account: str, key: str) -> str:
    if key.startswith("arn:"):
        return key
    return f"arn:aws:kms:{region}:{account}:{key if key.startswith('alias/') else 'key/' + key}"


_KMS: dict[str, Rule] = {
    **_each(
        "kms",
        lambda r: key_arn(r.region, r.account, str(r.params["KeyId"])),
        "Decrypt Encrypt GenerateDataKey GenerateDataKeyWithoutPlaintext DescribeKey GetKeyPolicy PutKeyPolicy "
        "EnableKeyRotation GetKeyRotationStatus ScheduleKeyDeletion CreateGrant",
    ),
    **_each("kms", _anything, "ListKeys ListAliases CreateKey"),
}


def _repository(r: ServedRequest) -> str:
    return r.arn("ecr", f"repository/{r.params['repositoryName']}")


def _repositories(r: ServedRequest) -> list[Authorization]:
    names = r.params.get("repositoryNames") or []
    if not names:
        return [Authorization("ecr:DescribeRepositories", "*")]
    return [Authorization("ecr:DescribeRepositories", r.arn("ecr", f"repository/{n}")) for n in names]


_ECR: dict[str, Rule] = {
    "GetAuthorizationToken": _one("ecr:GetAuthorizationToken", _anything),
    "DescribeRepositories": _repositories,
    "CreateRepository": lambda r: [
        Authorization("ecr:CreateRepository", _repository(r), tag_context(r.params.get("tags")))
    ],
    **_each(
        "ecr",
        _repository,
        "BatchGetImage BatchCheckLayerAvailability GetDownloadUrlForLayer PutImage InitiateLayerUpload "
        "UploadLayerPart CompleteLayerUpload DescribeImages ListImages DeleteRepository BatchDeleteImage "
        "GetRepositoryPolicy SetRepositoryPolicy PutLifecyclePolicy",
    ),
}

_STS: dict[str, Rule] = {
    "GetCallerIdentity": _one("sts:GetCallerIdentity", _anything),
    "AssumeRole": _one("sts:AssumeRole", lambda r: str(r.params["RoleArn"])),
}


def _role(r: ServedRequest) -> str:
    return f"arn:aws:iam::{r.account}:role/{r.params['RoleName']}"


_IAM: dict[str, Rule] = {
    **_each(
        "iam",
        _role,
        "GetRole CreateRole DeleteRole PutRolePolicy GetRolePolicy DeleteRolePolicy AttachRolePolicy DetachRolePolicy "
        "ListRolePolicies ListAttachedRolePolicies UpdateAssumeRolePolicy TagRole",
    ),
    "SimulatePrincipalPolicy": _one("iam:SimulatePrincipalPolicy", lambda r: str(r.params["PolicySourceArn"])),
    **_each("iam", _anything, "ListRoles GetUser ListPolicies"),
}


def _stack(r: ServedRequest) -> str:
    name = str(r.params.get("StackName") or "")
    if not name:
        return "*"
    return name if name.startswith("arn:") else r.arn("cloudformation", f"stack/{name}/*")


def _create_change_set(r: ServedRequest) -> list[Authorization]:
    calls = [Authorization("cloudformation:CreateChangeSet", _stack(r), tag_context(r.params.get("Tags")))]
    if r.params.get("RoleARN"):
        calls.append(
            Authorization(
                "iam:PassRole", str(r.params["RoleARN"]), {"iam:PassedToService": "cloudformation.amazonaws.com"}
            )
        )
    return calls


_CLOUDFORMATION: dict[str, Rule] = {
    "CreateChangeSet": _create_change_set,
    **_each(
        "cloudformation",
        _stack,
        "DescribeStacks DescribeChangeSet ExecuteChangeSet DeleteChangeSet ListChangeSets DescribeStackEvents "
        "DescribeStackResources DescribeStackResource DeleteStack GetTemplate GetTemplateSummary ListStackResources "
        "CreateStack UpdateStack",
    ),
    **_each("cloudformation", _anything, "ListStacks ValidateTemplate ListExports"),
}


def parameter_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _parameters(r: ServedRequest) -> list[Authorization]:
    return [
        Authorization("ssm:GetParameters", parameter_arn(r.region, r.account, n)) for n in r.params.get("Names") or []
    ]


_SSM: dict[str, Rule] = {
    **_each(
        "ssm",
        lambda r: parameter_arn(r.region, r.account, str(r.params["Name"])),
        "GetParameter PutParameter DeleteParameter",
    ),
    "GetParameters": _parameters,
}

RULES: dict[str, dict[str, Rule]] = {
    "s3": _S3,
    "lambda": _LAMBDA,
    "stepfunctions": _STATES,
    "sagemaker": _SAGEMAKER,
    "events": _EVENTS,
    "logs": _LOGS,
    "cloudwatch": _CLOUDWATCH,
    "sns": _SNS,
    "sqs": _SQS,
    "kms": _KMS,
    "ecr": _ECR,
    "sts": _STS,
    "iam": _IAM,
    "cloudformation": _CLOUDFORMATION,
    "ssm": _SSM,
}
