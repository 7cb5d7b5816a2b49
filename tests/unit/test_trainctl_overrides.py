"""`--set key=value` on top of an input file: what a user types and what reaches the builder."""

import pytest

from trainctl.overrides import OverrideError, apply_overrides, parse_path, parse_value

BASE = {
    "instance_type": "ml.m5.xlarge",
    "hyperparameters": {"epochs": 10, "lr": "0.01"},
    "inputs": {"nome_modello": "s3://bucket/data"},
    "tags": [{"Key": "team", "Value": "vision"}],
}


def test_dotted_path_sets_a_number_in_an_existing_object_and_keeps_the_rest():
    result = apply_overrides(BASE, ["hyperparameters.epochs=20"])
    assert result["hyperparameters"] == {"epochs": 20, "lr": "0.01"}
    assert result["inputs"] == BASE["inputs"]


def test_the_original_input_is_not_modified():
    apply_overrides(BASE, ["hyperparameters.epochs=20", "tags[0].Value=x"])
    assert BASE["hyperparameters"]["epochs"] == 10
    assert BASE["tags"][0]["Value"] == "vision"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20", 20),
        ("0.5", 0.5),
        ("true", True),
        ("null", None),
        ('"20"', "20"),
        ('{"seed": 42}', {"seed": 42}),
        ('["a", "b"]', ["a", "b"]),
        ("s3://bucket/prefix", "s3://bucket/prefix"),
        ("ml.g5.2xlarge", "ml.g5.2xlarge"),
        ("", ""),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("020", "020"),
    ],
)
def test_values_are_json_when_they_parse_else_the_text(text, expected):
    assert parse_value(text) == expected
    assert type(parse_value(text)) is type(expected)


def test_value_may_contain_equal_signs():
    result = apply_overrides({}, ["environment.OPTS=--a=1 --b=2"])
    assert result == {"environment": {"OPTS": "--a=1 --b=2"}}


def test_missing_objects_on_the_path_are_created():
    result = apply_overrides({"image_uri": "x"}, ["hyperparameters.epochs=5", "inputs.train.s3_data=s3://b/t"])
    assert result == {"image_uri": "x", "hyperparameters": {"epochs": 5}, "inputs": {"train": {"s3_data": "s3://b/t"}}}


def test_list_index_replaces_and_appends():
    result = apply_overrides(BASE, ["tags[0].Value=nlp", 'tags[1]={"Key": "owner", "Value": "ada"}'])
    assert result["tags"] == [{"Key": "team", "Value": "nlp"}, {"Key": "owner", "Value": "ada"}]


def test_quoted_segment_holds_a_dot():
    assert parse_path('hyperparameters."model.lr"') == ["hyperparameters", "model.lr"]
    result = apply_overrides({}, ['hyperparameters."model.lr"=0.1'])
    assert result == {"hyperparameters": {"model.lr": 0.1}}


def test_later_assignments_win():
    assert apply_overrides({}, ["max_run=10", "max_run=20"]) == {"max_run": 20}


def test_whole_value_replacement_of_a_top_level_key():
    result = apply_overrides(BASE, ['inputs={"train": "s3://b/new"}'])
    assert result["inputs"] == {"train": "s3://b/new"}


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("epochs", "expected key=value"),
        ("=3", "empty key"),
        ("instance_type.size=3", "'instance_type' is a string, not an object"),
        ("hyperparameters[0]=3", "'hyperparameters' is an object, not a list"),
        ("tags[5].Value=x", "has 1 items; index 5 leaves a gap"),
        ("[0]=1", "cannot read the key"),
        ("a..b=1", "cannot read the key"),
    ],
)
def test_bad_assignments_are_one_line_errors_naming_the_assignment(assignment, message):
    with pytest.raises(OverrideError) as caught:
        apply_overrides(BASE, [assignment])
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_input_that_is_not_an_object_cannot_take_overrides():
    with pytest.raises(OverrideError, match="JSON object, got a list"):
        apply_overrides([1, 2], ["a=1"])  # type: ignore[arg-type]
