"""How every command reports: its exit code, and on stderr one style for errors, notes and the
commands it suggests.

- `error: <one line>` for anything that stops a command;
- `error: <file>: <what is invalid> (N problems):` then one indented line per problem, for input
  that the request builder (or the Prepare Lambda) rejects;
- `note: <one line>` for what a user should know but is not an error.

Suggested commands (`follow it with: ...`, `stop it with: ...`, `see ... --help`) start with
`invocation()`, the way this very process was started, so they can be pasted as they are."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from typing import TextIO

from training_request import is_tuning_request

EXIT_OK = 0
EXIT_FAILED = 1  # the training failed or was stopped, AWS refused, the platform was not found
EXIT_INVALID = 2  # invalid input or usage
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT); a training already started runs on
EXIT_READER_LEFT = 141  # the reader of the output left, `... | head` (128 + SIGPIPE); likewise

_LINE_BREAKS = re.compile(r"\s*\n\s*")


def invocation(executable: str | None = None, *, cwd: str | None = None, python_on_path: str | None = None) -> str:
    """`<interpreter> -m trainctl`, the interpreter named as briefly as still runs this one: `python`
    when that is the `python` on PATH (an activated virtualenv), else its path relative to the
    current directory when it is under it (`.venv/bin/python` from the repository root), else its
    absolute path. Never resolved through symlinks: a virtualenv's python is a link to another one
    that lacks the virtualenv's packages."""
    executable = executable or sys.executable
    python_on_path = python_on_path if python_on_path is not None else (shutil.which("python") or "")
    cwd = cwd or os.getcwd()
    if python_on_path and os.path.abspath(python_on_path) == os.path.abspath(executable):
        interpreter = "python"
    elif os.path.abspath(executable).startswith(os.path.join(os.path.abspath(cwd), "")):
        interpreter = os.path.relpath(executable, cwd)
    else:
        interpreter = executable
    return f"{interpreter} -m trainctl"


def one_line(message: str) -> str:
    """A message on one line: line breaks (a multi-line cause from AWS) become '; '."""
    return _LINE_BREAKS.sub("; ", message.strip())


def report_error(err: TextIO, message: str) -> None:
    print(f"error: {one_line(message)}", file=err)


def report_problems(err: TextIO, source: str, what: str, problems: Sequence[object]) -> None:
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    print(f"error: {source}: {what} ({count}):", file=err)
    for problem in problems:
        print(f"  {problem}", file=err)


def invalid_input(execution_input: object) -> str:
    """What report_problems says of an input the builder refused: `invalid training input` or `invalid tuning
    input` (a request with a `tuner`)."""
    return f"invalid {'tuning' if is_tuning_request(execution_input) else 'training'} input"


def duration(seconds: float | None) -> str:
    """A duration as `4m05s` or `1h02m03s` (`-` when unknown)."""
    if seconds is None:
        return "-"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m{rest % 60:02d}s" if hours else f"{rest // 60}m{rest % 60:02d}s"


def report_note(err: TextIO, message: str) -> None:
    print(f"note: {one_line(message)}", file=err)
