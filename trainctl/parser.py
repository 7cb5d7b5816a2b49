"""The command line's arguments: every command, its options and the function that runs it.

Only the standard library here (and trainctl.reporting, which needs no more); the commands are named,
not imported: `render`, `validate` and `--help` never load boto3 (about 0.17 s), which only start,
logs, status, list and stop need."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

from trainctl.reporting import EXIT_INVALID, invocation, one_line

DEFAULT_REGION = "eu-west-1"
# ListExecutions returns at most 1000 executions per call.
MAX_LIST_LIMIT = 1000
OFFLINE_COMMANDS = "trainctl.offline_commands"
PLATFORM_COMMANDS = "trainctl.platform_commands"
DOCTOR_COMMAND = "trainctl.doctor.command"
_REFERENCE = "an execution's ARN or name, or a training or tuning job's name or ARN"


class _Parser(argparse.ArgumentParser):
    """argparse with trainctl's error style (trainctl.reporting): `error: <one line>`, here ending
    with the command that shows the usage, instead of argparse's usage block and `<prog>: error:`."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INVALID, f"error: {one_line(message)}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    """Each command sets `run` to (module, function): the function that runs it, as
    `function(args, stdin, out, err) -> exit code`."""
    parser = _Parser(prog=invocation(), description="Training platform command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_offline_commands(commands)
    _add_platform_commands(commands)
    return parser


def _add_offline_commands(commands: argparse._SubParsersAction[Any]) -> None:
    render = commands.add_parser("render", help="print the CreateTrainingJob request for an execution input")
    validate = commands.add_parser("validate", help="check an execution input without printing the request")
    for command in (render, validate):
        command.add_argument("input", metavar="INPUT.json", help="the execution input; - reads standard input")
        command.add_argument(
            "--region", default=DEFAULT_REGION, help=f"AWS region of the platform (default {DEFAULT_REGION})"
        )
        command.add_argument(
            "--defaults",
            metavar="DEFAULTS.json",
            help="the values a deployed stack supplies (role_arn, image_uri, ...)",
        )
        # Fixes the timestamp of generated job names, so that renders can be compared (tests, examples).
        command.add_argument("--now", help=argparse.SUPPRESS)
    render.set_defaults(run=(OFFLINE_COMMANDS, "run_render"))
    validate.set_defaults(run=(OFFLINE_COMMANDS, "run_validate"))


def _add_platform_commands(commands: argparse._SubParsersAction[Any]) -> None:
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--stack", help="platform stack name (default: TRAINCTL_STACK, the config file, then cdk.json's deployment)"
    )
    where.add_argument("--region", help="AWS region (default: AWS_REGION, the config file, then the AWS profile)")
    where.add_argument("--json", action="store_true", help="print one JSON document for scripts")

    start = commands.add_parser(
        "start", parents=[where], help="start a training (a tuning job for a request with a tuner)"
    )
    start.add_argument(
        "input", nargs="?", default="-", metavar="INPUT", help="execution input JSON file, or - for stdin (default)"
    )
    start.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="overrides",
        help="override a field: dotted path, JSON value (e.g. hyperparameters.epochs=20); repeatable",
    )
    start.add_argument(
        "--wait",
        action="store_true",
        help="show status changes (a tuning job's: each training job's end, the best so far) until the job ends; "
        "exit code = success",
    )
    start.add_argument(
        "--follow", action="store_true", help="like --wait, also streaming every instance's log lines (training jobs)"
    )

    logs = commands.add_parser("logs", parents=[where], help="print a training job's log lines")
    logs.add_argument("job", metavar="JOB", type=non_empty("a training job's name"))
    logs.add_argument("--follow", action="store_true", help="keep printing new lines until the job ends")

    status = commands.add_parser(
        "status", parents=[where], help="status of an execution, a training job or a tuning job"
    )
    status.add_argument("reference", metavar="EXECUTION_OR_JOB", type=non_empty(_REFERENCE))

    listing = commands.add_parser("list", parents=[where], help="recent trainings and tuning jobs")
    listing.add_argument(
        "--limit", type=list_limit, default=10, help=f"how many executions to read, 1 to {MAX_LIST_LIMIT} (default 10)"
    )
    listing.add_argument(
        "--all", action="store_true", help="also show the ignored events (non-matching tags, events sent by hand)"
    )

    stop = commands.add_parser(
        "stop", parents=[where], help="stop an execution (and its job), a training job or a tuning job"
    )
    stop.add_argument("reference", metavar="EXECUTION_OR_JOB", type=non_empty(_REFERENCE))

    doctor = commands.add_parser(
        "doctor", parents=[where], help="check that the deployed platform is ready to train (run after cdk deploy)"
    )
    doctor.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting the stacks were deployed with, as given to cdk deploy -c; repeatable",
    )
    doctor.add_argument(
        "--smoke", action="store_true", help="then start a minimal training with the default image and follow it"
    )
    doctor.set_defaults(run=(DOCTOR_COMMAND, "run_doctor"))

    for command, function in (
        (start, "run_start"),
        (logs, "run_logs"),
        (status, "run_status"),
        (listing, "run_list"),
        (stop, "run_stop"),
    ):
        command.set_defaults(run=(PLATFORM_COMMANDS, function))


def non_empty(expected: str) -> Callable[[str], str]:
    """An argument that names something: empty (`status "$job"` with $job unset) is a usage error
    saying what to give, not a name AWS's parameter validation refuses."""

    def check(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"is empty: give {expected}")
        return text

    return check


def list_limit(text: str) -> int:
    try:
        limit = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_LIST_LIMIT} (got {limit})")
    return limit
