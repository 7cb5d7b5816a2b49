"""The SageMaker execution role: what `sagemaker.get_execution_role()` returned in the notebooks,
with only what a training job of this platform needs."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Aws, Stack, Token
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from platform_contract import TRAINING_JOB_LOG_GROUP, TRAINING_JOB_METRICS_NAMESPACE
from stacks.nag import acknowledge_wildcard_resources
from training_request.guardrails import PLATFORM_DEFAULTS, Guardrails
from training_request.image_repositories import rule_evaluator_repository
from training_request.rule_catalog import RULE_EVALUATOR_ACCOUNTS

_READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"]
_PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
_WRITE_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload"]
_LIST_ACTIONS = ["s3:ListBucket", "s3:GetBucketLocation"]
_NO_RESOURCE_LEVEL_PERMISSIONS = (
    "Resource '*' only for actions without resource-level permissions: ecr:GetAuthorizationToken, "
    "cloudwatch:PutMetricData (limited by its namespace condition), ec2:Describe* (VPC only), "
    "ssmmessages:* channels (allow_remote_debug only)."
)
# What SageMaker's remote debugging needs of the execution role: the Systems Manager channels of the container.
REMOTE_DEBUG_ACTIONS = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]
_NETWORK_INTERFACES_REASON = (
    "SageMaker creates and deletes the network interfaces of training instances; their ids are not known in advance."
)


class TrainingExecutionRole(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        readable_buckets: Sequence[s3.IBucket],
        extra_readable_bucket_names: Sequence[str],
        writable_buckets: Sequence[s3.IBucket],
        repository: ecr.IRepository,
        key: kms.IKey,
        vpc_subnet_ids: Sequence[str],
        vpc_security_group_ids: Sequence[str],
        extra_image_repository_arns: Sequence[str] = (),
        extra_kms_key_arns: Sequence[str] = (),
        capabilities: Guardrails | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        capabilities = capabilities or PLATFORM_DEFAULTS
        # Confused-deputy protection as SageMaker documents it: only SageMaker acting for this account. Not a
        # SourceArn of training jobs: Debugger and profiler rule evaluation jobs assume this role too.
        sagemaker: iam.IPrincipal = iam.ServicePrincipal(
            "sagemaker.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
        )
        if capabilities.allow_session_tag_chaining:
            # enable_session_tag_chaining: SageMaker passes the job's session tags on (sts:TagSession).
            sagemaker = iam.SessionTagsPrincipal(sagemaker)
        self.role = iam.Role(
            self, "Role", assumed_by=sagemaker, description="SageMaker training jobs of the training platform"
        )
        # What the role can reach, for the request builder's reachability check (READABLE_BUCKETS, WRITABLE_BUCKETS).
        self.readable_bucket_names: tuple[str, ...] = tuple(
            [bucket.bucket_name for bucket in (*readable_buckets, *writable_buckets)]
            + list(extra_readable_bucket_names)
        )
        self.writable_bucket_names: tuple[str, ...] = tuple(bucket.bucket_name for bucket in writable_buckets)
        extra_bucket_arns = [f"arn:{Aws.PARTITION}:s3:::{name}" for name in extra_readable_bucket_names]
        readable_arns = [bucket.bucket_arn for bucket in readable_buckets] + extra_bucket_arns
        writable_arns = [bucket.bucket_arn for bucket in writable_buckets]
        self._allow("ListTrainingBuckets", _LIST_ACTIONS, readable_arns + writable_arns)
        objects_reason = (
            "Objects of the platform's (and the configured extra) buckets: training reads any key it is given."
        )
        self._allow(
            "ReadTrainingData", _READ_ACTIONS, [f"{arn}/*" for arn in readable_arns + writable_arns], objects_reason
        )
        self._allow(
            "WriteTrainingOutputs",
            _WRITE_ACTIONS,
            [f"{arn}/*" for arn in writable_arns],
            "Outputs, checkpoints and TensorBoard data go under keys the user chooses in the request.",
        )
        self._allow("PullTrainingImage", _PULL_ACTIONS, [repository.repository_arn])
        if extra_image_repository_arns:
            # The extra_image_repositories setting: images the request builder accepts besides the platform's.
            self._allow("PullExtraTrainingImages", _PULL_ACTIONS, list(extra_image_repository_arns))
        rule_evaluator_repositories = _rule_evaluator_repositories(Stack.of(self))
        if rule_evaluator_repositories:
            # Debugger and profiler rule evaluation jobs run SageMaker's regional rule image with this role.
            self._allow("PullRuleEvaluatorImages", _PULL_ACTIONS, rule_evaluator_repositories)
        # Resource "*": ecr:GetAuthorizationToken has no resource-level permissions (it returns a
        # token for the whole registry; the statement above limits what can be pulled with it).
        self._allow("AuthenticateToRegistry", ["ecr:GetAuthorizationToken"], ["*"], _NO_RESOURCE_LEVEL_PERMISSIONS)
        self._allow(
            "WriteTrainingLogs",
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            [
                # The group itself (CreateLogGroup is authorized on the group's ARN, without the ':*' the
                # Logs API appends) and its streams.
                Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
                for name in (TRAINING_JOB_LOG_GROUP, f"{TRAINING_JOB_LOG_GROUP}:*")
            ],
            "SageMaker's training log group and its streams: one per job and instance, named by SageMaker.",
        )
        # Resource "*": cloudwatch:PutMetricData has no resource-level permissions; the namespace
        # condition is what limits it, to the namespace SageMaker publishes training metrics under
        # (metric_definitions, system metrics).
        self._allow(
            "PublishTrainingMetrics",
            ["cloudwatch:PutMetricData"],
            ["*"],
            _NO_RESOURCE_LEVEL_PERMISSIONS,
            conditions={"StringEquals": {"cloudwatch:namespace": TRAINING_JOB_METRICS_NAMESPACE}},
        )
        self._allow(
            "UseProjectKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"], [key.key_arn]
        )
        if extra_kms_key_arns:
            # The extra_kms_key_arns setting: keys of extra readable buckets, which S3 uses on the role's behalf.
            self._allow(
                "DecryptExtraBuckets",
                ["kms:Decrypt"],
                list(extra_kms_key_arns),
                conditions={"StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"}},
            )
        # Encrypting the training volume with the project key (volume_kms_key): EBS needs a grant.
        self._allow(
            "GrantProjectKeyToEbs",
            ["kms:CreateGrant"],
            [key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
        if vpc_subnet_ids:
            self._allow_vpc_network_interfaces(vpc_subnet_ids, vpc_security_group_ids)
        self._allow_capabilities(capabilities)

    def _allow_capabilities(self, capabilities: Guardrails) -> None:
        """What the capability settings turn on, and nothing while they are off."""
        if capabilities.allow_remote_debug:
            # Resource "*": the ssmmessages channel actions have no resource-level permissions.
            self._allow("RemoteDebugChannels", REMOTE_DEBUG_ACTIONS, ["*"], _NO_RESOURCE_LEVEL_PERMISSIONS)
        if capabilities.credentials_providers:
            # training_repository_credentials_provider_arn: SageMaker invokes the function with this role to get
            # the private registry's credentials.
            self._allow(
                "InvokeRegistryCredentialsProviders",
                ["lambda:InvokeFunction"],
                list(capabilities.credentials_providers),
            )

    def _allow_vpc_network_interfaces(self, subnet_ids: Sequence[str], security_group_ids: Sequence[str]) -> None:
        stack = Stack.of(self)

        def ec2_arns(resource: str, names: Sequence[str]) -> list[str]:
            return [stack.format_arn(service="ec2", resource=resource, resource_name=name) for name in names]

        network_interfaces = ec2_arns("network-interface", ["*"])
        # SageMaker attaches one network interface per instance in the configured subnets and groups.
        self._allow(
            "CreateTrainingNetworkInterfaces",
            ["ec2:CreateNetworkInterface"],
            network_interfaces + ec2_arns("subnet", subnet_ids) + ec2_arns("security-group", security_group_ids),
            _NETWORK_INTERFACES_REASON,
        )
        self._allow(
            "ManageTrainingNetworkInterfaces",
            [
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            network_interfaces,
            _NETWORK_INTERFACES_REASON,
        )
        # Resource "*": EC2 Describe* actions have no resource-level permissions.
        self._allow(
            "DescribeTrainingNetwork",
            [
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ],
            ["*"],
            _NO_RESOURCE_LEVEL_PERMISSIONS,
        )

    def _allow(
        self,
        sid: str,
        actions: list[str],
        resources: list[str],
        wildcard_reason: str | None = None,
        conditions: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.role.add_to_principal_policy(
            iam.PolicyStatement(sid=sid, actions=actions, resources=resources, conditions=conditions)
        )
        if wildcard_reason is not None:
            acknowledge_wildcard_resources(self.role, resources, wildcard_reason)


def _rule_evaluator_repositories(stack: Stack) -> list[str]:
    """SageMaker's `sagemaker-debugger-rules` repository of the stack's region (training_request.rule_catalog).

    A stack deployed wherever the CLI points (its region a token) gets every region's: the repository's account
    depends on the region, and a CloudFormation mapping would fail the deployment in a region without rule images.
    """
    regions = sorted(RULE_EVALUATOR_ACCOUNTS) if Token.is_unresolved(stack.region) else [stack.region]
    return [arn for region in regions if (arn := rule_evaluator_repository(stack.partition, region))]
