"""Naming cdk-nag findings exactly, so each acknowledgment sits next to the statement it excuses.

cdk-nag 3.x matches acknowledgments by exact finding id; IAM5 ids embed the policy resource flattened
the way its `flattenCfnReference` does it (Ref -> <Name>, Fn::GetAtt -> <Id.Attr>, Fn::ImportValue -> the
export name, Fn::Join -> concatenation). Tokens from another stack must be fixed-name imports
(StatefulReferences): the CDK's generated cross-stack exports get their names only at synthesis.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def flatten_reference(node: object) -> str:
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(flatten_reference(item) for item in items)
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_reference(node['Ref'])}>"
    raise ValueError(f"cannot name a cdk-nag finding for {node!r}")


def acknowledge_wildcard_resources(scope: IConstruct, resources: list[str], reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for each resource containing '*' in a policy statement of `scope`."""
    stack = Stack.of(scope)
    for resource in resources:
        flat = flatten_reference(stack.resolve(resource))
        if "*" in flat:
            Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions-IAM5[Resource::{flat}]", reason=reason))
