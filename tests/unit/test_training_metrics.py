"""The emulated job's metrics (emulator/training_metrics.py): the container prints lines its own
MetricDefinitions match, SageMaker's side takes the values back out of any line, and the values
draw curves whose end is best where the hyperparameters are nearest the optimum."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from emulator.training_metrics import (
    InvalidOptimum,
    MetricDefinition,
    container_report,
    distance_from_optimum,
    extract_metrics,
    line_for,
    metric_value,
    reported_epochs,
)

SEED = json.loads((Path(__file__).resolve().parents[2] / "examples" / "gan-seed.json").read_text())
SEED_DEFINITIONS = MetricDefinition.all_of({"MetricDefinitions": SEED["metric_definitions"]})
SEED_HYPERPARAMETERS = {name: str(value) for name, value in SEED["hyperparameters"].items()}


def printed_values(lines: list[str], definitions: list[MetricDefinition]) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for line in lines:
        for name, value in extract_metrics(definitions, line):
            values.setdefault(name, []).append(value)
    return values


def test_the_seed_s_regexes_match_the_lines_printed_for_them_and_give_falling_curves() -> None:
    report = container_report(SEED_DEFINITIONS, SEED_HYPERPARAMETERS)
    assert report.unprintable == []
    assert [block[0] for block in report.epochs] == [f"Epoch {e}/200" for e in (40, 80, 120, 160, 200)]
    lines = [line for block in report.epochs for line in block]
    assert "Loss = " in lines[1] and lines[1].endswith(";")
    values = printed_values(lines, SEED_DEFINITIONS)
    assert set(values) == {"loss", "ganloss", "discloss", "disc-combined"}
    for name, curve in values.items():
        assert len(curve) == 5, name  # one value per reported epoch: no line matches another metric's regex
        assert curve == sorted(curve, reverse=True) and curve[0] > curve[-1] > 0, (name, curve)


@pytest.mark.parametrize(
    "regex",
    [
        r"Loss = (.*?);",
        r"val_acc: ([0-9\.]+)",
        r"train:loss=(\d+\.\d+)",
        r"loss:\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)",
        r"^\[[^\]]*\] f1=(\S+)$",
        r"(?:train|valid)_loss (\S+?),",
        r"(?i)EPOCH_LOSS\s+=\s+(\d*\.\d+)\b",
        r"(?P<value>[0-9.]+) = dice",
    ],
)
def test_a_line_is_generated_whose_first_group_is_exactly_the_value(regex: str) -> None:
    line = line_for(regex, 0.4213)
    assert line is not None
    found = re.search(regex, line)
    assert found is not None and found.group(1) == "0.4213"
    assert extract_metrics([MetricDefinition("m", regex)], line) == [("m", 0.4213)]


@pytest.mark.parametrize(
    "regex",
    [
        r"(?<=x)loss=([0-9.]+)",  # look-behind
        r"(a)b\1 loss=([0-9.]+)",  # a back-reference, and the value is not the first group
        r"loss=(\d+);",  # no float fits the group: a search would take "0" for the value
        r"loss=[0-9.]+;",  # no group
        r"loss=(.*?)",  # an empty lazy group at the end: always ""
    ],
)
def test_no_line_is_printed_for_a_regex_no_matching_line_can_be_generated_for(regex: str) -> None:
    assert line_for(regex, 0.4213) is None
    unprintable = MetricDefinition("odd", regex)
    report = container_report([unprintable, *SEED_DEFINITIONS], SEED_HYPERPARAMETERS)
    assert report.unprintable == [unprintable]
    lines = [line for block in report.epochs for line in block]
    assert set(printed_values(lines, SEED_DEFINITIONS)) == {d.name for d in SEED_DEFINITIONS}


def test_sagemaker_s_side_takes_the_first_group_of_every_matching_regex_and_skips_non_numbers() -> None:
    definitions = [
        MetricDefinition("loss", r"loss=(.*?);"),
        MetricDefinition("gan", r"GAN_loss=(.*?);"),
        MetricDefinition("pair", r"pair=(\S+)/(\S+)"),
        MetricDefinition("broken", r"loss=(("),  # an invalid regex matches nothing
        MetricDefinition("plain", r"loss"),  # no group: no value
    ]
    # One line matched by two regexes gives both (as SageMaker does; the seed's regexes avoid it).
    assert extract_metrics(definitions, "epoch 3 GAN_loss=0.31;") == [("loss", 0.31), ("gan", 0.31)]
    assert extract_metrics(definitions, "pair=1.5/2.5") == [("pair", 1.5)]
    assert extract_metrics(definitions, "loss=abc; GAN_loss=nan;") == []
    assert extract_metrics(definitions, "loss=1e-3;") == [("loss", 0.001)]
    assert extract_metrics([], "loss=1;") == []


def test_a_job_without_metric_definitions_prints_progress_lines_only() -> None:
    report = container_report([], {"epochs": "3"})
    assert report.epochs == [["Epoch 1/3"], ["Epoch 2/3"], ["Epoch 3/3"]]


def test_reported_epochs_spread_over_the_job_s_epochs() -> None:
    assert reported_epochs({"epochs": "200"}) == ([40, 80, 120, 160, 200], 200)
    assert reported_epochs({"epochs": "3"}) == ([1, 2, 3], 3)
    assert reported_epochs({"epochs": "many"}) == ([1, 2, 3, 4, 5], 5)
    assert reported_epochs({}) == ([1, 2, 3, 4, 5], 5)


def final_value(metric: str, **hyperparameters: str) -> float:
    return metric_value(metric, 1.0, distance_from_optimum(hyperparameters))


def test_the_best_final_values_belong_to_the_hyperparameters_nearest_the_optimum() -> None:
    rates = ["0.1", "0.01", "0.001", "0.0001", "0.00001"]
    losses = [final_value("validation:loss", learning_rate=rate) for rate in rates]
    accuracies = [final_value("validation:accuracy", learning_rate=rate) for rate in rates]
    assert min(losses) == losses[2] and max(accuracies) == accuracies[2]  # learning_rate=0.001 is the optimum
    assert losses[0] > losses[1] > losses[2] < losses[3] < losses[4]
    assert accuracies[0] < accuracies[1] < accuracies[2] > accuracies[3] > accuracies[4]
    assert accuracies[0] > 0 and accuracies[2] < 1
    # emulator_optimum moves the optimum, over any hyperparameters.
    optimum = "learning_rate=0.01,batch_size=32"
    assert distance_from_optimum({"learning_rate": "0.01", "batch_size": "32", "emulator_optimum": optimum}) == 0
    assert final_value("loss", learning_rate="0.01", batch_size="32", emulator_optimum=optimum) < final_value(
        "loss", learning_rate="0.01", batch_size="128", emulator_optimum=optimum
    )


def test_values_are_a_function_of_the_hyperparameters_and_the_epoch_only() -> None:
    first = container_report(SEED_DEFINITIONS, {**SEED_HYPERPARAMETERS, "run": "a"})
    again = container_report(SEED_DEFINITIONS, {**SEED_HYPERPARAMETERS, "run": "b"})
    assert first == again
    losses = printed_values([line for block in first.epochs for line in block], SEED_DEFINITIONS)
    assert len({curve[-1] for curve in losses.values()}) == 4  # each loss draws its own curve


@pytest.mark.parametrize("optimum", ["", "learning_rate", "learning_rate=-1", "learning_rate=0.01,=3"])
def test_an_optimum_that_is_not_name_equals_positive_number_is_refused(optimum: str) -> None:
    with pytest.raises(InvalidOptimum):
        distance_from_optimum({"emulator_optimum": optimum})


def test_the_emulator_page_shows_what_the_container_prints_for_the_seed() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text()
    section = page.split("## The emulated training job", 1)[1]
    sample = section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    report = container_report(SEED_DEFINITIONS, SEED_HYPERPARAMETERS)
    printed = [line for block in report.epochs for line in block]
    shown = [line for line in sample[1:-1] if line != "..."]  # between the first and the last line
    assert sample[0].startswith("Starting training job ") and sample[0].endswith(f" on {SEED['instance_type']}")
    assert sample[-1] == "Training complete, saving model to /opt/ml/model"
    assert shown == [line for line in printed if line in shown] and len(shown) > 5
    assert shown[:5] == printed[:5] and shown[-5:] == printed[-5:]
