"""Test-wide environment: the same offline settings the Makefile exports, for `pytest` run directly; and the
summaries tests record, printed at the end of the run."""

import os

import pytest

from emulator.deployment import OFFLINE_CDK_ENVIRONMENT

for _name, _value in {**OFFLINE_CDK_ENVIRONMENT, "SAGEMAKER_SUPPRESS_V2_WARNING": "1"}.items():
    os.environ.setdefault(_name, _value)


# Summaries a test records (record_property("summary", text)), such as the counts of calls the IAM
# evaluator judged, printed at the end of the run, also from xdist's workers.
_SUMMARIES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _SUMMARIES.extend(value for name, value in report.user_properties if name == "summary")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SUMMARIES:
        terminalreporter.section("summaries")
        for text in _SUMMARIES:
            terminalreporter.write_line(text)
