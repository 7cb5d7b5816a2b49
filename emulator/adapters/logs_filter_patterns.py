"""CloudWatch Logs filter patterns, as FilterLogEvents and metric filters apply them to a log event.

Supported, as CloudWatch Logs defines them (case-sensitive):
- the empty pattern: every event;
- terms: `ERROR Exception` (every term), `"Task timed out"` (a phrase), `?ERROR ?WARN` (any of the
  ?-terms), `ERROR -retrying` (none of the --terms), `%regular expression%`;
- JSON patterns on events that are JSON objects: `{ $.status = "Failed" }`, with `=` and `!=` on
  strings (`*` as a wildcard) and numbers, `<`, `<=`, `>`, `>=` on numbers, `IS NULL`, `IS TRUE`,
  `IS FALSE`, `EXISTS`, `NOT EXISTS`, `%regex%` values, `&&`, `||` and parentheses; selectors
  `$.a.b`, `$.a[0]`.
Space-delimited patterns (`[ip, user, ...]`) are not: compile() refuses them (UnsupportedPattern),
so that a filter is never silently taken for "everything".

Standard library only."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

Matcher = Callable[[str], bool]
_MISSING = object()


class InvalidPattern(ValueError):
    """The pattern is not valid filter pattern syntax."""


class UnsupportedPattern(ValueError):
    """Valid on AWS, not evaluated by the emulator."""


def compile_pattern(pattern: str | None) -> Matcher:
    """A function telling whether a log event's message matches the filter pattern."""
    text = (pattern or "").strip()
    if not text:
        return lambda message: True
    if text.startswith("{"):
        if not text.endswith("}"):
            raise InvalidPattern(f"Invalid character(s) in term '{text}': a JSON pattern ends with '}}'")
        return _json_matcher(_JsonParser(text[1:-1]).parse())
    if text.startswith("["):
        raise UnsupportedPattern("space-delimited filter patterns ([field, ...]) are not evaluated by the emulator")
    return _term_matcher(text)


# -- terms -------------------------------------------------------------------------------------------
_TERM = re.compile(r'\s*([?-]?)("(?:[^"\\]|\\.)*"|%[^%]*%|\S+)')


def _term_matcher(text: str) -> Matcher:
    required: list[Matcher] = []
    optional: list[Matcher] = []
    excluded: list[Matcher] = []
    for prefix, term in _TERM.findall(text):
        found = _term(term)
        {"": required, "?": optional, "-": excluded}[prefix].append(found)

    def matches(message: str) -> bool:
        return (
            all(term(message) for term in required)
            and (not optional or any(term(message) for term in optional))
            and not any(term(message) for term in excluded)
        )

    return matches


def _term(term: str) -> Matcher:
    if len(term) >= 2 and term.startswith("%") and term.endswith("%"):
        expression = re.compile(term[1:-1])
        return lambda message: expression.search(message) is not None
    if len(term) >= 2 and term.startswith('"') and term.endswith('"'):
        term = json.loads(term)
    return lambda message: term in message


# -- JSON patterns -----------------------------------------------------------------------------------
_JSON_TOKEN = re.compile(
    r"""\s*(?:
        (?P<selector>\$(?:\.[A-Za-z0-9_\-@]+|\[\d+\])*)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<regex>%[^%]*%)
      | (?P<operator>&&|\|\||!=|<=|>=|=|<|>|\(|\))
      | (?P<word>[^\s()=!<>&|"]+)
    )""",
    re.VERBOSE,
)
Condition = Callable[[Any], bool]


