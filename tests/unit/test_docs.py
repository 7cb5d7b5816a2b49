"""The docs against the code: each fact a page states that the code defines is read from both and compared,
so that changing one without the other fails.

- docs/configuration.md: the settings and their defaults = cdk.json's context = PlatformSettings' fields;
- docs/input-reference.md: the key tables = the request builder's Estimator and fit() keys, and for tuning
  requests its tuner keys, tuning fit() keys and the Estimator keys it refuses;
- docs/workflow.md: the states, the Fail states and their errors, the retriers and the fresh-name retries =
  the state machine definition, built as the stack builds it;
- docs/emulator.md: the adapter table = the adapters `emulator.adapters.install` applies;
- docs/trainctl.md: the command table = the CLI's subcommands (and the options it shows exist);
- docs/development.md: the make targets = the Makefile's;
- every relative link of README.md and docs/*.md reaches an existing file (and heading), and no file of the
  repository refers to documents outside it.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import subprocess
import textwrap
from dataclasses import fields
from pathlib import Path

import pytest

# The code the docs describe, by public name. Modules being renamed or split: adapt these lines only.
from emulator.adapters import install as install_emulator_adapters
from stacks.settings import PlatformSettings
from stacks.training_definition import training_definition
from trainctl.cli import build_parser as build_trainctl_parser
from training_request.builder import ESTIMATOR_KEYS, FIT_KEYS
from training_request.tuning import NOT_FOR_TUNING, TUNER_KEYS, TUNING_FIT_KEYS


def workflow_definition(max_capacity_retries: int) -> dict:
    """The state machine definition as the training stack builds it, with placeholder function ARNs."""
    return training_definition(
        prepare_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:prepare",
        max_capacity_retries=max_capacity_retries,
        write_result_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:write-result",
        partition="aws",
        job_poll_seconds=60,
    )


ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CDK_CONTEXT = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
CODE_SPAN = re.compile(r"`([^`]+)`")
FENCE = re.compile(r"^(```|~~~)")


# -- reading markdown ------------------------------------------------------------------------------------------
def prose_lines(path: Path) -> list[str]:
    """The page's lines with fenced code blocks blanked out (a `#` or `|` in code is neither heading nor table)."""
    lines, in_fence = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            in_fence = not in_fence
            lines.append("")
        else:
            lines.append("" if in_fence else line)
    return lines


def heading_level(line: str) -> int:
    match = re.match(r"^(#{1,6}) ", line)
    return len(match.group(1)) if match else 0


def cells(row: str) -> list[str]:
    """A table row's cells; `\\|` is a pipe inside a cell."""
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def table(path: Path, heading: str, first_header: str) -> list[list[str]]:
    """The body rows of the table whose first header cell is `first_header`, in the section under `heading`."""
    lines = prose_lines(path)
    assert heading in lines, f"{path.name} has no heading {heading!r}"
    start = lines.index(heading) + 1
    level = heading_level(heading)
    end = next((i for i in range(start, len(lines)) if 0 < heading_level(lines[i]) <= level), len(lines))
    section = lines[start:end]
    for i, line in enumerate(section):
        if line.startswith("|") and cells(line)[0] == first_header:
            rows = []
            for row in section[i + 2 :]:  # after the header and its --- separator
                if not row.startswith("|"):
                    break
                rows.append(cells(row))
            return rows
    raise AssertionError(f"{path.name}, {heading!r}: no table whose first column is {first_header!r}")


def code_spans(text: str) -> list[str]:
    return CODE_SPAN.findall(text)


def single_code(cell: str) -> str:
    """The one code span a cell consists of (a name)."""
    assert re.fullmatch(r"`[^`]+`", cell), f"expected one `name`, got {cell!r}"
    return cell[1:-1]


def is_expression(value: object) -> bool:
    """A JSONata value, worked out when the execution runs."""
    return isinstance(value, str) and value.startswith("{%")


# -- configuration.md -------------------------------------------------------------------------------------------
def documented_default(cell: str) -> object:
    """The Default column: `empty` is the empty string, a code span is a JSON value or plain text."""
    if cell == "empty":
        return ""
    text = single_code(cell)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def test_configuration_lists_every_setting_with_its_cdk_json_default() -> None:
    page = DOCS / "configuration.md"
    rows = table(page, "## Settings", "Setting")
    documented = {single_code(setting): documented_default(default) for setting, default, _meaning in rows}
    settings = [field.name for field in fields(PlatformSettings)]

    assert len(documented) == len(rows), "a setting is listed twice"
    assert sorted(documented) == sorted(settings)
    assert documented == {name: CDK_CONTEXT[name] for name in settings}
    # The rest of the context is the CDK's own, and the page says so.
    text = page.read_text(encoding="utf-8")
    for key in set(CDK_CONTEXT) - set(settings):
        named = "`@aws-cdk/`" if key.startswith("@aws-cdk/") else f"`{key}`"
        assert named in text, f"cdk.json's context key {key!r} is neither a setting nor explained"


