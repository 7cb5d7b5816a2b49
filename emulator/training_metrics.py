"""The emulated job's metrics: what its container prints, and what SageMaker extracts from it.

Two independent sides, as on AWS:

- The container (`container_report`): over its epochs it prints lines its own MetricDefinitions
  match. For each definition a line is generated from the regex itself, whose first group captures
  the value (`Loss = (.*?);` gives `Loss = 0.8123;`); the line is kept only if `re.search` with that
  regex gives back exactly that value. A regex too complex to generate a line for (look-arounds,
  back-references) gets no line: `unprintable` names it.
- SageMaker (`extract_metrics`): every MetricDefinitions regex applied to every line printed; the
  first group of a match, parsed as a float, is a value (a match that is not a number is skipped).

The values are a deterministic function of the job's hyperparameters and the epoch (`metric_value`),
so that a tuning job's best training job is the one whose hyperparameters are nearest the optimum:

    distance = sqrt(sum over the optimum's hyperparameters h of log10(value_h / optimum_h) ** 2)

counted over the hyperparameters the job sets to a positive number, in decades. The optimum is
`learning_rate=0.001` unless the `emulator_optimum` hyperparameter says otherwise (for example
`learning_rate=0.01,batch_size=32`). A metric whose name says higher is better (accuracy, auc, f1,
precision, recall, score) rises towards 0.98 / (1 + distance); any other (a loss) falls towards
scale * (0.05 + 0.3 * distance), where scale (0.5 to 1.5) is fixed by the metric's name so that
several losses draw distinct curves. Both approach their limit as exp(-3 * epoch / epochs).
"""

from __future__ import annotations

import importlib
import math
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EPOCHS_HYPERPARAMETER = "epochs"
OPTIMUM_HYPERPARAMETER = "emulator_optimum"
DEFAULT_OPTIMUM: Mapping[str, float] = {"learning_rate": 0.001}
DEFAULT_EPOCHS = 5
REPORTED_EPOCHS = 5  # at most this many epochs print a report (evenly spread: 40, 80, ... of 200)
_HIGHER_IS_BETTER = re.compile(r"acc|auc|f1|precision|recall|score", re.IGNORECASE)
_DECAY = 3.0

# The standard library's regex parser (re._parser), typed loosely: it has no type information.
_REGEX_PARSER: Any = importlib.import_module("re._parser")


class InvalidOptimum(ValueError):
    """`emulator_optimum` is not a comma-separated list of name=positive number."""


@dataclass(frozen=True)
class MetricDefinition:
    name: str
    regex: str

    @classmethod
    def all_of(cls, algorithm_specification: Mapping[str, Any]) -> list[MetricDefinition]:
        return [cls(str(d["Name"]), str(d["Regex"])) for d in algorithm_specification.get("MetricDefinitions") or []]


@dataclass(frozen=True)
class ContainerReport:
    """What the emulated container prints during Training: one block of lines per reported epoch
    (a progress line, then one line per metric it could print a line for)."""

    epochs: list[list[str]]
    unprintable: list[MetricDefinition]  # definitions no line could be generated for


# -- The values -------------------------------------------------------------------------------------
def optimum_of(hyperparameters: Mapping[str, str]) -> dict[str, float]:
    raw = hyperparameters.get(OPTIMUM_HYPERPARAMETER)
    if raw is None:
        return dict(DEFAULT_OPTIMUM)
    optimum: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        name, _, number = part.partition("=")
        value = _positive_number(number)
        if not name.strip() or value is None:
            raise InvalidOptimum(f"expected name=positive number, comma-separated (got {raw!r})")
        optimum[name.strip()] = value
    if not optimum:
        raise InvalidOptimum(f"expected name=positive number, comma-separated (got {raw!r})")
    return optimum


def distance_from_optimum(hyperparameters: Mapping[str, str]) -> float:
    """How far, in decades, the job's hyperparameters are from the optimum (0 at the optimum)."""
    squares = 0.0
    for name, best in optimum_of(hyperparameters).items():
        value = _positive_number(hyperparameters.get(name))
        if value is not None:
            squares += math.log10(value / best) ** 2
    return math.sqrt(squares)


def metric_value(metric_name: str, progress: float, distance: float) -> float:
    """The value a metric has after `progress` (0..1) of the epochs, `distance` decades from the optimum."""
    decay = math.exp(-_DECAY * progress)
    if _HIGHER_IS_BETTER.search(metric_name):
        limit = 0.98 / (1.0 + distance)
        value = limit - 0.8 * limit * decay
    else:
        scale = 0.5 + (zlib.crc32(metric_name.encode()) % 1000) / 1000
        limit = scale * (0.05 + 0.3 * distance)
        value = limit + 2.0 * scale * decay
    return round(value, 4)


def reported_epochs(hyperparameters: Mapping[str, str]) -> tuple[list[int], int]:
    """The epochs that print a report, and the job's epoch count (`epochs`, else DEFAULT_EPOCHS)."""
    total = _positive_integer(hyperparameters.get(EPOCHS_HYPERPARAMETER)) or DEFAULT_EPOCHS
    reports = min(total, REPORTED_EPOCHS)
    return [round(total * k / reports) for k in range(1, reports + 1)], total


