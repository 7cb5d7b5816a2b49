"""`trainctl doctor`: is the deployed platform ready to train, on this account, as this checkout deploys it?

One line per check as it completes (`--json`: one document at the end), a summary, and exit 0 only
when every check passed (1 otherwise, 2 for a usage error)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TextIO

import boto3

from stacks.settings import PlatformSettings, SettingsError
from trainctl.doctor.checks import check_caller, check_stack, check_templates, guard
from trainctl.doctor.deployment import (
    Deployment,
    MissingResource,
    Stack,
    UsageError,
    deployment_context,
    deployment_settings,
    parse_context_options,
    read_stack,
)
from trainctl.doctor.permissions import role_checks
from trainctl.doctor.resources import check_bucket_events, check_image, check_key_policy, rule_checks
from trainctl.doctor.results import CheckResult, all_passed, failed, summary
from trainctl.doctor.smoke import SUBJECT as SMOKE_SUBJECT
from trainctl.doctor.smoke import run_smoke
from trainctl.doctor.templates import Synthesis, synthesize_checkout
from trainctl.errors import PlatformError
from trainctl.locate import PlatformLocation, resolve_location
from trainctl.platform import Platform
from trainctl.reporting import EXIT_FAILED, EXIT_INVALID, EXIT_OK, report_error

_PROGRESS_INDENT = " " * 5  # under the checks' subjects


def new_session() -> Any:
    return boto3.Session()


@dataclass
class Doctor:
    session: Any
    location: PlatformLocation
    context: Mapping[str, str]  # the -c options this checkout deploys the stacks with
    settings: PlatformSettings
    synthesize: Callable[[Mapping[str, str]], Synthesis]
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=self.location.region)
        return self._clients[service]

    @property
    def deploy(self) -> str:
        """The command that deploys this checkout as the doctor judges it."""
        return " ".join(["npx cdk deploy --all", *(f"-c {key}={value}" for key, value in sorted(self.context.items()))])

    def checks(self) -> Iterator[CheckResult]:
        region = self.location.region
        result, caller = check_caller(self.client("sts"), region)
        yield result
        if caller is None:
            yield CheckResult("the other checks", skipped="they need working credentials")
            return
        stacks: list[Stack] = []
        for name in (self.settings.stateful_stack_name, self.settings.training_stack_name):
            result, stack = self._stack(name)
            yield result
            if stack is not None and stack.status is not None:
                stacks.append(stack)
        if len(stacks) < 2:
            yield CheckResult("the other checks", skipped="they need both stacks")
            return
        yield from self._platform_checks(Deployment(region, caller, self.settings, *stacks))

    def _stack(self, name: str) -> tuple[CheckResult, Stack | None]:
        found: list[Stack] = []

        def check() -> CheckResult:
            found.append(read_stack(self.client("cloudformation"), name))
            return check_stack(found[0], self.location.region, self.deploy)

        result = guard(f"stack {name}", check)
        return result, (found[0] if found else None)

    def _platform_checks(self, deployment: Deployment) -> Iterator[CheckResult]:
        yield guard(
            "stacks match this checkout",
            partial(
                check_templates, self.client("cloudformation"), deployment, self.context, self.synthesize, self.deploy
            ),
        )
        try:
            facts = deployment.facts()
        except MissingResource as error:
            yield failed("the stacks' outputs and resources", str(error), f"deploy this checkout ({self.deploy})")
            yield CheckResult("the other checks", skipped="they need the stacks' outputs and resources")
            return
        yield from role_checks(self.client("iam"), deployment, facts, self.deploy)
        yield check_key_policy(self.client("kms"), facts)
        yield from rule_checks(self.client("events"), deployment, facts, self.deploy)
        yield check_bucket_events(self.client("s3"), facts)
        yield check_image(self.client("ecr"), deployment)

    def smoke(self, progress: Callable[[str], None]) -> CheckResult:
        def check() -> CheckResult:
            platform = Platform.connect(self.location.stack_name, self.location.region, session=self.session)
            return run_smoke(platform, progress)

        return guard(SMOKE_SUBJECT, check)


def run_doctor(args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    try:
        doctor = _doctor(args)
    except UsageError as error:
        report_error(err, str(error))
        return EXIT_INVALID
    except SettingsError as error:
        report_error(err, "invalid settings (cdk.json context or -c KEY=VALUE): " + "; ".join(error.problems))
        return EXIT_INVALID
    except PlatformError as error:
        report_error(err, str(error))
        return EXIT_FAILED
    show: Callable[[CheckResult], None] = (lambda _: None) if args.json else partial(_print_lines, out)
    results: list[CheckResult] = []
    for result in doctor.checks():
        results.append(result)
        show(result)
    if args.smoke:
        if all_passed(results):
            progress = partial(_print_progress, err if args.json else out)
            result = doctor.smoke(progress)
        else:
            result = CheckResult(SMOKE_SUBJECT, skipped="it runs once every other check passed")
        results.append(result)
        show(result)
    passed = all_passed(results)
    if args.json:
        print(json.dumps({"passed": passed, "checks": [result.to_json() for result in results]}, indent=2), file=out)
    else:
        print(summary(results), file=out)
    return EXIT_OK if passed else EXIT_FAILED


def _doctor(args: argparse.Namespace) -> Doctor:
    overrides = parse_context_options(args.context)
    session = new_session()
    location = resolve_location(args.stack, args.region, profile_region=session.region_name)
    context = deployment_context(location.stack_name, overrides)
    return Doctor(session, location, context, deployment_settings(context), synthesize_checkout)


def _print_lines(out: TextIO, result: CheckResult) -> None:
    for line in result.lines():
        print(line, file=out, flush=True)


def _print_progress(stream: TextIO, line: str) -> None:
    print(_PROGRESS_INDENT + line, file=stream, flush=True)
