"""S3 locations: what counts as one, how paths are joined, and whether the execution role can reach them."""

from __future__ import annotations

import re

from .defaults import PlatformDefaults
from .errors import Problems

_S3_URI = re.compile(r"^s3://([^/]+)(/.*)?$")


def bucket_of(uri: str) -> str | None:
    match = _S3_URI.match(uri)
    return match.group(1) if match else None


def check_s3_uri(problems: Problems, field: str, value: str) -> bool:
    if bucket_of(value) is None:
        problems.add(
            field, value, "must be an S3 URI: s3://<bucket>/<prefix> (local and https:// URIs are not supported)"
        )
        return False
    return True


def s3_join(base: str, *parts: str) -> str:
    """sagemaker.s3.s3_path_join for an s3:// base: one slash between parts, none at the end."""
    pieces = [base.rstrip("/")] + [part.strip("/") for part in parts if part.strip("/")]
    return "/".join(pieces)


class Reachability:
    """Records the S3 locations an input reads and writes, then checks them against the stack's buckets."""

    def __init__(self, defaults: PlatformDefaults) -> None:
        self._defaults = defaults
        self._reads: list[tuple[str, str]] = []
        self._writes: list[tuple[str, str]] = []

    def reads(self, field: str, uri: str) -> None:
        self._reads.append((field, uri))

    def writes(self, field: str, uri: str) -> None:
        self._writes.append((field, uri))

    def check(self, problems: Problems) -> None:
        writable = self._defaults.writable_buckets
        readable = self._defaults.readable_buckets
        if writable is not None:
            for field, uri in self._writes:
                if bucket_of(uri) not in writable:
                    problems.add(
                        field,
                        uri,
                        f"the execution role cannot write to this bucket; writable buckets: {', '.join(writable) or 'none'}",
                    )
        if readable is not None:
            # A bucket the role writes to (artifacts, checkpoints) is one it reads too: a model_uri from
            # an earlier job's output is the common case.
            # The stack lists its writable buckets among the readable ones too: name each once.
            allowed = tuple(dict.fromkeys((*readable, *(writable or ()))))
            for field, uri in self._reads:
                if bucket_of(uri) not in allowed:
                    problems.add(
                        field,
                        uri,
                        f"the execution role cannot read this bucket; readable buckets: {', '.join(allowed) or 'none'}",
                    )
