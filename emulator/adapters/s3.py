"""S3: "Object Created" events spelled as AWS spells them; bucket settings from CloudFormation applied."""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from typing import Any


def spell_s3_events_like_aws() -> None:
    """S3's "Object Created" events carry `detail.object.etag` and an event id of their own.

    moto spells the field `eTag` (AWS's S3 EventBridge events spell it `etag`) and sends every S3
    event with the same fixed id. The S3 event being sent is marked per thread, so events other
    callers put meanwhile are left as they are.
    """
    from moto.events.models import Rule
    from moto.s3 import notifications

    original_send_s3_event = notifications._send_event_bridge_message
    original_send = Rule.send_to_targets
    sending = threading.local()

    def send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        sending.event_id = str(uuid.uuid4())
        try:
            original_send_s3_event(account_id, bucket, event_name, key)
        finally:
            sending.event_id = None

    def send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
        event_id = getattr(sending, "event_id", None)
        if event_id is not None:
            original_event = copy.deepcopy(original_event)
            original_event["id"] = event_id
            s3_object = original_event.get("detail", {}).get("object", {})
            if "eTag" in s3_object:
                s3_object["etag"] = s3_object.pop("eTag")
        original_send(self, original_event, transform_input)

    notifications._send_event_bridge_message = send_event_bridge_message
    Rule.send_to_targets = send_to_targets


def apply_bucket_versioning_from_cloudformation() -> None:
    """A bucket whose template says VersioningConfiguration.Status Enabled (or Suspended) has it.

    moto's CloudFormation drops VersioningConfiguration: the data bucket, declared versioned, gave
    no VersionId, so a new version of a request file could not be told from the old one.
    """

    def apply(bucket: Any, properties: dict[str, Any]) -> None:
        status = properties.get("VersioningConfiguration", {}).get("Status")
        if status in ("Enabled", "Suspended"):
            bucket.versioning_status = status

    _apply_to_buckets_from_cloudformation(apply)


def apply_bucket_eventbridge_setting_from_cloudformation() -> None:
    """A bucket whose template says NotificationConfiguration.EventBridgeConfiguration sends events.

    moto's CloudFormation ignores the bucket's NotificationConfiguration, so objects put in a
    bucket deployed with `event_bridge_enabled` produced no "Object Created" event.
    """

    def apply(bucket: Any, properties: dict[str, Any]) -> None:
        if "EventBridgeConfiguration" in properties.get("NotificationConfiguration", {}):
            bucket.set_notification_configuration({"EventBridgeConfiguration": {}})

    _apply_to_buckets_from_cloudformation(apply)


def apply_bucket_key_setting_from_cloudformation() -> None:
    """A bucket whose template enables an S3 Bucket Key (`BucketKeyEnabled` in its encryption rule)
    has it: GetBucketEncryption says so, objects put with the bucket's default KMS encryption carry it,
    and the call log names the bucket in S3's KMS encryption context, as AWS does with a Bucket Key.

    moto's CloudFormation drops BucketKeyEnabled from the bucket's encryption.
    """

    def apply(bucket: Any, properties: dict[str, Any]) -> None:
        rules = properties.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration") or [{}]
        if bucket.encryption and str(rules[0].get("BucketKeyEnabled")).lower() == "true":
            bucket.encryption["Rule"]["BucketKeyEnabled"] = "true"

    _apply_to_buckets_from_cloudformation(apply)


def _apply_to_buckets_from_cloudformation(apply: Callable[[Any, dict[str, Any]], None]) -> None:
    """After moto's CloudFormation creates or updates an AWS::S3::Bucket, `apply(bucket, Properties)`."""
    from moto.s3.models import FakeBucket

    original_create = FakeBucket.create_from_cloudformation_json.__func__
    original_update = FakeBucket.update_from_cloudformation_json.__func__

    def create(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
        bucket = original_create(cls, resource_name, cloudformation_json, *args, **kwargs)
        apply(bucket, cloudformation_json.get("Properties", {}))
        return bucket

    def update(
        cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any
    ) -> Any:
        bucket = original_update(cls, original_resource, new_resource_name, cloudformation_json, *args, **kwargs)
        apply(bucket, cloudformation_json.get("Properties", {}))
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create)
    FakeBucket.update_from_cloudformation_json = classmethod(update)
