"""Reading the JSON files commands take (an execution input, a defaults file), or standard input."""

from __future__ import annotations

import json
from typing import TextIO


class UnreadableInput(Exception):
    """A file that cannot be read or is not JSON: one clear line, no traceback."""


def read_json(path: str, stdin: TextIO) -> object:
    """The JSON value in the file `path` (`-`: standard input)."""
    try:
        if path == "-":
            text = stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise UnreadableInput(f"{path}: cannot read the file: {getattr(error, 'strerror', None) or error}") from None
    if not text.strip():
        raise UnreadableInput(f"{path}: is empty: expected a JSON object")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableInput(
            f"{path}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except (RecursionError, ValueError) as error:
        raise UnreadableInput(f"{path}: not usable JSON: {type(error).__name__}: {str(error)[:200]}") from None
