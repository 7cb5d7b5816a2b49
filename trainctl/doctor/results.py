"""A check's result and how the doctor prints it: one line per check that passed or was skipped, one
line per problem of a check that failed, each saying what to do; then a summary.

    ok   stack mltrain-dev-training: UPDATE_COMPLETE
    FAIL rule mltrain-dev-training-TriggersRequestFileRule-1A2B: disabled; enable it: aws events enable-rule ...
    skip default image: needs the stacks' outputs
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from trainctl.reporting import one_line


class Outcome(str, Enum):
    OK = "ok"
    FAILED = "FAIL"
    SKIPPED = "skip"


@dataclass(frozen=True)
class Problem:
    what: str  # what is wrong
    fix: str  # what to do about it


@dataclass(frozen=True)
class CheckResult:
    subject: str  # what was checked
    detail: str = ""  # what was found, when it passed
    problems: tuple[Problem, ...] = ()
    skipped: str | None = None  # why it could not run
    seconds: float | None = field(default=None, compare=False)  # how long it took, when that is worth saying

    @property
    def outcome(self) -> Outcome:
        if self.skipped is not None:
            return Outcome.SKIPPED
        return Outcome.FAILED if self.problems else Outcome.OK

    def lines(self) -> list[str]:
        if self.outcome is Outcome.SKIPPED:
            return [f"{Outcome.SKIPPED.value:<4} {self.subject}: {one_line(self.skipped or '')}"]
        if self.outcome is Outcome.OK:
            return [f"{Outcome.OK.value:<4} {self.subject}" + (f": {one_line(self.detail)}" if self.detail else "")]
        return [
            f"{Outcome.FAILED.value:<4} {self.subject}: {one_line(problem.what)}; {one_line(problem.fix)}"
            for problem in self.problems
        ]

    def to_json(self) -> dict[str, object]:
        return {
            "check": self.subject,
            "outcome": self.outcome.name.lower(),
            "detail": self.detail or None,
            "problems": [{"problem": problem.what, "fix": problem.fix} for problem in self.problems],
            "skipped": self.skipped,
            "seconds": self.seconds,
        }


def failed(subject: str, what: str, fix: str) -> CheckResult:
    return CheckResult(subject, problems=(Problem(what, fix),))


def summary(results: Sequence[CheckResult]) -> str:
    counts = {outcome: sum(result.outcome is outcome for result in results) for outcome in Outcome}
    if counts[Outcome.OK] == len(results):
        return f"all {len(results)} checks passed"
    parts = [f"{counts[Outcome.FAILED]} failed"] + (
        [f"{counts[Outcome.SKIPPED]} skipped"] if counts[Outcome.SKIPPED] else []
    )
    return f"{', '.join(parts)} of {len(results)} checks"


def all_passed(results: Sequence[CheckResult]) -> bool:
    return bool(results) and all(result.outcome is Outcome.OK for result in results)
