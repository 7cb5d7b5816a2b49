"""The policies IAM would evaluate for a request to the deployed platform, read from its resolved templates.

- A role's identity policies: the AWS::IAM::Policy and AWS::IAM::ManagedPolicy resources that name it, its
  inline `Policies`, and the managed policies of the stacks it attaches; its permissions boundary.
- A resource's policy: bucket policies (for the bucket and its objects), the key policy, topic and queue
  policies, a function's AWS::Lambda::Permission resources (as Lambda turns them into its policy), a
  repository's policy, and a role's trust policy (for sts:AssumeRole and the other sts: calls on it).
- AWS's own resources the platform uses: SageMaker's Debugger and profiler rule image repository of the stacks'
  region, whose policy (AWS's, outside the templates) lets every account pull; the execution role's identity
  policy still has to allow the pull.

What the templates do not hold (an AWS managed policy a role attaches) is named, so a request whose
verdict would depend on it is reported as not judged rather than judged without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from permissions.deployed_stacks import DeployedStack
from training_request.image_repositories import rule_evaluator_repository

_PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]

POLICY_VERSION = "2012-10-17"
ContextValue = str | list[str]


@dataclass(frozen=True)
class Request:
    """One call as IAM authorizes it."""

    principal: str  # a role's ARN, or a service principal (events.amazonaws.com)
    action: str
    resource: str
    resource_account: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal_type: str = "role"  # "role" or "service"
    by: str = ""  # who made it (a record's `by`, a case's name)

    def described(self) -> str:
        return f"{self.principal} {self.action} on {self.resource} (context {dict(self.context)})"


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": POLICY_VERSION, "Statement": statements}


def _statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return list(statements) if isinstance(statements, list) else [statements]


@dataclass
class AccountPolicies:
    identity: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # role ARN -> [{name, policy}]
    boundaries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # role ARN -> [{name, policy}]
    unknown_managed: dict[str, list[str]] = field(default_factory=dict)  # role ARN -> managed policy ARNs
    resource_statements: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # resource ARN -> statements
    trust: dict[str, dict[str, Any]] = field(default_factory=dict)  # role ARN -> trust policy
    resources: set[str] = field(default_factory=set)  # every resource ARN of the stacks

    @classmethod
    def of(cls, stacks: Iterable[DeployedStack]) -> AccountPolicies:
        policies = cls()
        stacks = list(stacks)
        managed = {
            stack.ids[logical_id]: stack.resolve(resource["Properties"]["PolicyDocument"])
            for stack in stacks
            for logical_id, resource in stack.resources("AWS::IAM::ManagedPolicy").items()
        }
        for stack in stacks:
            policies._read_roles(stack, managed)
            policies._read_identity_policies(stack)
            policies._read_resource_policies(stack)
            policies.resources.update(
                stack.arn(logical_id)
                for logical_id, resource in stack.template["Resources"].items()
                if _has_arn(resource["Type"])
            )
        return policies

    # -- reading the templates ----------------------------------------------------------------------------------
    def _read_roles(self, stack: DeployedStack, managed: Mapping[str, Any]) -> None:
        for logical_id, role in stack.resources("AWS::IAM::Role").items():
            arn, properties = stack.arn(logical_id), stack.resolve(role.get("Properties", {}))
            self.trust[arn] = properties["AssumeRolePolicyDocument"]
            attached = self.identity.setdefault(arn, [])
            for inline in properties.get("Policies", []):
                attached.append({"name": inline["PolicyName"], "policy": inline["PolicyDocument"]})
            for policy_arn in properties.get("ManagedPolicyArns", []):
                if policy_arn in managed:
                    attached.append({"name": policy_arn, "policy": managed[policy_arn]})
                else:
                    self.unknown_managed.setdefault(arn, []).append(policy_arn)
            boundary = properties.get("PermissionsBoundary")
            if boundary is not None:
                if boundary not in managed:
                    self.unknown_managed.setdefault(arn, []).append(boundary)
                else:
                    self.boundaries[arn] = [{"name": boundary, "policy": managed[boundary]}]

    def _read_identity_policies(self, stack: DeployedStack) -> None:
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for logical_id, resource in stack.resources(kind).items():
                properties = stack.resolve(resource["Properties"])
                for role in properties.get("Roles", []):
                    arn = self._role_arn(stack, role)
                    self.identity.setdefault(arn, []).append(
                        {"name": logical_id, "policy": properties["PolicyDocument"]}
                    )

    def _role_arn(self, stack: DeployedStack, name: str) -> str:
        """A role named in a policy's Roles: its ARN (with its path, if the stacks give it one)."""
        known = [arn for arn in self.trust if arn.rsplit("/", 1)[-1] == name]
        return known[0] if known else f"arn:{stack.partition}:iam::{stack.account}:role/{name}"

    def _read_resource_policies(self, stack: DeployedStack) -> None:
        for resource in stack.resources("AWS::S3::BucketPolicy").values():
            properties = stack.resolve(resource["Properties"])
            self._add(f"arn:{stack.partition}:s3:::{properties['Bucket']}", _statements(properties["PolicyDocument"]))
        for logical_id, resource in stack.resources("AWS::KMS::Key").items():
            self._add(stack.arn(logical_id), _statements(stack.resolve(resource["Properties"]["KeyPolicy"])))
        for resource in stack.resources("AWS::SNS::TopicPolicy").values():
            properties = stack.resolve(resource["Properties"])
            for topic in properties["Topics"]:
                self._add(topic, _statements(properties["PolicyDocument"]))
        for resource in stack.resources("AWS::SQS::QueuePolicy").values():
            properties = stack.resolve(resource["Properties"])
            for queue_url in properties["Queues"]:
                self._add(_queue_arn(stack, queue_url), _statements(properties["PolicyDocument"]))
        for logical_id, resource in stack.resources("AWS::ECR::Repository").items():
            text = resource.get("Properties", {}).get("RepositoryPolicyText")
            if text is not None:
                self._add(stack.arn(logical_id), _statements(stack.resolve(text)))
        for resource in stack.resources("AWS::Lambda::Permission").values():
            self._add_function_permission(stack, stack.resolve(resource["Properties"]))
        self._add_rule_evaluator_repository(stack)

    def _add_rule_evaluator_repository(self, stack: DeployedStack) -> None:
        """SageMaker's rule image repository shares its images with every account (its policy is AWS's)."""
        repository = rule_evaluator_repository(stack.partition, stack.region)
        if repository and repository not in self.resource_statements:
            self._add(repository, [{"Effect": "Allow", "Principal": "*", "Action": _PULL_ACTIONS, "Resource": "*"}])

    def _add_function_permission(self, stack: DeployedStack, properties: Mapping[str, Any]) -> None:
        """A Lambda permission as the function's resource policy holds it."""
        function = properties["FunctionName"]
        arn = (
            function
            if function.startswith("arn:")
            else f"arn:{stack.partition}:lambda:{stack.region}:{stack.account}:function:{function}"
        )
        principal = properties["Principal"]
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"Service": principal} if principal.endswith(".amazonaws.com") else {"AWS": principal},
            "Action": properties["Action"],
            "Resource": arn,
        }
        conditions: dict[str, dict[str, str]] = {}
        if "SourceArn" in properties:
            conditions.setdefault("ArnLike", {})["AWS:SourceArn"] = properties["SourceArn"]
        if "SourceAccount" in properties:
            conditions.setdefault("StringEquals", {})["AWS:SourceAccount"] = properties["SourceAccount"]
        if "PrincipalOrgID" in properties:
            conditions.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = properties["PrincipalOrgID"]
        if conditions:
            statement["Condition"] = conditions
        self._add(arn, [statement])

    def _add(self, resource_arn: str, statements: list[dict[str, Any]]) -> None:
        self.resource_statements.setdefault(resource_arn, []).extend(statements)

    # -- a request's policies ---------------------------------------------------------------------------------
    def resource_policy(self, request: Request) -> dict[str, Any] | None:
        if request.action.lower().startswith("sts:"):
            return self.trust.get(request.resource)
        statements = self.resource_statements.get(_policy_holder(request.resource))
        return _document(statements) if statements else None

    def is_platform_role(self, principal: str) -> bool:
        return principal in self.identity

    def is_platform_resource(self, resource: str) -> bool:
        holder = _policy_holder(resource)
        return holder in self.resources or holder in self.resource_statements

    def concerns(self, request: Request) -> bool:
        """Whether the stacks decide the request: a call by one of their roles, or a service's call on one of
        their resources (a call on a resource of someone else's, by a role of someone else's, is not theirs)."""
        if request.principal_type == "role":
            return self.is_platform_role(request.principal)
        return self.is_platform_resource(request.resource)

    def not_judgeable(self, request: Request) -> str | None:
        """Why the request cannot be judged from the templates alone, or None."""
        unknown = self.unknown_managed.get(request.principal)
        if request.principal_type == "role" and unknown:
            return f"the role attaches policies the templates do not hold: {', '.join(unknown)}"
        return None

    def simulation(self, request: Request) -> dict[str, Any]:
        """The request and its policies, as @cloud-copilot/iam-simulate takes them."""
        simulation: dict[str, Any] = {
            "request": {
                "principal": request.principal,
                "action": request.action,
                "resource": {"resource": request.resource, "accountId": request.resource_account},
                "contextVariables": dict(request.context),
            },
            "identityPolicies": self.identity.get(request.principal, []) if request.principal_type == "role" else [],
        }
        resource_policy = self.resource_policy(request)
        if resource_policy is not None:
            simulation["resourcePolicy"] = resource_policy
        if request.principal in self.boundaries:
            simulation["permissionBoundaryPolicies"] = self.boundaries[request.principal]
        return simulation


def _has_arn(kind: str) -> bool:
    return kind in {
        "AWS::IAM::Role",
        "AWS::Lambda::Function",
        "AWS::KMS::Key",
        "AWS::ECR::Repository",
        "AWS::S3::Bucket",
        "AWS::Events::Rule",
        "AWS::StepFunctions::StateMachine",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
        "AWS::Logs::LogGroup",
    }


def _queue_arn(stack: DeployedStack, url: str) -> str:
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:{stack.partition}:sqs:{stack.region}:{account}:{name}"


def _policy_holder(resource: str) -> str:
    """The ARN whose policy governs a resource: an object's bucket, a function version's function; a log stream's
    log group (as its ARN ends, `:*`); else the resource itself."""
    if resource.startswith("arn:") and ":s3:::" in resource:
        return resource.split("/", 1)[0]
    parts = resource.split(":")
    if len(parts) > 7 and parts[2] == "lambda" and parts[5] == "function":
        return ":".join(parts[:7])
    if len(parts) > 6 and parts[2] == "logs" and parts[5] == "log-group":
        return ":".join(parts[:7]) + ":*"
    return resource