# -- input-reference.md -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("heading", "keys"),
    [("## Estimator(...) keys", ESTIMATOR_KEYS), ("## fit() keys", FIT_KEYS)],
    ids=["estimator", "fit"],
)
def test_input_reference_tables_hold_exactly_the_keys_the_builder_accepts(heading: str, keys: tuple[str, ...]) -> None:
    documented = [single_code(row[0]) for row in table(DOCS / "input-reference.md", heading, "Key")]

    assert sorted(documented) == sorted(keys)


@pytest.mark.parametrize(
    ("heading", "first_header", "keys"),
    [
        ("### Tuner keys", "Tuner key", TUNER_KEYS),
        ("### fit() keys of a tuning request", "Tuning fit() key", TUNING_FIT_KEYS),
        ("### Estimator keys a tuning request refuses", "Estimator key refused", tuple(NOT_FOR_TUNING)),
    ],
    ids=["tuner", "tuning-fit", "refused"],
)
def test_input_reference_tuning_tables_hold_exactly_the_builders_keys(
    heading: str, first_header: str, keys: tuple[str, ...]
) -> None:
    documented = [single_code(row[0]) for row in table(DOCS / "input-reference.md", heading, first_header)]

    assert sorted(documented) == sorted(keys)


# -- workflow.md ------------------------------------------------------------------------------------------------
WORKFLOW = DOCS / "workflow.md"
DEFAULT_CAPACITY_RETRIES = int(CDK_CONTEXT["max_capacity_retries"])


def test_workflow_names_every_state_of_the_definition_with_its_type() -> None:
    rows = table(WORKFLOW, "### States", "State")
    documented = {single_code(state): kind for state, kind, _what in rows}
    states = workflow_definition(DEFAULT_CAPACITY_RETRIES)["States"]

    assert len(documented) == len(rows), "a state is listed twice"
    assert documented == {name: state["Type"] for name, state in states.items()}


def test_workflow_lists_every_fail_state_with_its_error() -> None:
    rows = table(WORKFLOW, "## When it fails", "Fail state")
    documented = {single_code(state): error for state, error, *_ in rows}
    fails = {
        name: state
        for name, state in workflow_definition(DEFAULT_CAPACITY_RETRIES)["States"].items()
        if state["Type"] == "Fail"
    }

    assert sorted(documented) == sorted(fails)
    for name, state in fails.items():
        if is_expression(state["Error"]):  # the failed task's own error, passed on: the page must not name one
            assert not re.fullmatch(r"`[^`]+`", documented[name]), f"{name} passes the task's error on"
        else:
            assert documented[name] == f"`{state['Error']}`", name


RETRIER_DEFAULTS = {
    "IntervalSeconds": 1,
    "MaxAttempts": 3,
    "BackoffRate": 2.0,
    "MaxDelaySeconds": None,
    "JitterStrategy": "NONE",
}


def seconds(cell: str) -> int | None:
    if cell == "none":
        return None
    match = re.fullmatch(r"(\d+) s", cell)
    assert match, f"expected seconds such as '5 s', got {cell!r}"
    return int(match.group(1))


def test_workflow_retry_table_is_the_definitions_retriers() -> None:
    documented = {}
    for errors, states, attempts, interval, backoff, max_delay, jitter in table(WORKFLOW, "## Retries", "Errors"):
        documented[tuple(sorted(code_spans(errors)))] = {
            "states": sorted(code_spans(states)),
            "MaxAttempts": int(attempts),
            "IntervalSeconds": seconds(interval),
            "BackoffRate": float(backoff),
            "MaxDelaySeconds": seconds(max_delay),
            "JitterStrategy": jitter.upper(),
        }
    defined: dict[tuple[str, ...], dict] = {}
    for name, state in workflow_definition(DEFAULT_CAPACITY_RETRIES)["States"].items():
        for retrier in state.get("Retry", []):
            settings = {key: retrier.get(key, default) for key, default in RETRIER_DEFAULTS.items()}
            entry = defined.setdefault(tuple(sorted(retrier["ErrorEquals"])), {"states": [], **settings})
            assert {k: entry[k] for k in settings} == settings, f"{name} retries {retrier['ErrorEquals']} differently"
            entry["states"] = sorted([*entry["states"], name])

    assert documented == defined


