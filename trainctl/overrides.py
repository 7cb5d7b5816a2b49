"""`--set key=value` overrides applied on top of an execution input read from a file or stdin.

A key is a dotted path into the input (`hyperparameters.epochs`, `inputs.train.s3_data`); a segment
may be quoted when a name holds a dot (`hyperparameters."model.lr"=0.1`) and `[N]` indexes a list
(`tags[0].Value=x`). Missing objects on the way are created. The value is parsed as JSON when it
parses (`20` is a number, `true` a boolean, `{"seed": 1}` an object, `"20"` the string 20), otherwise
it is kept as the string written (`s3://bucket/data`, `ml.m5.xlarge`). NaN and Infinity stay strings:
they are not JSON and would reach the request as `nan`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping

PathSegment = str | int

# One segment: a quoted name, a bare name, or a list index.
_SEGMENT = re.compile(r'"(?P<quoted>[^"]+)"|(?P<bare>[^."\[\]]+)|\[(?P<index>\d+)\]')


class OverrideError(ValueError):
    """A `--set` that cannot be applied; the message names the assignment and the reason."""


def parse_path(key: str) -> list[PathSegment]:
    """`a.b[0]."c.d"` -> ["a", "b", 0, "c.d"]; raises OverrideError for anything else."""
    segments: list[PathSegment] = []
    position = 0
    while position < len(key):
        if segments and key[position] == ".":
            position += 1
        match = _SEGMENT.match(key, position)
        if match is None or (match.group("index") is not None and not segments):
            raise OverrideError(f"--set {key}: cannot read the key at position {position + 1}")
        if match.group("index") is not None:
            segments.append(int(match.group("index")))
        else:
            segments.append(match.group("quoted") or match.group("bare").strip())
        position = match.end()
    if not segments:
        raise OverrideError("--set: empty key (write key=value, e.g. hyperparameters.epochs=20)")
    return segments


def parse_value(text: str) -> object:
    """JSON when the text is JSON (except NaN/Infinity), else the text itself."""

    def reject_constant(name: str) -> object:
        raise ValueError(name)

    try:
        return json.loads(text, parse_constant=reject_constant)
    except ValueError:
        return text


def parse_assignment(assignment: str) -> tuple[list[PathSegment], object]:
    key, separator, value = assignment.partition("=")
    if not separator:
        raise OverrideError(f"--set {assignment}: expected key=value, e.g. hyperparameters.epochs=20")
    return parse_path(key.strip()), parse_value(value)


def _describe(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _set(container: object, path: list[PathSegment], value: object, assignment: str) -> None:
    for depth, segment in enumerate(path):
        last = depth == len(path) - 1
        where = "the input" if depth == 0 else "'" + _render(path[:depth]) + "'"
        if isinstance(segment, int):
            if not isinstance(container, list):
                raise OverrideError(f"--set {assignment}: {where} is {_describe(container)}, not a list")
            if segment > len(container):
                raise OverrideError(
                    f"--set {assignment}: {where} has {len(container)} items; index {segment} leaves a gap"
                )
            if segment == len(container):
                container.append({})
        elif not isinstance(container, dict):
            raise OverrideError(f"--set {assignment}: {where} is {_describe(container)}, not an object")
        if last:
            container[segment] = value  # type: ignore[index]
            return
        child = container[segment] if not isinstance(container, dict) else container.get(segment)  # type: ignore[index]
        if child is None:
            child = [] if isinstance(path[depth + 1], int) else {}
            container[segment] = child  # type: ignore[index]
        container = child


def _render(path: list[PathSegment]) -> str:
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            name = f'"{segment}"' if "." in segment else segment
            text += f".{name}" if text else name
    return text


def apply_overrides(execution_input: Mapping[str, object], assignments: Iterable[str]) -> dict[str, object]:
    """A copy of `execution_input` with every `key=value` assignment applied, in order."""
    if not isinstance(execution_input, Mapping):
        raise OverrideError(f"--set needs the input to be a JSON object, got {_describe(execution_input)}")
    result = copy.deepcopy(dict(execution_input))
    for assignment in assignments:
        path, value = parse_assignment(assignment)
        _set(result, path, value, assignment)
    return result
