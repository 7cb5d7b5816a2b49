"""The doctor's first checks: who is calling, whether both stacks exist in a usable state, and whether
they are what this checkout deploys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.parsers import ResponseParserError

from trainctl.doctor.deployment import Caller, Deployment, Stack
from trainctl.doctor.results import CheckResult, Problem, failed
from trainctl.doctor.templates import Synthesis, deployed_template, differences

PERMISSIONS_PAGE = "docs/permissions.md (the trainctl caller)"
_USABLE_STATUSES = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")
_ACCESS_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


def refusal(error: ClientError) -> tuple[str, str]:
    """What AWS said, and what to do: a missing permission of the doctor's caller, or the message itself."""
    details = error.response.get("Error", {})
    what = f"AWS refused {error.operation_name}: {details.get('Code')}: {details.get('Message')}"
    if details.get("Code") in _ACCESS_DENIED:
        return what, f"let the caller make this call: see {PERMISSIONS_PAGE}"
    return what, "see AWS's message"


def guard(subject: str, check: Callable[[], CheckResult]) -> CheckResult:
    """The check's result, or its AWS error as the check's failure (never a traceback)."""
    try:
        return check()
    except ClientError as error:
        return failed(subject, *refusal(error))
    except BotoCoreError as error:
        return failed(subject, str(error), "check the network, the region and the credentials")
    except ResponseParserError as error:  # an answer no AWS service gives (an endpoint that is not AWS)
        first_line = str(error).splitlines()[0].rstrip(":")
        return failed(
            subject, f"the endpoint's answer is not AWS's: {first_line}", "check AWS_ENDPOINT_URL and the region"
        )


def check_caller(sts: Any, region: str) -> tuple[CheckResult, Caller | None]:
    subject = "credentials"
    try:
        identity = sts.get_caller_identity()
    except NoCredentialsError:
        return failed(
            subject, "no AWS credentials found", "set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ), None
    except ClientError as error:
        what, _ = refusal(error)
        return failed(subject, what, "renew the credentials (aws sso login, or new keys) and run again"), None
    except BotoCoreError as error:
        return failed(subject, str(error), "check the network and the region"), None
    caller = Caller(identity["Account"], identity["Arn"])
    return CheckResult(subject, f"{caller.arn} in account {caller.account}, region {region}"), caller


def check_stack(stack: Stack, region: str, deploy: str) -> CheckResult:
    subject = f"stack {stack.name}"
    status = stack.status
    if status is None:
        return failed(
            subject, f"not found in {region}", f"deploy the platform ({deploy}), or name it with --stack and --region"
        )
    if status in _USABLE_STATUSES:
        return CheckResult(subject, status)
    events = f"its events say why (aws cloudformation describe-stack-events --stack-name {stack.name})"
    if status.endswith("_IN_PROGRESS"):
        return failed(subject, f"{status}: an operation is under way", "wait for it to end, then run the doctor again")
    if status == "UPDATE_ROLLBACK_COMPLETE":
        return failed(subject, "its last update failed and was rolled back", f"{events}; fix that and deploy again")
    if status == "ROLLBACK_COMPLETE":
        return failed(
            subject, "its creation failed", f"{events}; delete it (aws cloudformation delete-stack) and deploy again"
        )
    return failed(subject, status, f"{events}; fix that and deploy again")


def check_templates(
    cloudformation: Any,
    deployment: Deployment,
    context: Mapping[str, str],
    synthesize: Callable[[Mapping[str, str]], Synthesis],
    deploy: str,
) -> CheckResult:
    subject = "stacks match this checkout"
    settings = deployment.settings
    options = " ".join(f"-c {key}={value}" for key, value in sorted(context.items())) or "no -c option"
    try:
        synthesis = synthesize(context)
    except ImportError as error:
        return failed(subject, f"this checkout cannot synthesize here: {error}", "install it: make setup")
    except Exception as error:  # jsii and the CDK raise many kinds: any of them is this check's failure
        return failed(subject, f"this checkout does not synthesize: {error}", "run `make synth` to see why")
    compared = f"prefix {settings.prefix}, environment {settings.environment}, {options}"
    fix = (
        f"deploy this checkout ({deploy}); if the stacks were deployed with other settings than {compared}, "
        "give the doctor the same -c options"
    )
    problems = []
    for stack in (deployment.stateful, deployment.training):
        if stack.name not in synthesis.templates:
            problems.append(Problem(f"this checkout has no stack {stack.name}", fix))
            continue
        found = differences(deployed_template(cloudformation, stack.name), synthesis.templates[stack.name])
        problems.extend(Problem(f"{stack.name}: {difference}", fix) for difference in found)
    if problems:
        return CheckResult(subject, problems=tuple(problems), seconds=synthesis.seconds)
    return CheckResult(subject, f"{compared}; synthesized in {synthesis.seconds:.1f} s", seconds=synthesis.seconds)