def retry_loops(definition: dict) -> dict[str, tuple[str, int]]:
    """For each Pass state that loops back to Prepare: the counter it increments and the bound the Choice
    leading to it puts on that counter (`$counter < bound`, the bound a number or a variable Begin assigns)."""
    states = definition["States"]
    loops = {}
    for name, state in states.items():
        if state["Type"] != "Pass" or state.get("Next") != "Prepare" or name == "Begin":
            continue
        (counter,) = state["Assign"]
        conditions = [
            choice["Condition"]
            for choice_state in states.values()
            if choice_state["Type"] == "Choice"
            for choice in choice_state["Choices"]
            if choice["Next"] == name
        ]
        begin = states["Begin"].get("Assign", {})
        bounds = {
            int(begin[b[1:]]) if b.startswith("$") else int(b)  # a literal, or a bound Begin assigns
            for condition in conditions
            for b in re.findall(rf"\${counter} < (\$\w+|\d+)", condition)
        }
        assert len(bounds) == 1, f"{name}: expected one bound on ${counter}, found {bounds} in {conditions}"
        loops[name] = (counter, bounds.pop())
    return loops


def member_names(members: object) -> set[str]:
    """Every member named in a nested list of members (training_request.create_route's form)."""
    if not isinstance(members, dict):
        return set()
    return {name for key, nested in members.items() for name in {key} | member_names(nested)}


def test_workflow_lists_the_members_the_optimised_route_takes() -> None:
    from training_request.create_route import OPTIMISED_INTEGRATION_MEMBERS

    rows = table(WORKFLOW, "## Two ways to create the job", "Member")
    documented = {single_code(member): taken for member, taken, _why in rows}

    assert list(documented) == list(OPTIMISED_INTEGRATION_MEMBERS)
    for member, nested in OPTIMISED_INTEGRATION_MEMBERS.items():
        expected = "all" if nested is True else member_names(nested)
        assert (documented[member] if nested is True else set(code_spans(documented[member]))) == expected, member


def test_workflow_fresh_name_retries_are_the_definitions_bounds() -> None:
    documented = {single_code(state): up_to for _retry, state, up_to in table(WORKFLOW, "## Retries", "Retry")}
    loops = retry_loops(workflow_definition(DEFAULT_CAPACITY_RETRIES))
    other_setting = retry_loops(workflow_definition(DEFAULT_CAPACITY_RETRIES + 3))

    assert sorted(documented) == sorted(loops)
    for state, up_to in documented.items():
        _counter, bound = loops[state]
        if other_setting[state][1] != bound:  # bounded by the max_capacity_retries setting
            assert other_setting[state][1] == DEFAULT_CAPACITY_RETRIES + 3
            assert "`max_capacity_retries`" in up_to and f"default {DEFAULT_CAPACITY_RETRIES})" in up_to, up_to
        else:
            assert re.fullmatch(rf"{bound} times", up_to), (
                f"{state} retries up to {bound} times; the page says {up_to!r}"
            )


# -- emulator.md ------------------------------------------------------------------------------------------------
def adapters_installed() -> list[str]:
    """The functions `install` calls, one statement each, read from its source."""
    function = ast.parse(textwrap.dedent(inspect.getsource(install_emulator_adapters))).body[0]
    assert isinstance(function, ast.FunctionDef)
    names = []
    for statement in function.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value.func
            names.append(
                call.id if isinstance(call, ast.Name) else call.attr if isinstance(call, ast.Attribute) else "?"
            )
    return names


def test_emulator_page_lists_exactly_the_adapters_install_applies() -> None:
    documented = [single_code(row[0]) for row in table(DOCS / "emulator.md", "## What the adapters fix", "Adapter")]
    installed = adapters_installed()

    assert len(set(installed)) == len(installed) and installed
    assert sorted(documented) == sorted(installed)


