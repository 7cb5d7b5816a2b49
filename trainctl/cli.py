"""`trainctl render` and `trainctl validate` (SPEC section 4): the Lambda's request builder, run locally.

Exit codes: 0 valid, 2 invalid input or unreadable file. Problems go to stderr, one per line; never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from datetime import datetime, timezone
from typing import Sequence, TextIO

from training_request import InvalidTrainingInput, PlatformDefaults, build_training_job
from trainctl.platform_parser import add_platform_commands

DEFAULT_REGION = "eu-west-1"
EXIT_OK = 0
EXIT_INVALID = 2


class UnreadableInput(Exception):
    """A file that cannot be read or is not JSON: one clear line, no traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trainctl", description="Training platform command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    render = commands.add_parser("render", help="print the CreateTrainingJob request for an execution input")
    validate = commands.add_parser("validate", help="check an execution input without printing the request")
    for command in (render, validate):
        command.add_argument("input", metavar="INPUT.json", help="the execution input; - reads standard input")
        command.add_argument("--region", default=DEFAULT_REGION, help=f"AWS region of the platform (default {DEFAULT_REGION})")
        command.add_argument("--defaults", metavar="DEFAULTS.json", help="the values a deployed stack supplies (role_arn, image_uri, ...)")
        # Fixes the timestamp of generated job names, so that renders can be compared (tests, examples).
        command.add_argument("--now", help=argparse.SUPPRESS)
    add_platform_commands(commands)
    return parser


def read_json(path: str, stdin: TextIO) -> object:
    try:
        if path == "-":
            text = stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise UnreadableInput(f"{path}: cannot read the file: {getattr(error, 'strerror', None) or error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableInput(f"{path}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except (RecursionError, ValueError) as error:
        raise UnreadableInput(f"{path}: not usable JSON: {type(error).__name__}: {str(error)[:200]}") from None


def parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableInput(f"--now: not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    arguments = build_parser().parse_args(argv)
    if hasattr(arguments, "run"):  # start, logs, status, list, stop: the deployed platform
        try:
            return int(arguments.run(arguments, stdout, stderr))
        except KeyboardInterrupt:  # Ctrl-C before anything was started or while only reading
            print(f"trainctl {arguments.command}: interrupted", file=stderr)
            return 130
    try:
        execution_input = read_json(arguments.input, stdin)
        defaults = _defaults(arguments, execution_input, stdin, stderr)
        job = build_training_job(execution_input, region=arguments.region, defaults=defaults, now=parse_now(arguments.now))
    except UnreadableInput as error:
        print(f"trainctl {arguments.command}: {error}", file=stderr)
        return EXIT_INVALID
    except InvalidDefaults as error:
        print(f"trainctl {arguments.command}: {arguments.defaults}: invalid defaults file:", file=stderr)
        for problem in error.problems:
            print(f"  {problem}", file=stderr)
        return EXIT_INVALID
    except InvalidTrainingInput as error:
        count = f"{len(error.problems)} problem" + ("s" if len(error.problems) > 1 else "")
        print(f"trainctl {arguments.command}: {arguments.input}: invalid training input ({count}):", file=stderr)
        for problem in error.problems:
            print(f"  {problem}", file=stderr)
        return EXIT_INVALID
    try:
        if arguments.command == "render":
            stdout.write(json.dumps(job.request, indent=2) + "\n")
        else:
            stdout.write(f"{arguments.input}: valid (job {job.job_name}, wait={'true' if job.wait else 'false'})\n")
        stdout.flush()
    except BrokenPipeError:
        # `trainctl render x.json | head`: the reader left; not an error worth a traceback.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's exit flush quiet
    return EXIT_OK


class InvalidDefaults(Exception):
    """A DEFAULTS.json that is not of the SPEC's shape: reported against that file, not the input."""

    def __init__(self, problems: list[object]) -> None:
        super().__init__()
        self.problems = problems


# The input keys a deployed stack fills in when they are left out (SPEC section 3), and its defaults' names.
_STACK_SUPPLIED = {"role": "role_arn", "image_uri": "image_uri", "output_path": "output_path"}


def _defaults(arguments: argparse.Namespace, execution_input: object, stdin: TextIO, stderr: TextIO) -> PlatformDefaults:
    """DEFAULTS.json's values; what it leaves out (all of it without --defaults) becomes a stand-in, said on
    stderr when the input relies on it, so a rendered request is not mistaken for the deployed one."""
    given = PlatformDefaults()
    if arguments.defaults is not None:
        try:
            given = PlatformDefaults.from_mapping(read_json(arguments.defaults, stdin))
        except InvalidTrainingInput as error:
            raise InvalidDefaults(error.problems) from None
    stand_ins = PlatformDefaults.stand_ins(arguments.region)
    missing = {name: getattr(stand_ins, name) for name in ("role_arn", "image_uri", "output_path", "checkpoint_s3_uri")
               if getattr(given, name) is None}
    left_out = [key for key, name in _STACK_SUPPLIED.items()
                if name in missing and isinstance(execution_input, dict) and execution_input.get(key) is None]
    if left_out:
        source = "not in the defaults file" if arguments.defaults is not None else "no --defaults"
        print(f"trainctl {arguments.command}: {source}: {', '.join(left_out)} left to the stack, "
              "shown as stand-ins (give them in --defaults DEFAULTS.json for the deployed values)", file=stderr)
    return replace(given, **missing)
