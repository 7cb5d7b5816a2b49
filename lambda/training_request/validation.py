"""Ranges, lengths, patterns and enums of the CreateTrainingJob API (and of CreateHyperParameterTuningJob, for
tuning requests), read from botocore's own service model.

botocore is imported lazily (on the first check, then cached) so that importing the package stays as
cheap as importing boto3. botocore's ParamValidator checks types, required members and minimums only;
`check` adds the maximums, patterns and enums the service enforces, attributed to the user's field.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from .errors import Problems
from .fields import join, suggestion_hint

if TYPE_CHECKING:  # pragma: no cover
    from botocore.model import Shape

# The service stores these as Java int / long.
_INTEGER_LIMITS = {"integer": 2**31 - 1, "long": 2**63 - 1}
# Java regex classes the service model uses, in Python `re` terms.
_JAVA_CLASSES = {r"\p{L}": r"\w", r"\p{N}": r"\w", r"\p{Z}": r"\s", r"\p{Alnum}": "A-Za-z0-9"}
_MAX_ENUM_LISTED = 12
CREATE_TRAINING_JOB = "CreateTrainingJob"


@lru_cache(maxsize=2)
def operation_input_shape(operation: str) -> Shape:
    """An operation's input shape in the SageMaker model of the botocore release installed with boto3;
    OutdatedBotocore when that release's model lacks members the builder sends (botocore_features)."""
    import botocore.loaders
    import botocore.model

    from botocore_features import SAGEMAKER_MODEL_VERSION, require_botocore

    require_botocore(SAGEMAKER_MODEL_VERSION, f"Checking a request against SageMaker's {operation} model")

    loader = botocore.loaders.Loader()
    model = botocore.model.ServiceModel(loader.load_service_model("sagemaker", "service-2"), "sagemaker")
    return model.operation_model(operation).input_shape


def create_training_job_shape() -> Shape:
    """The CreateTrainingJob input shape of the botocore release installed with boto3."""
    return operation_input_shape(CREATE_TRAINING_JOB)


@cache
def shape_at(path: str, operation: str = CREATE_TRAINING_JOB) -> Shape:
    """The shape of a request member: "ResourceConfig.InstanceType", "InputDataConfig[].ChannelName",
    "HyperParameters{key}", "Environment{value}"."""
    shape: Any = operation_input_shape(operation)
    for part in re.findall(r"[A-Za-z0-9]+|\[\]|\{key\}|\{value\}", path):
        if part == "[]":
            shape = shape.member
        elif part == "{key}":
            shape = shape.key
        elif part == "{value}":
            shape = shape.value
        else:
            shape = shape.members[part]
    return shape


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, python)
    try:
        return re.compile(pattern)
    except re.error:
        return None


def check(problems: Problems, field: str, value: object, path: str, operation: str = CREATE_TRAINING_JOB) -> bool:
    """Checks a value against the API's constraints for the request member at `path`; True if it passes."""
    shape = shape_at(path, operation)
    meta = shape.metadata
    before = len(problems)
    if shape.type_name == "string" and isinstance(value, str):
        _check_string(problems, field, value, shape, path, operation)
    elif shape.type_name in _INTEGER_LIMITS and isinstance(value, int) and not isinstance(value, bool):
        low = meta.get("min")
        high = min(meta.get("max", _INTEGER_LIMITS[shape.type_name]), _INTEGER_LIMITS[shape.type_name])
        if (low is not None and value < low) or value > high:
            bounds = f"between {low} and {high}" if low is not None else f"at most {high}"
            problems.add(field, value, f"must be {bounds} ({operation} {path})")
    elif shape.type_name in ("list", "map") and isinstance(value, (list, dict)):
        noun = "items" if shape.type_name == "list" else "entries"
        if len(value) < meta.get("min", 0):
            problems.add(field, value, f"must have at least {meta['min']} {noun}")
        if "max" in meta and len(value) > meta["max"]:
            problems.add(field, value, f"must have at most {meta['max']} {noun}, not {len(value)}")
    return len(problems) == before


def _check_string(problems: Problems, field: str, value: str, shape: Shape, path: str, operation: str) -> None:
    meta = shape.metadata
    if shape.enum:
        if value not in shape.enum:
            hint = suggestion_hint(value, shape.enum)
            if len(shape.enum) <= _MAX_ENUM_LISTED:
                problems.add(field, value, f"must be one of {', '.join(shape.enum)}{hint}")
            else:
                problems.add(
                    field,
                    value,
                    f"must be one of the {len(shape.enum)} values {operation} allows for {path}{hint}",
                )
        return
    if len(value) < meta.get("min", 0):
        problems.add(field, value, f"must be at least {meta['min']} characters long")
        return
    if "max" in meta and len(value) > meta["max"]:
        problems.add(field, value, f"must be at most {meta['max']} characters long, not {len(value)}")
        return
    pattern = meta.get("pattern")
    compiled = _compiled(pattern) if pattern else None
    if compiled is not None and not compiled.fullmatch(value):
        problems.add(field, value, f"must match the pattern {pattern}")


def check_map(problems: Problems, field: str, values: dict[str, str], path: str) -> None:
    """A string-to-string map against the API model: the map itself, then each key and value."""
    check(problems, field, values, path)
    for key, value in values.items():
        check(problems, join(field, key), key, path + "{key}")
        check(problems, join(field, key), value, path + "{value}")


def check_request(problems: Problems, request: dict[str, object], operation: str = CREATE_TRAINING_JOB) -> None:
    """The final safety net: botocore's own ParamValidator on the built request."""
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(request, operation_input_shape(operation))
    if report.has_errors():
        for line in report.generate_report().splitlines():
            problems.add("request", None, f"rejected by botocore's {operation} model: {line}")
