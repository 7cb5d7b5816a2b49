"""This checkout's stacks deployed in a fake account (made-up physical names, as the doctor's tests deploy
them), and the calls of trainctl doctor's catalogue as requests to that deployment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from permissions.deployed_stacks import FAKE_ACCOUNT, FAKE_REGION, DeployedStack, deploy_fake
from permissions.policies import AccountPolicies, ContextValue, Request
from trainctl.doctor.catalogue import PRINCIPALS, Call, Context, Principal, example, resolve
from trainctl.doctor.deployment import Caller, Deployment, Stack, StackResource, deployment_settings
from trainctl.doctor.templates import synthesize_checkout

OTHER_ACCOUNT = "999999999999"
# Every call the platform makes is over TLS: the request context says so, as AWS's would.
TLS = {"aws:SecureTransport": "true"}


@dataclass(frozen=True)
class FakePlatform:
    stacks: Mapping[str, DeployedStack]
    deployment: Deployment  # as trainctl doctor reads it: its facts name the resources
    policies: AccountPolicies

    @property
    def facts(self) -> dict[str, Any]:
        return self.deployment.facts()

    def role(self, stem: str) -> str:
        """A role's ARN, by its logical ID without the CDK's hash (`ExecutionRole`)."""
        return self.deployment.role_arn(self.deployment.physical_id(self.deployment.training, stem, "AWS::IAM::Role"))

    def arn(self, stack_suffix: str, stem: str, resource_type: str) -> str:
        (stack,) = [stack for name, stack in self.stacks.items() if name.endswith(stack_suffix)]
        (logical_id,) = [
            logical_id
            for logical_id, resource in stack.resources(resource_type).items()
            if logical_id[:-8] == stem and resource["Type"] == resource_type
        ]
        return stack.arn(logical_id)


def fake_platform(context: Mapping[str, str]) -> FakePlatform:
    """This checkout synthesized with `-c` settings `context` and deployed in the fake account."""
    stacks = deploy_fake(synthesize_checkout(context).templates)
    stateful, training = (_doctor_stack(stack) for stack in stacks.values())
    deployment = Deployment(
        FAKE_REGION,
        Caller(FAKE_ACCOUNT, f"arn:aws:iam::{FAKE_ACCOUNT}:user/permissions"),
        deployment_settings(context),
        stateful,
        training,
    )
    return FakePlatform(stacks, deployment, AccountPolicies.of(stacks.values()))


def _doctor_stack(stack: DeployedStack) -> Stack:
    return Stack(
        stack.name,
        "CREATE_COMPLETE",
        {output["OutputKey"]: output["OutputValue"] for output in stack.outputs()},
        tuple(
            StackResource(logical_id, stack.ids[logical_id], resource["Type"])
            for logical_id, resource in stack.template["Resources"].items()
        ),
    )


# -- The catalogue's calls -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogueCall:
    principal: Principal
    call: Call  # with the deployment's facts in its patterns
    request: Request


def catalogue_calls(platform: FakePlatform) -> Iterator[CatalogueCall]:
    """Every action of every call of every role in the catalogue, as a concrete request."""
    facts = platform.facts
    for principal in PRINCIPALS:
        role = platform.role(principal.role)
        for pattern in principal.calls:
            for call in resolve(pattern, facts):
                for action in call.actions:
                    request = Request(
                        role,
                        action,
                        example(call.resource),
                        FAKE_ACCOUNT,
                        {**TLS, **_context(call.context)},
                        by=call.why,
                    )
                    yield CatalogueCall(principal, call, request)


def _context(entries: tuple[Context, ...]) -> dict[str, ContextValue]:
    return {
        entry.key: list(entry.values) if entry.type.endswith("List") else entry.values[0]
        for entry in entries
        if entry.values
    }