# -- The container's side ---------------------------------------------------------------------------
def container_report(definitions: Sequence[MetricDefinition], hyperparameters: Mapping[str, str]) -> ContainerReport:
    distance = distance_from_optimum(hyperparameters)
    epochs, total = reported_epochs(hyperparameters)
    columns: list[list[str]] = []  # one per printable definition: its line at each reported epoch
    unprintable = []
    for definition in definitions:
        lines = [line_for(definition.regex, metric_value(definition.name, epoch / total, distance)) for epoch in epochs]
        if all(line is not None for line in lines):
            columns.append([line for line in lines if line is not None])
        else:
            unprintable.append(definition)
    blocks = [[f"Epoch {epoch}/{total}", *(column[index] for column in columns)] for index, epoch in enumerate(epochs)]
    return ContainerReport(blocks, unprintable)


class _Unsupported(Exception):
    """A regex construct the line generator does not write text for."""


def line_for(regex: str, value: float) -> str | None:
    """A line `regex` matches with `value` as its first group, or None if none can be generated."""
    text = str(value)
    try:
        line = _text_of(_REGEX_PARSER.parse(regex).data, text)
        found = re.search(regex, line)
    except (_Unsupported, re.error, RecursionError):
        return None
    if "\n" in line or found is None or found.re.groups < 1 or found.group(1) != text:
        return None
    return line


def _text_of(items: Iterable[tuple[Any, Any]], value: str) -> str:
    return "".join(_text_of_item(str(op), argument, value) for op, argument in items)


def _text_of_item(op: str, argument: Any, value: str) -> str:
    if op == "LITERAL":
        return chr(argument)
    if op == "NOT_LITERAL":
        return "x" if argument != ord("x") else "y"
    if op == "ANY":
        return "x"
    if op == "IN":
        return _member_of(argument)
    if op in ("MAX_REPEAT", "MIN_REPEAT"):
        minimum, _, items = argument
        return _text_of(items, value) * minimum
    if op == "SUBPATTERN":
        group, _, _, items = argument
        return value if group == 1 else _text_of(items, value)
    if op == "BRANCH":
        return _text_of(argument[1][0], value)
    if op == "AT":
        return ""
    raise _Unsupported(op)


_CATEGORY_SAMPLES = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "x",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "x",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": " ",
}
_CANDIDATES = " xa0_-=:;."


def _member_of(items: list[tuple[Any, Any]]) -> str:
    """A character of the class `[...]` (or `[^...]`)."""
    if items and str(items[0][0]) == "NEGATE":
        excluded = items[1:]
        for candidate in _CANDIDATES:
            if not any(_class_item_has(str(op), argument, candidate) for op, argument in excluded):
                return candidate
        raise _Unsupported("NEGATE")
    op, argument = items[0]
    op = str(op)
    if op == "LITERAL":
        return chr(argument)
    if op == "RANGE":
        return chr(argument[0])
    if op == "CATEGORY" and str(argument) in _CATEGORY_SAMPLES:
        return _CATEGORY_SAMPLES[str(argument)]
    raise _Unsupported(op)


def _class_item_has(op: str, argument: Any, character: str) -> bool:
    if op == "LITERAL":
        return chr(argument) == character
    if op == "RANGE":
        return bool(argument[0] <= ord(character) <= argument[1])
    if op == "CATEGORY" and str(argument) in _CATEGORY_SAMPLES:
        return re.fullmatch(_category_class(str(argument)), character) is not None
    return True  # unknown: assume it excludes the candidate


def _category_class(category: str) -> str:
    return {
        "CATEGORY_DIGIT": r"\d",
        "CATEGORY_NOT_DIGIT": r"\D",
        "CATEGORY_SPACE": r"\s",
        "CATEGORY_NOT_SPACE": r"\S",
        "CATEGORY_WORD": r"\w",
        "CATEGORY_NOT_WORD": r"\W",
    }[category]


# -- SageMaker's side -------------------------------------------------------------------------------
def extract_metrics(definitions: Sequence[MetricDefinition], line: str) -> list[tuple[str, float]]:
    """The (metric, value) pairs SageMaker takes from one printed line: each definition's regex
    searched in the line, its first group parsed as a float; no match, no group or not a number: none."""
    values = []
    for definition in definitions:
        try:
            found = re.search(definition.regex, line)
        except re.error:
            continue
        if found is None or found.re.groups < 1 or found.group(1) is None:
            continue
        try:
            value = float(found.group(1))
        except ValueError:
            continue
        if math.isfinite(value):  # CloudWatch takes no NaN or infinity
            values.append((definition.name, value))
    return values


def _positive_number(raw: object) -> float | None:
    try:
        value = float(str(raw))
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _positive_integer(raw: object) -> int | None:
    try:
        value = int(str(raw))
    except ValueError:
        return None
    return value if value > 0 else None


__all__ = [
    "ContainerReport",
    "InvalidOptimum",
    "MetricDefinition",
    "container_report",
    "distance_from_optimum",
    "extract_metrics",
    "line_for",
    "metric_value",
    "optimum_of",
    "reported_epochs",
]
