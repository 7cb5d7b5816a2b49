"""A fake AWS account holding the platform as CloudFormation would deploy this checkout's templates, for the
doctor's tests; and the tests of that fake itself.

The account is made from real synthesized templates: their intrinsic functions are resolved with made-up
physical names (as CloudFormation would; tests/permissions/deployed_stacks.py, which the permission tests
share), so the stacks' outputs, resources, role policies, key policy,
rules and bucket notifications are the ones the templates define. Faults are then applied to the live
state (a policy edited in the console, a rule disabled, ...) or to the deployed templates (drift).

Clients reach it through botocore's Stubber: each request is validated against the service model, and
the answer the account computes is queued just before Stubber hands it back (validated against the
model too). IAM's SimulatePrincipalPolicy is answered by a small evaluator of the roles' identity
policies: Allow/Deny, action and resource wildcards, and the condition operators the stacks use
(an operator it does not know fails the test, so that it is taught rather than guessed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.stub import Stubber
from botocore.validate import validate_parameters
from permissions.deployed_stacks import FAKE_ACCOUNT as ACCOUNT
from permissions.deployed_stacks import FAKE_REGION as REGION
from permissions.deployed_stacks import DeployedStack, deploy, deploy_fake

CALLER_ARN = f"arn:aws:iam::{ACCOUNT}:user/doctor"
PUSHED_AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


# -- IAM's evaluation, for identity policies ------------------------------------------------------------------
def _wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(expression, value, flags=re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, list[str]]) -> bool:
    values = context.get(key.lower())
    wanted = _listed(expected)
    if operator == "Null":
        return (values is None) == (wanted[0].lower() == "true")
    base = operator.removesuffix("IfExists")
    if base.startswith("ForAllValues:"):
        # True of no values at all, as IAM's (the stacks pair it with Null).
        return all(_values_match(base.split(":", 1)[1], [value], wanted) for value in values or [])
    if values is None:
        return base != operator  # a missing key matches only an ...IfExists operator
    return _values_match(base, values, wanted)


def _values_match(operator: str, values: list[str], wanted: list[str]) -> bool:
    if operator == "StringEquals":
        return any(value in wanted for value in values)
    if operator == "StringLike":
        return any(_wildcard(pattern, value) for value in values for pattern in wanted)
    if operator == "Bool":
        return any(value.lower() in [w.lower() for w in wanted] for value in values)
    if operator == "NumericLessThanEquals":
        return any(float(value) <= float(limit) for value in values for limit in wanted)
    raise AssertionError(f"fake IAM: teach it the condition operator {operator}")


def statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, list[str]]
) -> bool:
    assert "NotAction" not in statement and "NotResource" not in statement, "fake IAM: teach it NotAction/NotResource"
    if not any(_wildcard(pattern, action, ignore_case=True) for pattern in _listed(statement["Action"])):
        return False
    if not any(_wildcard(pattern, resource) for pattern in _listed(statement["Resource"])):
        return False
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, keys in statement.get("Condition", {}).items()
        for key, expected in keys.items()
    )


def evaluate(
    policies: Mapping[str, list[dict[str, Any]]], action: str, resource: str, context: Mapping[str, list[str]]
) -> tuple[str, list[str]]:
    """(EvalDecision, the policies whose statements decided it)."""
    matched = {
        effect: sorted(
            name
            for name, statements in policies.items()
            for statement in statements
            if statement["Effect"] == effect and statement_applies(statement, action, resource, context)
        )
        for effect in ("Deny", "Allow")
    }
    if matched["Deny"]:
        return "explicitDeny", matched["Deny"]
    if matched["Allow"]:
        return "allowed", matched["Allow"]
    return "implicitDeny", []


# -- The account ------------------------------------------------------------------------------------------------
@dataclass
class FakeAccount:
    """The two stacks deployed (their templates as deployed) and the live state of their resources."""

    stacks: dict[str, DeployedStack] = field(default_factory=dict)
    policies: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # role -> policy -> statements
    key_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # key ID -> policy
    rule_states: dict[str, str] = field(default_factory=dict)
    rule_targets: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    eventbridge_buckets: set[str] = field(default_factory=set)
    image_tags: dict[str, set[str]] = field(default_factory=dict)  # repository -> tags pushed
    scp_denied_actions: set[str] = field(default_factory=set)
    caller_may_not: set[str] = field(default_factory=set)  # operations the doctor's caller is refused
    calls: list[str] = field(default_factory=list)  # `<service>:<Operation>`, in the order asked

    @classmethod
    def deployed(cls, templates: Mapping[str, Mapping[str, Any]], *, image_pushed: bool = True) -> FakeAccount:
        """The stateful stack, then the training stack (which imports its exports), as `cdk deploy --all` does."""
        account = cls(stacks=deploy_fake(templates))
        for stack in account.stacks.values():
            account._live_state(stack)
        if image_pushed:
            account.push_default_image()
        return account

    def push_default_image(self) -> None:
        """`docker push` of the image the stateful stack's DefaultImageUri output names."""
        outputs = {output["OutputKey"]: output["OutputValue"] for output in self.stack("-stateful").outputs()}
        repository, _, tag = outputs["DefaultImageUri"].split("/", 1)[1].rpartition(":")
        self.image_tags[repository].add(tag)

    def _live_state(self, stack: DeployedStack) -> None:
        for policy_id, policy in stack.resources("AWS::IAM::Policy").items():
            document = stack.resolve(policy["Properties"]["PolicyDocument"])
            for role in stack.resolve(policy["Properties"]["Roles"]):
                self.policies.setdefault(role, {})[policy_id] = document["Statement"]
        for logical_id, key in stack.resources("AWS::KMS::Key").items():
            self.key_policies[stack.ids[logical_id]] = stack.resolve(key["Properties"]["KeyPolicy"])
        for logical_id, rule in stack.resources("AWS::Events::Rule").items():
            properties = stack.resolve(rule["Properties"])
            self.rule_states[stack.ids[logical_id]] = properties.get("State", "ENABLED")
            self.rule_targets[stack.ids[logical_id]] = [
                {key: target[key] for key in ("Id", "Arn", "RoleArn") if key in target}
                for target in properties["Targets"]
            ]
        for logical_id, bucket in stack.resources("AWS::S3::Bucket").items():
            if "EventBridgeConfiguration" in bucket["Properties"].get("NotificationConfiguration", {}):
                self.eventbridge_buckets.add(stack.ids[logical_id])
        for logical_id in stack.resources("AWS::ECR::Repository"):
            self.image_tags[stack.ids[logical_id]] = set()

    # -- finding things, for the tests' faults and expectations --------------------------------------------------
    def stack(self, suffix: str) -> DeployedStack:
        (stack,) = [stack for name, stack in self.stacks.items() if name.endswith(suffix)]
        return stack

    def physical(self, suffix: str, logical_prefix: str) -> str:
        stack = self.stack(suffix)
        (found,) = [physical for logical_id, physical in stack.ids.items() if logical_id[:-8] == logical_prefix]
        return found

    def statement(self, role_prefix: str, sid: str) -> dict[str, Any]:
        (statement,) = [statement for statement in self._role_statements(role_prefix) if statement.get("Sid") == sid]
        return statement

    def _role_statements(self, role_prefix: str) -> list[dict[str, Any]]:
        role = self.physical("-training", role_prefix)
        return [statement for statements in self.policies[role].values() for statement in statements]

    def remove_statement(self, role_prefix: str, sid: str) -> None:
        role = self.physical("-training", role_prefix)
        for statements in self.policies[role].values():
            statements[:] = [statement for statement in statements if statement.get("Sid") != sid]

    # -- answering requests ----------------------------------------------------------------------------------------
    def answer(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any] | AwsError:
        self.calls.append(f"{service}:{operation}")
        if operation in self.caller_may_not:
            return AwsError("AccessDenied", f"User: {CALLER_ARN} is not authorized to perform: {operation}")
        return getattr(self, f"_{xform_name(operation)}")(params)

    def _get_caller_identity(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"UserId": "AIDADOCTOR", "Account": ACCOUNT, "Arn": CALLER_ARN}

    def _describe_stacks(self, params: Mapping[str, Any]) -> dict[str, Any] | AwsError:
        name = params["StackName"]
        if name not in self.stacks:
            return AwsError("ValidationError", f"Stack with id {name} does not exist")
        stack = self.stacks[name]
        return {
            "Stacks": [
                {
                    "StackName": name,
                    "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/0",
                    "CreationTime": PUSHED_AT,
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": stack.outputs(),
                }
            ]
        }

    def _list_stack_resources(self, params: Mapping[str, Any]) -> dict[str, Any]:
        stack = self.stacks[params["StackName"]]
        return {
            "StackResourceSummaries": [
                {
                    "LogicalResourceId": logical_id,
                    "PhysicalResourceId": stack.ids[logical_id],
                    "ResourceType": resource["Type"],
                    "LastUpdatedTimestamp": PUSHED_AT,
                    "ResourceStatus": "CREATE_COMPLETE",
                }
                for logical_id, resource in stack.template["Resources"].items()
            ]
        }

    def _get_template(self, params: Mapping[str, Any]) -> dict[str, Any]:
        assert params.get("TemplateStage") == "Original"
        return {"TemplateBody": json.dumps(self.stacks[params["StackName"]].template), "StagesAvailable": ["Original"]}

    def _simulate_principal_policy(self, params: Mapping[str, Any]) -> dict[str, Any]:
        role = params["PolicySourceArn"].rsplit("/", 1)[-1]
        context = {
            entry["ContextKeyName"].lower(): entry["ContextKeyValues"] for entry in params.get("ContextEntries", [])
        }
        results = []
        for action in params["ActionNames"]:
            for resource in params["ResourceArns"]:
                decision, policies = evaluate(self.policies[role], action, resource, context)
                result = {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision}
                result["MatchedStatements"] = [
                    {"SourcePolicyId": name, "SourcePolicyType": "IAM Policy"} for name in policies
                ]
                if action in self.scp_denied_actions:
                    result.update(
                        EvalDecision="implicitDeny", OrganizationsDecisionDetail={"AllowedByOrganizations": False}
                    )
                results.append(result)
        return {"EvaluationResults": results, "IsTruncated": False}

    def _get_key_policy(self, params: Mapping[str, Any]) -> dict[str, Any]:
        key_id = params["KeyId"].rsplit("/", 1)[-1]
        return {"Policy": json.dumps(self.key_policies[key_id]), "PolicyName": params["PolicyName"]}

    def _describe_rule(self, params: Mapping[str, Any]) -> dict[str, Any] | AwsError:
        name = params["Name"]
        if name not in self.rule_states:
            return AwsError("ResourceNotFoundException", f"Rule {name} does not exist.")
        return {"Name": name, "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}", "State": self.rule_states[name]}

    def _list_targets_by_rule(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"Targets": self.rule_targets[params["Rule"]]}

    def _get_bucket_notification_configuration(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"EventBridgeConfiguration": {}} if params["Bucket"] in self.eventbridge_buckets else {}

    def _describe_images(self, params: Mapping[str, Any]) -> dict[str, Any] | AwsError:
        repository = params["repositoryName"]
        (wanted,) = params["imageIds"]
        if wanted["imageTag"] not in self.image_tags[repository]:
            return AwsError(
                "ImageNotFoundException",
                f"The image with imageId {{imageTag:'{wanted['imageTag']}'}} does not exist within the repository with name '{repository}' in the registry with id '{ACCOUNT}'",
            )
        return {
            "imageDetails": [
                {
                    "registryId": ACCOUNT,
                    "repositoryName": repository,
                    "imageDigest": "sha256:" + "a" * 64,
                    "imageTags": [wanted["imageTag"]],
                    "imagePushedAt": PUSHED_AT,
                }
            ]
        }


