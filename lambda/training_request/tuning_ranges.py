"""A tuner's `hyperparameter_ranges`: the SDK's ContinuousParameter, IntegerParameter and CategoricalParameter,
written as JSON objects with a `type`, become the request's ParameterRanges.

The SDK sends every bound and value as str(value) and lists the three kinds in the order Continuous,
Categorical, Integer, each in the order of the tuner's mapping (sagemaker.tuner.HyperparameterTuner.
_prepare_parameter_ranges_for_tuning); a plain Estimator's categorical values are not JSON-encoded (only a
Framework estimator's are).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import Problems
from .fields import ObjectReader, join, json_type, text_of
from .validation import check

TUNING = "CreateHyperParameterTuningJob"
RANGES_PATH = "HyperParameterTuningJobConfig.ParameterRanges"
# The range types in the SDK's order, with the keys each one's JSON form takes.
RANGE_KEYS = {
    "Continuous": ("type", "min_value", "max_value", "scaling_type"),
    "Categorical": ("type", "values"),
    "Integer": ("type", "min_value", "max_value", "scaling_type"),
}
# ParameterRanges: "the sum of the number of hyperparameters for all the ranges can't exceed" 30.
MAX_RANGES = 30


@dataclass
class ParameterRanges:
    """The ranges read, by the request's member name, and the tuned hyperparameters' names."""

    by_member: dict[str, list[dict[str, object]]] = field(
        default_factory=lambda: {f"{kind}ParameterRanges": [] for kind in RANGE_KEYS}
    )
    continuous_names: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [str(item["Name"]) for ranges in self.by_member.values() for item in ranges]


def read_parameter_ranges(value: Mapping[str, object], field_name: str, problems: Problems) -> ParameterRanges:
    """ParameterRanges for the tuner's mapping of hyperparameter name to range object."""
    ranges = ParameterRanges()
    for name, spec in value.items():
        range_field = join(field_name, str(name))
        check(problems, range_field, str(name), RANGES_PATH + ".ContinuousParameterRanges[].Name", TUNING)
        if not isinstance(spec, dict):
            problems.add(range_field, spec, f'must be a range object with a "type", not {json_type(spec)}')
            continue
        kind = spec.get("type")
        if kind not in RANGE_KEYS:
            problems.add(join(range_field, "type"), kind, f"must be one of {', '.join(RANGE_KEYS)}")
            continue
        reader = ObjectReader(spec, range_field, problems, RANGE_KEYS[str(kind)])
        item = _categorical(reader, str(name)) if kind == "Categorical" else _bounded(reader, str(name), str(kind))
        if item is not None:
            ranges.by_member[f"{kind}ParameterRanges"].append(item)
            if kind == "Continuous":
                ranges.continuous_names.append(str(name))
    total = len(ranges.names)
    if total > MAX_RANGES:
        problems.add(field_name, f"{total} ranges", f"must hold at most {MAX_RANGES} ranges in all")
    return ranges


def _bounded(reader: ObjectReader, name: str, kind: str) -> dict[str, object] | None:
    """A Continuous or Integer range: {"Name", "MinValue", "MaxValue", "ScalingType"}."""
    low = _bound(reader, "min_value", kind)
    high = _bound(reader, "max_value", kind)
    scaling = reader.string("scaling_type") or "Auto"
    path = f"{RANGES_PATH}.{kind}ParameterRanges[]"
    check(reader.problems, reader.field("scaling_type"), scaling, path + ".ScalingType", TUNING)
    if low is None or high is None:
        return None
    if low > high:
        reader.problems.add(reader.field("min_value"), low, f"must not be above max_value ({high})")
    _check_scaling(reader, scaling, low, high)
    bounds = {"MinValue": str(low), "MaxValue": str(high)}
    for key, text in bounds.items():
        check(
            reader.problems,
            reader.field("min_value" if key == "MinValue" else "max_value"),
            text,
            path + "." + key,
            TUNING,
        )
    return {"Name": name, **bounds, "ScalingType": scaling}


def _bound(reader: ObjectReader, key: str, kind: str) -> int | float | None:
    value = reader.raw(key, required=True)
    if value is None:
        return None
    wanted = (int,) if kind == "Integer" else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted):
        noun = "an integer" if kind == "Integer" else "a number"
        reader.problems.add(reader.field(key), value, f"must be {noun} for a {kind} range, not {json_type(value)}")
        return None
    return value


def _check_scaling(reader: ObjectReader, scaling: str, low: float, high: float) -> None:
    """ContinuousParameterRange / IntegerParameterRange: Logarithmic scaling works only for ranges whose values
    are all greater than 0; ReverseLogarithmic only for ranges entirely within 0 <= x < 1.0."""
    if scaling == "Logarithmic" and low <= 0:
        reader.problems.add(
            reader.field("min_value"), low, "must be greater than 0 with Logarithmic scaling (the API's rule)"
        )
    if scaling == "ReverseLogarithmic" and not (low >= 0 and high < 1):
        reader.problems.add(
            reader.field("scaling_type"),
            scaling,
            f"works only for ranges entirely within 0 <= x < 1.0 (the range is {low} to {high})",
        )


def _categorical(reader: ObjectReader, name: str) -> dict[str, object] | None:
    """A Categorical range: {"Name", "Values"}; the SDK takes a single value as a list of one."""
    values = reader.raw("values", required=True)
    if values is None:
        return None
    items = values if isinstance(values, list) else [values]
    texts: list[str] = []
    path = f"{RANGES_PATH}.CategoricalParameterRanges[]"
    for index, item in enumerate(items):
        item_field = f"{reader.field('values')}[{index}]"
        text = None if item is None or isinstance(item, (dict, list)) else text_of(item)
        if text is None:
            reader.problems.add(item_field, item, f"must be a string, number or boolean, not {json_type(item)}")
            continue
        check(reader.problems, item_field, text, path + ".Values[]", TUNING)
        texts.append(text)
    check(reader.problems, reader.field("values"), texts, path + ".Values", TUNING)
    return {"Name": name, "Values": texts}
