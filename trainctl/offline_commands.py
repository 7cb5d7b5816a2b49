"""`trainctl render` and `trainctl validate`: the Lambda's request builder, run locally (a request with a `tuner`
renders as the CreateHyperParameterTuningJob request, as the Lambda builds it).

Script mode with local code is packaged as `start` packages it (trainctl.script_code), so that its problems show
and the request holds the S3 URI the code would go to; nothing is uploaded (a note on stderr says so).

Exit codes: 0 valid, 2 invalid input or unreadable file. Problems go to stderr, one per line, as
trainctl.reporting writes them; never a traceback."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from trainctl.input_files import UnreadableInput, read_json
from trainctl.reporting import EXIT_INVALID, EXIT_OK, invalid_input, report_error, report_note, report_problems
from trainctl.script_code import has_local_code, packaged_code
from training_request import (
    InvalidTrainingInput,
    PlatformDefaults,
    TrainingJob,
    TuningJob,
    build_training_job,
    build_tuning_job,
    is_tuning_request,
)

# The input keys a deployed stack fills in when they are left out, and its defaults' names.
_STACK_SUPPLIED = {"role": "role_arn", "image_uri": "image_uri", "output_path": "output_path"}


class InvalidDefaults(Exception):
    """A DEFAULTS.json that is not of the expected shape: reported against that file, not the input."""

    def __init__(self, problems: Sequence[object]) -> None:
        super().__init__()
        self.problems = problems


def run_render(arguments: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    job = _built_job(arguments, stdin, err)
    if job is None:
        return EXIT_INVALID
    out.write(json.dumps(job.request, indent=2) + "\n")
    return EXIT_OK


def run_validate(arguments: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    job = _built_job(arguments, stdin, err)
    if job is None:
        return EXIT_INVALID
    kind = "tuning job" if isinstance(job, TuningJob) else "job"
    out.write(f"{arguments.input}: valid ({kind} {job.job_name}, wait={'true' if job.wait else 'false'})\n")
    return EXIT_OK


def _built_job(arguments: argparse.Namespace, stdin: TextIO, err: TextIO) -> TrainingJob | TuningJob | None:
    """The job the input describes, or None once every problem is on stderr."""
    try:
        execution_input = read_json(arguments.input, stdin)
        defaults = _defaults(arguments, execution_input, stdin, err)
        now = parse_now(arguments.now)
        if has_local_code(execution_input):
            return _packaged_job(arguments, execution_input, defaults, now, err)  # type: ignore[arg-type]
        build = build_tuning_job if is_tuning_request(execution_input) else build_training_job
        return build(execution_input, region=arguments.region, defaults=defaults, now=now)
    except UnreadableInput as error:
        report_error(err, str(error))
    except InvalidDefaults as error:
        report_problems(err, arguments.defaults, "invalid defaults file", error.problems)
    except InvalidTrainingInput as error:
        report_problems(err, arguments.input, invalid_input(execution_input), error.problems)
    return None


def _packaged_job(
    arguments: argparse.Namespace,
    execution_input: Mapping[str, object],
    defaults: PlatformDefaults,
    now: datetime | None,
    err: TextIO,
) -> TrainingJob:
    """The job with its local code packaged (relative paths from the input file's directory), not uploaded."""

    def build(staged: object) -> TrainingJob:
        return build_training_job(staged, region=arguments.region, defaults=defaults, now=now)

    code_dir = Path("." if arguments.input == "-" else os.path.dirname(arguments.input) or ".")
    with packaged_code(execution_input, base_dir=code_dir, build=build) as code:
        report_note(
            err,
            f"{arguments.command} uploads nothing: `start` would upload the code ({code.describe()}) to {code.uri}",
        )
        return code.job


def parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableInput(f"--now: not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _defaults(arguments: argparse.Namespace, execution_input: object, stdin: TextIO, err: TextIO) -> PlatformDefaults:
    """DEFAULTS.json's values; what it leaves out (all of it without --defaults) becomes a stand-in, said on
    stderr when the input relies on it, so a rendered request is not mistaken for the deployed one."""
    given = PlatformDefaults()
    if arguments.defaults is not None:
        try:
            given = PlatformDefaults.from_mapping(read_json(arguments.defaults, stdin))
        except InvalidTrainingInput as error:
            raise InvalidDefaults(error.problems) from None
    stand_ins = PlatformDefaults.stand_ins(arguments.region)
    missing = {
        name: getattr(stand_ins, name)
        for name in ("role_arn", "image_uri", "output_path", "checkpoint_s3_uri")
        if getattr(given, name) is None
    }
    left_out = [
        key
        for key, name in _STACK_SUPPLIED.items()
        if name in missing and isinstance(execution_input, dict) and execution_input.get(key) is None
    ]
    if left_out:
        source = "not in the defaults file" if arguments.defaults is not None else "no --defaults"
        report_note(
            err,
            f"{source}: {', '.join(left_out)} left to the stack, "
            "shown as stand-ins (give them in --defaults DEFAULTS.json for the deployed values)",
        )
    return replace(given, **missing)