# -- trainctl.md ------------------------------------------------------------------------------------------------
def trainctl_commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_trainctl_parser()
    (subcommands,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(subcommands.choices)


def test_trainctl_page_lists_every_command_with_options_it_has() -> None:
    rows = table(DOCS / "trainctl.md", "# trainctl: the command line", "Command")
    commands = trainctl_commands()
    documented = {}
    for synopsis, _what in rows:
        (usage,) = code_spans(synopsis)
        documented[usage.split()[0]] = re.findall(r"--[a-z][a-z-]*", usage)

    assert sorted(documented) == sorted(commands)
    for command, options in documented.items():
        known = {option for action in commands[command]._actions for option in action.option_strings}
        assert set(options) <= known, f"trainctl {command} has no {sorted(set(options) - known)}"


# -- development.md ---------------------------------------------------------------------------------------------
def test_development_page_lists_every_make_target() -> None:
    documented = [
        single_code(row[0]).removeprefix("make ") for row in table(DOCS / "development.md", "## Make targets", "Target")
    ]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (phony,) = re.findall(r"^\.PHONY:(.*)$", makefile, flags=re.MULTILINE)

    assert sorted(documented) == sorted(phony.split())


# -- links ------------------------------------------------------------------------------------------------------
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lowercase, punctuation dropped, spaces as '-', repeats numbered."""
    seen: dict[str, int] = {}
    result = set()
    for line in prose_lines(path):
        if heading_level(line):
            slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
            result.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return result


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_heading_in_the_repository(page: Path) -> None:
    broken = []
    prose = CODE_SPAN.sub("", "\n".join(prose_lines(page)))  # `[a](b)` in code is not a link
    for target in LINK.findall(prose):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not a file of the repository
            continue
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        if ROOT not in (destination, *destination.parents) or not destination.exists():
            broken.append(f"{target}: no such file in the repository")
        elif anchor and (destination.suffix != ".md" or anchor not in anchors(destination)):
            broken.append(f"{target}: no heading #{anchor} in {destination.relative_to(ROOT)}")

    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_anchor_check_sees_the_headings_github_makes() -> None:
    page = DOCS / "trainctl.md"
    assert {"--json", "check-an-input-offline-render-and-validate", "from-a-notebook"} <= anchors(page)


# -- references outside the repository --------------------------------------------------------------------------
# Spelt in pieces so that this file does not match itself.
OUTSIDE_REFERENCE = re.compile(r"\bS" r"PEC\b|\b[Ii]ssues? #?\d+")


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.splitlines()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def test_no_file_refers_to_documents_outside_the_repository() -> None:
    found = []
    for path in repository_files():
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # binary
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_REFERENCE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")

    assert not found, "references to documents outside the repository:\n" + "\n".join(found)


def test_deploy_states_the_botocore_the_functions_need() -> None:
    from botocore_features import (
        MIN_BOTOCORE_VERSION,
        S3_CONDITIONAL_WRITES_VERSION,
        SAGEMAKER_MODEL_VERSION,
        version_text,
    )

    rows = table(DOCS / "deploy.md", "## The Lambda runtime's botocore", "Feature")
    assert sorted(needs for _feature, needs, _older in rows) == sorted(
        version_text(v) for v in (SAGEMAKER_MODEL_VERSION, S3_CONDITIONAL_WRITES_VERSION)
    )
    assert f"botocore\n**{version_text(MIN_BOTOCORE_VERSION)}** or newer" in (DOCS / "deploy.md").read_text()


def test_workflow_lists_prepares_output_fields_and_request_kinds() -> None:
    from platform_contract import JOB_NAME_FIELD, REQUEST_KIND_FIELD, TUNING_JOB_NAME_FIELD, RequestKind

    rows = table(WORKFLOW, "### Prepare's output", "Field")
    documented = {single_code(row[0]) for row in rows if "," not in row[0]}
    assert {REQUEST_KIND_FIELD, JOB_NAME_FIELD, TUNING_JOB_NAME_FIELD} <= documented
    kinds = next(row[2] for row in rows if row[0] == f"`{REQUEST_KIND_FIELD}`")
    assert set(re.findall(r"`([a-z]+)`", kinds)) == {kind.value for kind in RequestKind}


def test_workflow_lists_every_field_of_a_tuning_request_s_output() -> None:
    from platform_contract import BestTrainingJobField, TrainingJobCountField, TuningOutputField

    rows = table(WORKFLOW, "## Tuning requests", "Field")
    assert [single_code(row[0]) for row in rows] == [field.value for field in TuningOutputField]
    described = {single_code(row[0]): row[1] for row in rows}
    best = set(code_spans(described[TuningOutputField.BEST_TRAINING_JOB.value]))
    assert {field.value for field in BestTrainingJobField} <= best
    counts = set(code_spans(described[TuningOutputField.TRAINING_JOB_COUNTS.value]))
    assert counts == {field.value for field in TrainingJobCountField}
    # The example output has exactly these fields, in this order.
    section = WORKFLOW.read_text().split("## Tuning requests", 1)[1]
    example = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    assert list(example) == [field.value for field in TuningOutputField]
    assert list(example[TuningOutputField.BEST_TRAINING_JOB.value]) == [field.value for field in BestTrainingJobField]
    counted = example[TuningOutputField.TRAINING_JOB_COUNTS.value]
    assert list(counted) == [field.value for field in TrainingJobCountField]
