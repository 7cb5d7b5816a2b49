"""The doctor's checks of the platform's resources as they are now (changes made outside CloudFormation
do not show in its templates): the key policy, the EventBridge rules, the data bucket's notifications
and the default image."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from platform_contract import StatefulStackOutput
from trainctl.doctor.catalogue import KEY_POLICY_GRANTS, RULE_TARGETS, Fact, KeyPolicyGrant, fill, matches
from trainctl.doctor.checks import guard
from trainctl.doctor.deployment import Deployment, StackResource
from trainctl.doctor.permissions import CATALOGUE_FILE, ROLE_TYPE
from trainctl.doctor.results import CheckResult, Problem, failed

RULE_TYPE = "AWS::Events::Rule"


# -- The key policy --------------------------------------------------------------------------------------------
def check_key_policy(kms: Any, facts: Mapping[str, Fact]) -> CheckResult:
    key_arn = str(facts["key_arn"])
    subject = f"key policy of {key_arn}"

    def check() -> CheckResult:
        document = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
        statements = document.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        problems = [problem for grant in KEY_POLICY_GRANTS if (problem := _missing(grant, statements, key_arn, facts))]
        if problems:
            return CheckResult(subject, problems=tuple(problems))
        granted = " and ".join(fill(grant.principal, facts) for grant in KEY_POLICY_GRANTS)
        return CheckResult(subject, f"lets {granted} use the key")

    return guard(subject, check)


def _missing(grant: KeyPolicyGrant, statements: list[Any], key_arn: str, facts: Mapping[str, Fact]) -> Problem | None:
    principal = fill(grant.principal, facts)
    missing = [
        action
        for action in grant.actions
        if not any(_allows(statement, grant, principal, action, key_arn, facts) for statement in statements)
    ]
    if not missing:
        return None
    actions = ", ".join(missing)
    condition = f" with the Condition {json.dumps(_condition(grant, facts))}" if grant.condition else ""
    return Problem(
        f"no statement lets {principal} use {actions}, but {grant.why}",
        f"add to the key policy an Allow of these actions on Resource * to {grant.principal_type} {principal}"
        f"{condition} (aws kms get-key-policy --key-id {key_arn} --policy-name default; edit; aws kms put-key-policy)",
    )


def _allows(
    statement: Any, grant: KeyPolicyGrant, principal: str, action: str, key_arn: str, facts: Mapping[str, Fact]
) -> bool:
    """An Allow of the action on the key to the principal (or to everyone), unconditional or with exactly the
    condition the grant expects."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return False
    if "Condition" in statement and statement["Condition"] != _condition(grant, facts):
        return False
    return (
        _names_principal(statement.get("Principal"), grant.principal_type, principal)
        and any(matches(pattern.lower(), action.lower()) for pattern in _listed(statement.get("Action")))
        and any(matches(pattern, key_arn) for pattern in _listed(statement.get("Resource")))
    )


def _condition(grant: KeyPolicyGrant, facts: Mapping[str, Fact]) -> dict[str, dict[str, str]] | None:
    if grant.condition is None:
        return None
    return {
        operator: {key: fill(value, facts) for key, value in values.items()}
        for operator, values in grant.condition.items()
    }


