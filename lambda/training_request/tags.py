"""The job's tags: the SDK's `tags` argument (a list of {"Key", "Value"} or an object of key to value, as
sagemaker.utils.format_tags takes it), then the cost tag appended unless the user already carries it.

Every job carries the cost tag: the state machine's role may only create jobs that do. The state machine
appends one more, the execution tag (platform_contract.EXECUTION_TAG_KEY): a user's tags may not use its
key and must leave room for it."""

from __future__ import annotations

from platform_contract import COST_TAG_KEY, COST_TAG_VALUE, EXECUTION_TAG_KEY

from .errors import Problems
from .fields import join, json_type, object_readers, text_of
from .validation import check, shape_at

TAG_KEYS = ("Key", "Value")


def read_tags(value: object, problems: Problems) -> list[dict[str, str]]:
    """The Tags member of the request for the input's `tags` value (None when not given)."""
    return tagged_for_cost(read_user_tags(value, problems, "tags"), problems, "tags")


TagsRead = list[tuple[dict[str, str], str]]  # each tag, and the field of its value as the user wrote it


def read_user_tags(value: object, problems: Problems, field: str) -> TagsRead:
    """The tags the user gave under `field`, each checked on its own against the API model."""
    if isinstance(value, dict):
        return _from_object(value, problems, field)
    if isinstance(value, list):
        return _from_list(value, problems, field)
    if value is not None:
        problems.add(
            field,
            value,
            f'must be a list of {{"Key", "Value"}} objects or an object of key to value, not {json_type(value)}',
        )
    return []


def tagged_for_cost(read: TagsRead, problems: Problems, field: str) -> list[dict[str, str]]:
    """The tags with the cost tag appended unless the user already carries it; repeated keys and a cost tag of
    another value are problems."""
    tags = [tag for tag, _ in read]
    _check_repeated_keys(tags, problems, field)
    _check_cost_tag(read, problems)
    if EXECUTION_TAG_KEY in (tag["Key"] for tag in tags):
        problems.add(field, EXECUTION_TAG_KEY, "is the tag the workflow gives each job: leave it out")
    if not any(tag["Key"] == COST_TAG_KEY for tag in tags):
        tags.append({"Key": COST_TAG_KEY, "Value": COST_TAG_VALUE})
    check(problems, field, tags, "Tags")
    _check_room_for_the_execution_tag(tags, problems, field)
    return tags


def _from_object(value: dict[object, object], problems: Problems, tags_field: str) -> TagsRead:
    tags: TagsRead = []
    for key, item in value.items():
        field = join(tags_field, str(key))
        text = None if item is None or isinstance(item, (dict, list)) else text_of(item)
        if text is None:
            problems.add(field, item, f"must be a string or a number, not {json_type(item)}")
            continue
        tags.append(({"Key": str(key), "Value": text}, field))
        _check_tag(problems, field, field, tags[-1][0])
    return tags


def _from_list(value: list[object], problems: Problems, tags_field: str) -> TagsRead:
    tags: TagsRead = []
    for tag in object_readers(value, tags_field, problems, TAG_KEYS, '{"Key": ..., "Value": ...}'):
        key = tag.string("Key", required=True)
        text = tag.string("Value", required=True, non_empty=False)
        if key is not None and text is not None:
            tags.append(({"Key": key, "Value": text}, tag.field("Value")))
            _check_tag(problems, tag.field("Key"), tag.field("Value"), tags[-1][0])
    return tags


def _check_room_for_the_execution_tag(tags: list[dict[str, str]], problems: Problems, field: str) -> None:
    """SageMaker's limit, less the workflow's execution tag (more than the limit is already a problem)."""
    limit = shape_at("Tags").metadata["max"]
    if len(tags) == limit:
        problems.add(
            field,
            len(tags),
            f"must have at most {limit - 1} tags, the {COST_TAG_KEY} tag included: the workflow adds one more "
            f"({EXECUTION_TAG_KEY})",
        )


def _check_repeated_keys(tags: list[dict[str, str]], problems: Problems, field: str) -> None:
    keys = [tag["Key"] for tag in tags]
    for key in sorted({key for key in keys if keys.count(key) > 1}):
        problems.add(field, key, "must not repeat a tag key")


def _check_cost_tag(read: TagsRead, problems: Problems) -> None:
    """A cost tag the user gives stays where it is, and must carry the platform's value."""
    for tag, value_field in read:
        if tag["Key"] == COST_TAG_KEY and tag["Value"] != COST_TAG_VALUE:
            problems.add(value_field, tag["Value"], f"the {COST_TAG_KEY} tag must be {COST_TAG_VALUE!r} on every job")


def _check_tag(problems: Problems, key_field: str, value_field: str, tag: dict[str, str]) -> None:
    check(problems, key_field, tag["Key"], "Tags[].Key")
    check(problems, value_field, tag["Value"], "Tags[].Value")
