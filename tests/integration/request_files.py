"""Request files in the deployed platform's data bucket as a user puts them, and their results as a user
finds them: the outcome of `requests/<path>` is a version of `results/<path>` naming the request version it
answers (the prefixes are cdk.json's, which the session's deployment uses)."""

from __future__ import annotations

import json
from typing import Any

from emulator import REPOSITORY_ROOT
from platform_contract import REQUEST_SUFFIX, result_key
from training_events import TriggerConfig, recognise_event

_SETTINGS = json.loads((REPOSITORY_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
REQUEST_PREFIX: str = _SETTINGS["request_prefix"]
RESULT_PREFIX: str = _SETTINGS["result_prefix"]
# Results no training waits for: a redelivery's note, and a job started with "wait": false.
INTERIM_STATUSES = ("Duplicate", "InProgress")


def request_key(name: str) -> str:
    return f"{REQUEST_PREFIX}{name}{REQUEST_SUFFIX}"


def result_key_of(key: str) -> str:
    return result_key(key, request_prefix=REQUEST_PREFIX, result_prefix=RESULT_PREFIX)


def put_request(s3: Any, bucket: str, name: str, body: object) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return s3.put_object(Bucket=bucket, Key=request_key(name), Body=text.encode())


def object_created_event(bucket: str, key: str, version_id: str) -> dict[str, Any]:
    """The "Object Created" event S3 sends EventBridge for an upload (the fields the platform reads)."""
    detail = {"bucket": {"name": bucket}, "object": {"key": key, "version-id": version_id}}
    return {"source": "aws.s3", "detail-type": "Object Created", "detail": detail}


def request_job_name(bucket: str, key: str, version_id: str) -> str:
    """The name the workflow gives the job of this upload: Prepare's own recognition of its event."""
    config = TriggerConfig(request_prefix=REQUEST_PREFIX, result_prefix=RESULT_PREFIX)
    name = recognise_event(object_created_event(bucket, key, version_id), config).job_name
    assert name is not None
    return name


def latest_result(s3: Any, bucket: str, name: str) -> dict[str, Any] | None:
    """The result written last for the request file `name`, or None while there is none."""
    try:
        body = s3.get_object(Bucket=bucket, Key=result_key_of(request_key(name)))["Body"]
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body.read())


class ResultVersions:
    """Every version of the result objects under a key prefix of the result prefix, each read once (a version
    never changes): what each upload's result says, by result key and request version."""

    def __init__(self, s3: Any, bucket: str, prefix: str) -> None:
        self._s3, self._bucket, self._prefix = s3, bucket, prefix
        self.documents: dict[tuple[str, str], dict[str, Any]] = {}  # (result key, result version) -> document

    def refresh(self) -> int:
        """Read the versions written since the last refresh; the number of versions."""
        pages = self._s3.get_paginator("list_object_versions").paginate(Bucket=self._bucket, Prefix=self._prefix)
        for version in (version for page in pages for version in page.get("Versions", [])):
            identity = (version["Key"], version["VersionId"])
            if identity not in self.documents:
                stored = self._s3.get_object(Bucket=self._bucket, Key=version["Key"], VersionId=version["VersionId"])
                self.documents[identity] = json.loads(stored["Body"].read())
        return len(self.documents)

    def answering(self, key: str, version_id: str) -> list[dict[str, Any]]:
        """The results written for version `version_id` of the request file `key` (a redelivery may add a
        Duplicate note to its outcome)."""
        target = result_key_of(key)
        return [
            document
            for (stored_key, _), document in self.documents.items()
            if stored_key == target and document.get("request_version_id") == version_id
        ]
