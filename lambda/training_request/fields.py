"""Typed reading of JSON objects: each wrong type, null or unknown key becomes a Problem naming the field."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping

from .errors import Problems

_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


def json_type(value: object) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def text_of(value: object) -> str | None:
    """str(value) as the SDK sends it, or None where Python cannot make the text (huge or deeply nested)."""
    try:
        return str(value)
    except (RecursionError, ValueError):
        return None


def join(path: str, key: str) -> str:
    if not key:  # an empty key still needs a visible field name
        return f'{path}[""]'
    return f"{path}.{key}" if path else key


def closest(word: str, candidates: Collection[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not matches:
        lowered = {candidate.lower(): candidate for candidate in candidates}
        matches = [lowered[word.lower()]] if word.lower() in lowered else []
    return matches[0] if matches else None


def suggestion_hint(word: str, candidates: Collection[str]) -> str:
    """ "; did you mean 'x'?" for the closest candidate, or "" when none is close."""
    suggestion = closest(word, candidates)
    return f"; did you mean {suggestion!r}?" if suggestion else ""


def unknown_key_rule(key: str, known: Collection[str]) -> str:
    return f"unknown key{suggestion_hint(key, known) or '; known keys: ' + ', '.join(sorted(known))}"


class ObjectReader:
    """Reads one JSON object whose keys are known; reports unknown keys (with the closest known key)."""

    def __init__(self, data: Mapping[str, object], path: str, problems: Problems, known: Collection[str]) -> None:
        # A null option is an option not given, as the SDK's keyword arguments default to None: a console
        # user may keep a template's unused keys as null. Values inside maps (hyperparameters, environment,
        # channels) are data, not options, and their readers reject null.
        self.data = {key: value for key, value in data.items() if value is not None}
        self.path = path
        self.problems = problems
        for key in data:
            if key not in known:
                problems.add(join(path, str(key)), data[key], unknown_key_rule(str(key), known))

    def field(self, key: str) -> str:
        return join(self.path, key)

    def present(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, *, required: bool = False) -> object | None:
        """The value if given (not missing, not null); a required key not given is a problem."""
        if key not in self.data:
            if required:
                self.problems.add(self.field(key), None, "is required")
            return None
        return self.data[key]

    def string(self, key: str, *, required: bool = False, non_empty: bool = True) -> str | None:
        value = self.raw(key, required=required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problems.add(self.field(key), value, f"must be a string, not {json_type(value)}")
            return None
        if non_empty and not value:
            self.problems.add(self.field(key), value, "must not be empty")
            return None
        return value

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self.raw(key, required=required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.add(self.field(key), value, f"must be an integer, not {json_type(value)}")
            return None
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.problems.add(self.field(key), value, f"must be true or false, not {json_type(value)}")
            return None
        return value

    def obj(self, key: str) -> Mapping[str, object] | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problems.add(self.field(key), value, f"must be an object, not {json_type(value)}")
            return None
        return value

    def string_list(self, key: str) -> list[str] | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, list):
            self.problems.add(self.field(key), value, f"must be a list of strings, not {json_type(value)}")
            return None
        good = True
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.problems.add(f"{self.field(key)}[{index}]", item, f"must be a string, not {json_type(item)}")
                good = False
        return list(value) if good else None

    def object_list(self, key: str, known: Collection[str], shape: str) -> list[ObjectReader] | None:
        """A reader for each object of a list of objects (`shape` names one in messages, e.g. '{"Name", "Regex"}');
        None when the key is not given or is not a list."""
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, list):
            self.problems.add(self.field(key), value, f"must be a list of {shape} objects, not {json_type(value)}")
            return None
        return object_readers(value, self.field(key), self.problems, known, shape)

    def string_map(self, key: str) -> dict[str, str] | None:
        """An object whose values must be strings (the SDK passes them to the API unchanged); the entries
        that are strings, each other one reported."""
        value = self.obj(key)
        if value is None:
            return None
        strings: dict[str, str] = {}
        for name, item in value.items():
            if isinstance(item, str):
                strings[name] = item
            else:
                self.problems.add(join(self.field(key), name), item, f"must be a string, not {json_type(item)}")
        return strings


def object_readers(
    items: list[object], field: str, problems: Problems, known: Collection[str], shape: str
) -> list[ObjectReader]:
    """A reader for each item of a JSON list that is an object; every other item is reported and skipped."""
    readers: list[ObjectReader] = []
    for index, item in enumerate(items):
        item_field = f"{field}[{index}]"
        if isinstance(item, dict):
            readers.append(ObjectReader(item, item_field, problems, known))
        else:
            problems.add(item_field, item, f"must be a {shape} object, not {json_type(item)}")
    return readers
