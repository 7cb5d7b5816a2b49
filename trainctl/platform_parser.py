"""The arguments of the commands that work with the deployed platform: start, logs, status, list, stop.

Only the standard library here: the commands themselves (trainctl.platform_cli, which needs boto3,
about 0.17 s to import) load only when one of them runs, so `render`, `validate` and `--help` do not
pay for it."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

# ListExecutions returns at most 1000 executions per call.
MAX_LIST_LIMIT = 1000


def add_platform_commands(subparsers: Any) -> None:
    """Add start/logs/status/list/stop to the CLI's subparsers (created with dest="command"); each
    sets `run(args, out, err) -> int`."""
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--stack", help="platform stack name (default: TRAINCTL_STACK, the config file, then cdk.json's deployment)")
    where.add_argument("--region", help="AWS region (default: AWS_REGION, the config file, then the AWS profile)")
    where.add_argument("--json", action="store_true", help="print one JSON document for scripts")

    start = subparsers.add_parser("start", parents=[where], help="start a training on the deployed platform")
    start.add_argument("input", nargs="?", default="-", metavar="INPUT", help="execution input JSON file, or - for stdin (default)")
    start.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                       help="override a field: dotted path, JSON value (e.g. hyperparameters.epochs=20); repeatable")
    start.add_argument("--wait", action="store_true", help="show status changes until the job ends; exit code = success")
    start.add_argument("--follow", action="store_true", help="like --wait, also streaming every instance's log lines")

    logs = subparsers.add_parser("logs", parents=[where], help="print a training job's log lines")
    logs.add_argument("job", metavar="JOB")
    logs.add_argument("--follow", action="store_true", help="keep printing new lines until the job ends")

    status = subparsers.add_parser("status", parents=[where], help="status of an execution or a training job")
    status.add_argument("reference", metavar="EXECUTION_OR_JOB")

    listing = subparsers.add_parser("list", parents=[where], help="recent trainings")
    listing.add_argument("--limit", type=list_limit, default=10, help=f"how many executions to read, 1 to {MAX_LIST_LIMIT} (default 10)")
    listing.add_argument("--all", action="store_true", help="also show the ignored events (result files, non-matching tags)")

    stop = subparsers.add_parser("stop", parents=[where], help="stop an execution (and its job) or a training job")
    stop.add_argument("reference", metavar="EXECUTION_OR_JOB")

    for command in (start, logs, status, listing, stop):
        command.set_defaults(run=run_platform_command)


def list_limit(text: str) -> int:
    try:
        limit = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_LIST_LIMIT} (got {limit})")
    return limit


def run_platform_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from trainctl.platform_cli import COMMANDS  # imported only now: it needs boto3

    return COMMANDS[args.command](args, out, err)