def _names_principal(principal: Any, principal_type: str, expected: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    # A key policy may name an account by its ID or by its root ARN.
    account = expected.split(":")[4] if expected.endswith(":root") else None
    return any(value in (expected, account, "*") for value in _listed(principal.get(principal_type)))


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


# -- The rules -------------------------------------------------------------------------------------------------
def rule_checks(events: Any, deployment: Deployment, facts: Mapping[str, Fact], deploy: str) -> Iterator[CheckResult]:
    for rule in deployment.training.of_type(RULE_TYPE):
        name = rule.physical_id.split("|")[-1]  # `<bus>|<rule>` for a rule on another bus than the default
        subject = f"rule {name}"
        yield guard(subject, partial(_check_rule, events, deployment, facts, rule, name, subject, deploy))


def _check_rule(
    events: Any,
    deployment: Deployment,
    facts: Mapping[str, Fact],
    rule: StackResource,
    name: str,
    subject: str,
    deploy: str,
) -> CheckResult:
    expected = RULE_TARGETS.get(rule.stem)
    if expected is None:
        return failed(subject, f"{rule.stem} is a rule trainctl does not know", f"add its target to {CATALOGUE_FILE}")
    try:
        state = events.describe_rule(Name=name)["State"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        return failed(
            subject,
            "deleted outside CloudFormation",
            "deploy the training stack anew (npx cdk destroy it, then deploy; the data is in the stateful stack)",
        )
    problems = []
    if state != "ENABLED":
        problems.append(
            Problem(
                f"{state.lower()}: it sends nothing",
                f"enable it: aws events enable-rule --name {name} --region {deployment.region}",
            )
        )
    target_arn = fill(expected.arn, facts)
    targets = [
        target
        for page in events.get_paginator("list_targets_by_rule").paginate(Rule=name)
        for target in page["Targets"]
        if target["Arn"] == target_arn
    ]
    if not targets:
        problems.append(
            Problem(f"does not send its events to {expected.what} ({target_arn})", f"deploy this checkout ({deploy})")
        )
    elif expected.role is not None:
        role_arn = deployment.role_arn(deployment.physical_id(deployment.training, expected.role, ROLE_TYPE))
        if targets[0].get("RoleArn") != role_arn:
            problems.append(
                Problem(
                    f"starts {expected.what} as {targets[0].get('RoleArn')}, not as {role_arn}",
                    f"deploy this checkout ({deploy})",
                )
            )
    if problems:
        return CheckResult(subject, problems=tuple(problems))
    return CheckResult(subject, f"enabled, sends its events to {expected.what}")


# -- The data bucket's events ------------------------------------------------------------------------------------
def check_bucket_events(s3: Any, facts: Mapping[str, Fact]) -> CheckResult:
    bucket = str(facts["data_bucket"])
    subject = f"data bucket {bucket}"

    def check() -> CheckResult:
        configuration = s3.get_bucket_notification_configuration(Bucket=bucket)
        if "EventBridgeConfiguration" in configuration:
            return CheckResult(subject, "sends its events to EventBridge: request files start trainings")
        return failed(
            subject,
            "does not send its events to EventBridge: request files start nothing",
            f"turn it on: aws s3api put-bucket-notification-configuration --bucket {bucket} "
            "--notification-configuration '{\"EventBridgeConfiguration\": {}}' (the stack sets nothing else there)",
        )

    return guard(subject, check)


# -- The default image ------------------------------------------------------------------------------------------
def split_image_uri(image_uri: str) -> tuple[str, str]:
    """(repository, tag) of `<registry>/<repository>:<tag>`."""
    repository_and_tag = image_uri.split("/", 1)[-1]
    repository, _, tag = repository_and_tag.rpartition(":")
    return repository, tag


def check_image(ecr: Any, deployment: Deployment) -> CheckResult:
    image_uri = deployment.image_uri()
    subject = f"default image {image_uri}"

    def check() -> CheckResult:
        repository, tag = split_image_uri(image_uri)
        try:
            (image,) = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ImageNotFoundException":
                raise
            return failed(
                subject, "not in the repository: a request without image_uri cannot train", _push_commands(deployment)
            )
        pushed = image.get("imagePushedAt")
        return CheckResult(subject, f"pushed {pushed:%Y-%m-%d %H:%M %Z}".strip() if pushed else "in the repository")

    return guard(subject, check)


def _push_commands(deployment: Deployment) -> str:
    outputs = deployment.stateful.outputs
    commands = [
        outputs.get(key.value)
        for key in (
            StatefulStackOutput.DOCKER_LOGIN_COMMAND,
            StatefulStackOutput.DOCKER_BUILD_COMMAND,
            StatefulStackOutput.DOCKER_PUSH_COMMAND,
        )
    ]
    if not all(commands):
        return f"push the training image as {deployment.image_uri()}"
    login, build, push = commands
    return f"push it (the stateful stack's outputs): {login}, then where its Dockerfile is {build}, then {push}"
