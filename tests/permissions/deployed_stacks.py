"""Synthesized templates as CloudFormation deployed them: every intrinsic function resolved with the
deployment's physical names. Two sources of those names: made up (a fake account, as the doctor's tests
and the negative matrix use), or read from a real deployment (CloudFormation's ListStackResources, as
the integration tests read the emulator's).

Resolved: Ref (resources and pseudo parameters), Fn::GetAtt (Arn, and a queue's name and URL), Fn::Join,
Fn::Sub (both forms), Fn::Select, Fn::Split, Fn::ImportValue between the stacks. Anything else fails
loudly, so that a template using it is taught rather than guessed.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FAKE_ACCOUNT = "123456789012"
FAKE_REGION = "eu-west-1"

# A resource's ARN from its physical ID (its Ref), by type.
_ARNS = {
    "AWS::IAM::Role": "arn:{partition}:iam::{account}:role/{id}",
    "AWS::IAM::ManagedPolicy": "{id}",
    "AWS::Lambda::Function": "arn:{partition}:lambda:{region}:{account}:function:{id}",
    "AWS::Logs::LogGroup": "arn:{partition}:logs:{region}:{account}:log-group:{id}:*",
    "AWS::KMS::Key": "arn:{partition}:kms:{region}:{account}:key/{id}",
    "AWS::ECR::Repository": "arn:{partition}:ecr:{region}:{account}:repository/{id}",
    "AWS::S3::Bucket": "arn:{partition}:s3:::{id}",
    "AWS::Events::Rule": "arn:{partition}:events:{region}:{account}:rule/{id}",
    "AWS::StepFunctions::StateMachine": "{id}",
    "AWS::SNS::Topic": "{id}",
    "AWS::SQS::Queue": "arn:{partition}:sqs:{region}:{account}:{name}",  # its Ref is the queue's URL
}


def fake_physical_id(stack: str, logical_id: str, resource: Mapping[str, Any]) -> str:
    """A made-up name of the kind CloudFormation gives a resource (its Ref, for most types)."""
    kind, properties = resource["Type"], resource.get("Properties", {})
    digest = hashlib.sha256(f"{stack}/{logical_id}".encode()).hexdigest()
    if kind == "AWS::KMS::Key":
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    if kind in ("AWS::S3::Bucket", "AWS::ECR::Repository"):
        return f"{stack}-{logical_id}-{digest[:12]}".lower()[:63]
    if kind == "AWS::StepFunctions::StateMachine":
        name = properties.get("StateMachineName") or f"{logical_id}-{digest[:12]}"
        return f"arn:aws:states:{FAKE_REGION}:{FAKE_ACCOUNT}:stateMachine:{name}"
    if kind == "AWS::SNS::Topic":
        return f"arn:aws:sns:{FAKE_REGION}:{FAKE_ACCOUNT}:{stack}-{logical_id}-{digest[:12]}"
    if kind == "AWS::SQS::Queue":
        return f"https://sqs.{FAKE_REGION}.amazonaws.com/{FAKE_ACCOUNT}/{stack}-{logical_id}-{digest[:12]}"
    if kind == "AWS::IAM::ManagedPolicy":
        return f"arn:aws:iam::{FAKE_ACCOUNT}:policy/{stack}-{logical_id}-{digest[:12]}"
    return f"{stack}-{logical_id}-{digest[:12]}"[:64]


@dataclass
class DeployedStack:
    name: str
    template: dict[str, Any]
    ids: dict[str, str]  # logical ID -> physical ID
    exports: Mapping[str, str]  # what other stacks import
    account: str = FAKE_ACCOUNT
    region: str = FAKE_REGION
    partition: str = "aws"

    def resolve(self, node: Any) -> Any:
        """The template's value with every intrinsic function CloudFormation would resolve, resolved."""
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((function, argument),) = node.items()
            if function == "Ref" or function.startswith("Fn::"):
                return self._intrinsic(function, argument)
        return {key: self.resolve(value) for key, value in node.items()}

    def _intrinsic(self, function: str, argument: Any) -> Any:
        if function == "Ref":
            return self._reference(argument)
        if function == "Fn::GetAtt":
            logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return self.attribute(logical_id, attribute)
        if function == "Fn::Join":
            delimiter, items = argument
            return delimiter.join(str(self.resolve(item)) for item in items)
        if function == "Fn::ImportValue":
            return self.exports[self.resolve(argument)]
        if function == "Fn::Select":
            index, items = argument
            return self.resolve(items)[int(self.resolve(index))]
        if function == "Fn::Split":
            delimiter, text = argument
            return str(self.resolve(text)).split(delimiter)
        if function == "Fn::Sub":
            return self._substitute(argument)
        raise AssertionError(f"deployed stack {self.name}: no intrinsic function {function}")

    def _substitute(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return str(self.attribute(*name.split(".", 1)))
            return str(self._reference(name))

        return re.sub(r"\$\{([^}!][^}]*)\}", value, text)

    def _reference(self, name: str) -> str:
        pseudo = {
            "AWS::Partition": self.partition,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.name,
        }
        return pseudo[name] if name in pseudo else self.ids[name]

    def attribute(self, logical_id: str, attribute: str) -> str:
        kind = self.template["Resources"][logical_id]["Type"]
        if attribute == "Arn":
            return self.arn(logical_id)
        if kind == "AWS::SQS::Queue" and attribute in ("QueueName", "QueueUrl"):
            url = self.ids[logical_id]
            return url.rsplit("/", 1)[-1] if attribute == "QueueName" else url
        raise AssertionError(f"deployed stack {self.name}: no attribute {attribute} of {kind}")

    def arn(self, logical_id: str) -> str:
        kind = self.template["Resources"][logical_id]["Type"]
        physical = self.ids[logical_id]
        return _ARNS[kind].format(
            partition=self.partition,
            region=self.region,
            account=self.account,
            id=physical,
            name=physical.rsplit("/", 1)[-1],
        )

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {logical_id: r for logical_id, r in self.template["Resources"].items() if r["Type"] == kind}

    def outputs(self) -> list[dict[str, str]]:
        outputs = []
        for key, output in self.template.get("Outputs", {}).items():
            entry = {"OutputKey": key, "OutputValue": self.resolve(output["Value"])}
            if "Export" in output:
                entry["ExportName"] = self.resolve(output["Export"]["Name"])
            outputs.append(entry)
        return outputs

    def exported(self) -> dict[str, str]:
        return {output["ExportName"]: output["OutputValue"] for output in self.outputs() if "ExportName" in output}


def deploy(name: str, template: Mapping[str, Any], exports: Mapping[str, str]) -> DeployedStack:
    """The stack deployed in the fake account, with made-up physical names."""
    template = copy.deepcopy(dict(template))
    ids = {logical_id: fake_physical_id(name, logical_id, r) for logical_id, r in template["Resources"].items()}
    return DeployedStack(name, template, ids, exports)


def stateful_first(names: list[str] | Mapping[str, Any]) -> list[str]:
    """The order `cdk deploy --all` deploys the stacks in: the stateful one, whose exports the training one imports."""
    return sorted(names, key=lambda stack: not stack.endswith("-stateful"))


def deploy_fake(templates: Mapping[str, Mapping[str, Any]]) -> dict[str, DeployedStack]:
    """Both stacks deployed in the fake account, the training stack importing the stateful one's exports."""
    stacks: dict[str, DeployedStack] = {}
    exports: dict[str, str] = {}
    for name in stateful_first(templates):
        stacks[name] = deploy(name, templates[name], exports)
        exports.update(stacks[name].exported())
    return stacks


def read_deployed(cloudformation: Any, stack_names: list[str], account: str, region: str) -> dict[str, DeployedStack]:
    """The stacks as a real CloudFormation deployed them: the templates it holds (as deployed) and the physical
    IDs ListStackResources gives."""
    stacks: dict[str, DeployedStack] = {}
    exports: dict[str, str] = {}
    for name in stateful_first(stack_names):
        body = cloudformation.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
        assert isinstance(body, dict), f"stack {name}'s template is not JSON: it was not deployed by the CDK"
        ids = {
            summary["LogicalResourceId"]: summary.get("PhysicalResourceId", "")
            for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
            for summary in page["StackResourceSummaries"]
        }
        stacks[name] = DeployedStack(name, dict(body), ids, exports, account=account, region=region)
        exports.update(stacks[name].exported())
    return stacks