class _JsonParser:
    """A recursive-descent parser of the inside of `{ ... }` into a condition on the parsed event."""

    def __init__(self, text: str) -> None:
        self._tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text.rstrip()):
            token = _JSON_TOKEN.match(text, position)
            if token is None or token.end() == position:
                raise InvalidPattern(f"Invalid character(s) in term '{text[position:].strip()}'")
            kind = token.lastgroup or ""
            self._tokens.append((kind, token.group(kind)))
            position = token.end()
        self._next = 0

    def parse(self) -> Condition:
        condition = self._disjunction()
        if self._next != len(self._tokens):
            raise InvalidPattern(f"Unexpected '{self._tokens[self._next][1]}' in the JSON pattern")
        return condition

    def _peek(self) -> tuple[str, str]:
        return self._tokens[self._next] if self._next < len(self._tokens) else ("end", "")

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token[0] == "end":
            raise InvalidPattern("The JSON pattern ends too early")
        self._next += 1
        return token

    def _disjunction(self) -> Condition:
        alternatives = [self._conjunction()]
        while self._peek() == ("operator", "||"):
            self._take()
            alternatives.append(self._conjunction())
        return alternatives[0] if len(alternatives) == 1 else lambda event: any(c(event) for c in alternatives)

    def _conjunction(self) -> Condition:
        parts = [self._primary()]
        while self._peek() == ("operator", "&&"):
            self._take()
            parts.append(self._primary())
        return parts[0] if len(parts) == 1 else lambda event: all(c(event) for c in parts)

    def _primary(self) -> Condition:
        if self._peek() == ("operator", "("):
            self._take()
            inner = self._disjunction()
            if self._take() != ("operator", ")"):
                raise InvalidPattern("A '(' in the JSON pattern is not closed")
            return inner
        kind, selector = self._take()
        if kind != "selector":
            raise InvalidPattern(f"Expected a selector such as $.field, not '{selector}'")
        return self._comparison(_path(selector))

    def _comparison(self, path: list[str | int]) -> Condition:
        kind, operator = self._take()
        if kind == "word" and operator.upper() in ("IS", "NOT", "EXISTS"):
            return self._keyword_test(path, operator.upper())
        if kind != "operator" or operator in ("(", ")", "&&", "||"):
            raise InvalidPattern(f"Expected a comparison after the selector, not '{operator}'")
        value_kind, value = self._take()
        test = _value_test(operator, value_kind, value)
        return lambda event: (found := _select(event, path)) is not _MISSING and test(found)

    def _keyword_test(self, path: list[str | int], keyword: str) -> Condition:
        if keyword == "EXISTS":
            return lambda event: _select(event, path) is not _MISSING
        if keyword == "NOT":
            if self._take()[1].upper() != "EXISTS":
                raise InvalidPattern("Expected EXISTS after NOT")
            return lambda event: _select(event, path) is _MISSING
        expected = {"NULL": None, "TRUE": True, "FALSE": False}.get(self._take()[1].upper(), _MISSING)
        if expected is _MISSING:
            raise InvalidPattern("Expected NULL, TRUE or FALSE after IS")
        return lambda event: (found := _select(event, path)) is not _MISSING and found is expected


def _path(selector: str) -> list[str | int]:
    return [int(index) if index else name for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", selector)]


def _select(event: Any, path: list[str | int]) -> Any:
    for step in path:
        in_list = isinstance(step, int) and isinstance(event, list) and step < len(event)
        in_object = isinstance(step, str) and isinstance(event, dict) and step in event
        if not (in_list or in_object):
            return _MISSING
        event = event[step]
    return event


_NUMERIC = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _value_test(operator: str, kind: str, value: str) -> Condition:
    if kind == "regex":
        expression = re.compile(value[1:-1])
        return lambda found: isinstance(found, str) and (expression.search(found) is not None) == (operator == "=")
    if kind == "word" and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", value):
        number, compare = float(value), _NUMERIC[operator]
        return lambda found: isinstance(found, int | float) and not isinstance(found, bool) and compare(found, number)
    if operator not in ("=", "!="):
        raise InvalidPattern(f"'{operator}' compares numbers, not the string {value}")
    text = json.loads(value) if kind == "string" else value
    wildcard = re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)
    return lambda found: isinstance(found, str) and (wildcard.fullmatch(found) is not None) == (operator == "=")


def _json_matcher(condition: Condition) -> Matcher:
    def matches(message: str) -> bool:
        try:
            event = json.loads(message)
        except ValueError:
            return False
        return isinstance(event, dict) and condition(event)

    return matches
