"""The one error the builder raises: every problem found in an input, each naming its field."""

from __future__ import annotations

from dataclasses import dataclass

_MAX_SHOWN = 80
# Inputs may carry secrets in these maps (a password in `environment`, a token as a hyperparameter). A problem
# there names the field and the rule but never shows the value: error messages reach the Lambda's log group,
# the execution history and result files.
_SECRET_ROOTS = ("environment", "hyperparameters")
HIDDEN = "<hidden: it may be a secret>"


def shorten(value: object) -> object:
    """The value as a problem shows it: small scalars as they are, anything big cut to a short text."""
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= 64 else f"<integer of {value.bit_length()} bits>"
    if isinstance(value, str):
        return value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 3] + "..."
    text = _safe_repr(value)
    return value if len(text) <= _MAX_SHOWN and _is_small(value) else text[: _MAX_SHOWN - 3] + "..."


def _is_small(value: object, budget: int = 20) -> bool:
    # Containers are shown as they are only when shallow and short, so a Problem never holds a huge tree.
    stack, seen = [value], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > budget:
            return False
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return True


def _safe_repr(value: object) -> str:
    # repr() of deeply nested or huge-integer values raises; a problem message must never do that.
    try:
        return repr(value)[: _MAX_SHOWN * 4]
    except (RecursionError, ValueError):
        return f"<{type(value).__name__} too large to show>"


def _root(field: str) -> str:
    return field.split(".", 1)[0].split("[", 1)[0]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: the field as the user wrote it, the value, and what is allowed."""

    field: str
    value: object
    rule: str

    def __str__(self) -> str:
        if self.value is None:
            got = ""
        elif self.value is HIDDEN:
            got = " (value hidden: it may be a secret)"
        else:
            got = f" (got {_safe_repr(self.value)})"
        return f"{self.field}: {self.rule}{got}"


class InvalidTrainingInput(ValueError):
    """Raised for any input that cannot become a valid CreateTrainingJob request; lists ALL problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class Problems:
    """Collects problems while an input is read, so that all of them are reported together."""

    def __init__(self) -> None:
        self._items: list[Problem] = []

    def add(self, field: str, value: object, rule: str) -> None:
        shown = HIDDEN if value is not None and _root(field) in _SECRET_ROOTS else shorten(value)
        problem = Problem(field, shown, rule)
        if problem not in self._items:
            self._items.append(problem)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def raise_if_any(self) -> None:
        if self._items:
            raise InvalidTrainingInput(self._items)