@dataclass(frozen=True)
class AwsError:
    code: str
    message: str


class FakeSession:
    """What boto3.Session gives the doctor: clients whose every call the fake account answers."""

    region_name = REGION

    def __init__(self, account: FakeAccount) -> None:
        self.account = account
        self.stubbers: list[Stubber] = []

    def client(self, service: str, region_name: str | None = None) -> Any:
        client = boto3.client(service, region_name=region_name or REGION)
        stubber = Stubber(client)

        def queue_answer(model: Any, params: Mapping[str, Any], **_: Any) -> None:
            # botocore validates the request only after this event: the account answers valid requests only.
            validate_parameters(params, model.input_shape)
            answer = self.account.answer(model.service_model.signing_name, model.name, params)
            if isinstance(answer, AwsError):
                stubber.add_client_error(xform_name(model.name), answer.code, answer.message)
            else:
                stubber.add_response(xform_name(model.name), answer)

        # Registered before the Stubber's own handler, so the answer is queued when it looks.
        client.meta.events.register_first("before-parameter-build.*.*", queue_answer)
        stubber.activate()
        self.stubbers.append(stubber)
        return client


# -- The fake's own tests ---------------------------------------------------------------------------------------
STATEMENTS = {
    "Policy": [
        {
            "Effect": "Allow",
            "Action": ["sagemaker:CreateTrainingJob"],
            "Resource": "arn:aws:sagemaker:eu-west-1:123456789012:training-job/*",
            "Condition": {"StringEquals": {"aws:RequestTag/CER": "1"}},
        },
        {
            "Effect": "Allow",
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secret/*"},
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
    ]
}
JOB = "arn:aws:sagemaker:eu-west-1:123456789012:training-job/x"


@pytest.mark.parametrize(
    ("action", "resource", "context", "decision"),
    [
        ("sagemaker:CreateTrainingJob", JOB, {"aws:requesttag/cer": ["1"]}, "allowed"),
        ("sagemaker:CreateTrainingJob", JOB, {"aws:requesttag/cer": ["0"]}, "implicitDeny"),
        ("sagemaker:CreateTrainingJob", JOB, {}, "implicitDeny"),
        ("SageMaker:createtrainingjob", JOB, {"aws:requesttag/cer": ["1"]}, "allowed"),
        ("kms:CreateGrant", "k", {"kms:grantisforawsresource": ["TRUE"]}, "allowed"),
        ("kms:CreateGrant", "k", {"kms:grantisforawsresource": ["false"]}, "implicitDeny"),
        ("s3:GetObject", "arn:aws:s3:::data/a", {}, "allowed"),
        ("s3:GetObject", "arn:aws:s3:::secret/a", {}, "explicitDeny"),
        ("s3:PutObject", "arn:aws:s3:::data/a", {}, "implicitDeny"),
    ],
)
def test_the_fake_iam_evaluates_actions_resources_conditions_and_denies(action, resource, context, decision):
    assert evaluate(STATEMENTS, action, resource, context)[0] == decision


GUARDED = {
    "Policy": [
        {
            "Effect": "Allow",
            "Action": "sagemaker:CreateTrainingJob",
            "Resource": "*",
            "Condition": {
                "ForAllValues:StringEquals": {"sagemaker:InstanceTypes": ["ml.m5.large", "ml.g5.xlarge"]},
                "Null": {"sagemaker:InstanceTypes": "false"},
                "NumericLessThanEquals": {"sagemaker:MaxRuntimeInSeconds": "3600"},
                "NumericLessThanEqualsIfExists": {"sagemaker:KeepAlivePeriod": "600"},
                "BoolIfExists": {"sagemaker:EnableRemoteDebug": "false"},
            },
        }
    ]
}
WITHIN = {"sagemaker:instancetypes": ["ml.m5.large", "ml.g5.xlarge"], "sagemaker:maxruntimeinseconds": ["3600"]}


@pytest.mark.parametrize(
    ("changes", "decision"),
    [
        ({}, "allowed"),
        ({"sagemaker:keepaliveperiod": ["600"], "sagemaker:enableremotedebug": ["false"]}, "allowed"),
        ({"sagemaker:instancetypes": ["ml.m5.large", "ml.p4d.24xlarge"]}, "implicitDeny"),
        ({"sagemaker:instancetypes": None}, "implicitDeny"),
        ({"sagemaker:maxruntimeinseconds": ["3601"]}, "implicitDeny"),
        ({"sagemaker:maxruntimeinseconds": None}, "implicitDeny"),
        ({"sagemaker:keepaliveperiod": ["601"]}, "implicitDeny"),
        ({"sagemaker:enableremotedebug": ["true"]}, "implicitDeny"),
    ],
)
def test_the_fake_iam_evaluates_the_guardrails_operators(changes, decision):
    context = {key: value for key, value in {**WITHIN, **changes}.items() if value is not None}
    assert evaluate(GUARDED, "sagemaker:CreateTrainingJob", "*", context)[0] == decision


def test_the_fake_iam_refuses_to_guess_an_operator_it_does_not_know():
    policy = {
        "P": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["CER"]}},
            }
        ]
    }
    with pytest.raises(AssertionError, match="teach it"):
        evaluate(policy, "sagemaker:AddTags", "*", {"aws:tagkeys": ["CER"]})


def test_a_deployed_template_resolves_references_imports_and_joins():
    stateful = deploy(
        "s",
        {
            "Resources": {"RepoAAAAAAAA": {"Type": "AWS::ECR::Repository"}},
            "Outputs": {
                "Uri": {
                    "Value": {
                        "Fn::Join": [
                            "",
                            [
                                {"Fn::Select": [4, {"Fn::Split": [":", {"Fn::GetAtt": ["RepoAAAAAAAA", "Arn"]}]}]},
                                "/",
                                {"Ref": "RepoAAAAAAAA"},
                            ],
                        ]
                    },
                    "Export": {"Name": "s-Repo"},
                }
            },
        },
        {},
    )
    (output,) = stateful.outputs()
    training = deploy("t", {"Resources": {}}, {output["ExportName"]: output["OutputValue"]})

    assert output["OutputValue"] == f"{ACCOUNT}/{stateful.ids['RepoAAAAAAAA']}"
    assert training.resolve({"Fn::Sub": "x-${AWS::Region}"}) == f"x-{REGION}"
    assert training.resolve({"Fn::ImportValue": "s-Repo"}) == output["OutputValue"]


def test_the_fake_session_validates_requests_against_the_service_model():
    client = FakeSession(FakeAccount()).client("iam")
    with pytest.raises(Exception, match="Parameter validation failed"):
        client.simulate_principal_policy(PolicySourceArn="arn:aws:iam::123456789012:role/r", ActionNames="not-a-list")
