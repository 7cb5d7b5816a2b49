"""Deterministic SageMaker job names for event-triggered trainings.

The name is a readable hint (the request file, repository or schedule) plus a short hash of the event's
identity, so the same event delivered twice gets the same name (SageMaker then refuses the second job with
ResourceInUse) and a different event a different one.
"""

from __future__ import annotations

import hashlib
import json
import re

from training_request.job_name import MAX_LENGTH

# 12 hex digits = 48 bits: a collision between two distinct events needs about 16 million of them.
HASH_LENGTH = 12
_MAX_HINT_LENGTH = MAX_LENGTH - 1 - HASH_LENGTH
_NOT_NAME_CHARACTERS = re.compile(r"[^a-zA-Z0-9]+")


def event_job_name(hint: str, identity: tuple[str, ...], *, fallback_hint: str) -> str:
    """`<hint>-<hash of identity>`: valid for SageMaker whatever the hint holds.

    The identity parts are hashed as a JSON array so ("a", "bc") and ("ab", "c") differ.
    """
    digest = hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode("utf-8")).hexdigest()[:HASH_LENGTH]
    readable = _NOT_NAME_CHARACTERS.sub("-", hint).strip("-")[:_MAX_HINT_LENGTH].rstrip("-")
    if not readable:
        readable = fallback_hint
    return f"{readable}-{digest}"


def capacity_retry_job_name(job_name: str, attempt: int) -> str:
    """The name of the `attempt`-th capacity retry of an event-named job: same hint, another hash.

    A retry needs a fresh name (SageMaker never reuses one), yet it must stay a function of the event: a
    duplicate delivery of the event still meets the first attempt's name and is recognised as a duplicate.
    """
    if attempt == 0:
        return job_name
    readable, _, _ = job_name.rpartition("-")
    digest = hashlib.sha256(json.dumps([job_name, attempt]).encode("utf-8")).hexdigest()[:HASH_LENGTH]
    return f"{readable or job_name}-{digest}"


def shortened_event_job_name(job_name: str, max_length: int) -> str:
    """An event's job name cut to `max_length` (a tuning job's name holds 32 characters): the hint is shortened,
    the hash of the event kept, so the same event still gives the same name."""
    if len(job_name) <= max_length:
        return job_name
    readable, _, digest = job_name.rpartition("-")
    return f"{readable[: max_length - len(digest) - 1].rstrip('-') or 'e'}-{digest}"
