"""What the doctor knows of the deployment: the caller, both stacks (status, outputs, resources), the
settings this checkout deploys them with, and from those the facts the catalogue's patterns name."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from platform_contract import StatefulStackOutput, TrainingStackOutput, training_stack_name
from stacks.settings import PlatformSettings
from trainctl.doctor.catalogue import Fact, logical_id_stem
from trainctl.locate import PROJECT_CDK_JSON
from training_request.image_repositories import rule_evaluator_repository

TRAINING_STACK_SUFFIX = "-training"


class UsageError(ValueError):
    """The command line asks for something the doctor cannot judge (exit 2)."""


@dataclass(frozen=True)
class Caller:
    account: str
    arn: str

    @property
    def partition(self) -> str:
        return self.arn.split(":")[1]


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    physical_id: str
    type: str

    @property
    def stem(self) -> str:
        return logical_id_stem(self.logical_id)


@dataclass(frozen=True)
class Stack:
    name: str
    status: str | None  # None: no such stack
    outputs: Mapping[str, str]
    resources: tuple[StackResource, ...]

    def of_type(self, resource_type: str) -> list[StackResource]:
        return [resource for resource in self.resources if resource.type == resource_type]

    def find(self, stem: str, resource_type: str) -> StackResource | None:
        found = [resource for resource in self.of_type(resource_type) if resource.stem == stem]
        return found[0] if len(found) == 1 else None


def read_stack(cloudformation: Any, name: str) -> Stack:
    """The stack's status, outputs and resources (no status when it does not exist)."""
    try:
        (description,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" in error.response.get("Error", {}).get("Message", ""):
            return Stack(name, None, {}, ())
        raise
    outputs = {output["OutputKey"]: output["OutputValue"] for output in description.get("Outputs", [])}
    resources = tuple(
        StackResource(summary["LogicalResourceId"], summary.get("PhysicalResourceId", ""), summary["ResourceType"])
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
        for summary in page["StackResourceSummaries"]
    )
    return Stack(name, description["StackStatus"], outputs, resources)


# -- Settings --------------------------------------------------------------------------------------------------
def cdk_json_context() -> dict[str, object]:
    return dict(json.loads(PROJECT_CDK_JSON.read_text())["context"])


def parse_context_options(options: list[str]) -> dict[str, str]:
    """`-c key=value` options, as the CDK CLI takes them (values stay text; the settings read text)."""
    context: dict[str, str] = {}
    for option in options:
        key, separator, value = option.partition("=")
        if not separator or not key.strip():
            raise UsageError(f"-c {option}: give KEY=VALUE, as to cdk deploy")
        context[key.strip()] = value
    return context


def deployment_context(training_stack: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """The context (beyond cdk.json's) this checkout deploys `training_stack` with: the -c options, and
    the prefix and environment the stack's name gives when they do not already name it."""
    context = {**cdk_json_context(), **overrides}
    if training_stack_name(str(context["prefix"]), str(context["environment"])) == training_stack:
        return dict(overrides)
    if "prefix" in overrides or "environment" in overrides:
        raise UsageError(
            f"stack {training_stack} is not the training stack of -c prefix={context['prefix']} "
            f"environment={context['environment']} ({training_stack_name(str(context['prefix']), str(context['environment']))})"
        )
    prefix, separator, environment = training_stack.removesuffix(TRAINING_STACK_SUFFIX).partition("-")
    if not training_stack.endswith(TRAINING_STACK_SUFFIX) or not separator:
        raise UsageError(
            f"stack {training_stack} is not named <prefix>-<environment>{TRAINING_STACK_SUFFIX}: "
            "give the training stack, or -c prefix=... -c environment=... for it"
        )
    return {**overrides, "prefix": prefix, "environment": environment}


def deployment_settings(context: Mapping[str, str]) -> PlatformSettings:
    """The settings of cdk.json with `context` on top; SettingsError names every bad key."""
    return PlatformSettings.from_context({**cdk_json_context(), **context})


# -- Facts -------------------------------------------------------------------------------------------------------
# An instance type a job may use when any is allowed, and two a limited deployment may not list both of.
_ANY_INSTANCE_TYPE = "ml.m5.large"
_LARGE_INSTANCE_TYPES = ("ml.p4d.24xlarge", "ml.p5.48xlarge")


def guardrail_facts(settings: PlatformSettings) -> dict[str, Fact]:
    """The catalogue's facts of the guardrail and capability settings: a job within them, and values beyond each."""
    guardrails = settings.guardrails
    allowed = guardrails.allowed_instance_types
    outside = next(name for name in _LARGE_INSTANCE_TYPES if name not in allowed) if allowed else ""

    def above(limit: int | None) -> str:
        return "" if limit is None else str(limit + 1)

    return {
        "job_instance_type": allowed[0] if allowed else _ANY_INSTANCE_TYPE,
        "job_max_run": str(guardrails.default_max_run),
        "instance_type_not_allowed": outside,
        "max_run_above_limit": above(guardrails.max_run_seconds),
        "keep_alive_above_limit": above(guardrails.max_keep_alive_seconds),
        "remote_debug": guardrails.allow_remote_debug,
        "credentials_provider": settings.training_repository_credentials_providers,
        "training_plan": settings.training_plans,
    }


class MissingResource(LookupError):
    """The stacks lack an output or resource the doctor needs: they are not this checkout's."""


@dataclass(frozen=True)
class Deployment:
    region: str
    caller: Caller
    settings: PlatformSettings
    stateful: Stack
    training: Stack

    def output(self, stack: Stack, key: str) -> str:
        if key not in stack.outputs:
            raise MissingResource(f"stack {stack.name} has no output {key}")
        return stack.outputs[key]

    def physical_id(self, stack: Stack, stem: str, resource_type: str) -> str:
        resource = stack.find(stem, resource_type)
        if resource is None:
            raise MissingResource(f"stack {stack.name} has no {resource_type} {stem}")
        return resource.physical_id

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return ":".join(
            (
                "arn",
                self.caller.partition,
                service,
                self.region if region else "",
                self.caller.account if account else "",
                resource,
            )
        )

    def key_arn(self) -> str:
        if self.settings.kms_key_arn:
            return self.settings.kms_key_arn
        return self.arn("kms", "key/" + self.physical_id(self.stateful, "EncryptionKey", "AWS::KMS::Key"))

    def image_uri(self) -> str:
        return self.output(self.stateful, StatefulStackOutput.DEFAULT_IMAGE_URI.value)

    def facts(self) -> dict[str, Fact]:
        """Every fact the catalogue names (FACTS); MissingResource if the stacks lack one."""
        stateful, training, settings = self.stateful, self.training, self.settings
        repository_uri = self.output(stateful, StatefulStackOutput.REPOSITORY_URI.value)
        function = "AWS::Lambda::Function"
        log_group = "AWS::Logs::LogGroup"
        return {
            "partition": self.caller.partition,
            "region": self.region,
            "account": self.caller.account,
            "data_bucket": self.output(stateful, StatefulStackOutput.DATA_BUCKET_NAME.value),
            "artifacts_bucket": self.output(stateful, StatefulStackOutput.ARTIFACTS_BUCKET_NAME.value),
            "checkpoints_bucket": self.output(stateful, StatefulStackOutput.CHECKPOINTS_BUCKET_NAME.value),
            "tensorboard_bucket": self.output(stateful, StatefulStackOutput.TENSORBOARD_BUCKET_NAME.value),
            "repository": repository_uri.split("/", 1)[-1],
            "key_arn": self.key_arn(),
            "execution_role_arn": self.output(training, TrainingStackOutput.EXECUTION_ROLE_ARN.value),
            "state_machine_arn": self.output(training, TrainingStackOutput.STATE_MACHINE_ARN.value),
            "topic_arn": self.output(training, TrainingStackOutput.NOTIFICATION_TOPIC_ARN.value),
            "prepare_function": self.physical_id(training, "TrainingWorkflowPrepare", function),
            "write_result_function": self.physical_id(training, "TrainingWorkflowWriteResult", function),
            "notify_function": self.physical_id(training, "MonitoringNotify", function),
            "prepare_log_group": self.physical_id(training, "TrainingWorkflowPrepareLogs", log_group),
            "write_result_log_group": self.physical_id(training, "TrainingWorkflowWriteResultLogs", log_group),
            "notify_log_group": self.physical_id(training, "MonitoringNotifyLogs", log_group),
            "request_prefix": settings.request_prefix,
            "result_prefix": settings.result_prefix,
            "extra_readable_bucket": settings.extra_readable_buckets,
            "extra_kms_key": settings.extra_kms_key_arns,
            "extra_image_repository": settings.extra_image_repositories,
            "rule_evaluator_repository": rule_evaluator_repository(self.caller.partition, self.region),
            "vpc_subnet": settings.vpc_subnet_ids,
            "vpc_security_group": settings.vpc_security_group_ids,
            "vpc": settings.vpc_enabled,
            **guardrail_facts(settings),
        }

    def role_arn(self, role_name: str) -> str:
        return self.arn("iam", f"role/{role_name}", region=False)
