"""`python -m trainctl`: parse the command line, run the command, return its exit code
(trainctl.reporting has them all)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from trainctl.parser import build_parser
from trainctl.reporting import EXIT_INTERRUPTED, EXIT_READER_LEFT, report_error


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    arguments = build_parser().parse_args(argv)
    module, function = arguments.run
    try:
        return int(getattr(importlib.import_module(module), function)(arguments, stdin, stdout, stderr))
    except KeyboardInterrupt:  # Ctrl-C before anything was started or while only reading
        report_error(stderr, "interrupted")
        return EXIT_INTERRUPTED


def run_program() -> int:
    """main() on the process's own streams, as `python -m trainctl` runs it."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # `trainctl start x.json --follow | head -1`: the reader left, nothing worth a word. Python's
        # recipe: point stdout at devnull, or the interpreter's own flush at exit fails again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_READER_LEFT
    return code
