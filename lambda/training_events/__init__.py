"""Event-triggered training: which event started an execution, the job name it implies, and what users are told.

Pure and standard-library only; the Lambda handlers do the S3 and SNS calls.
"""

from .events import (
    IgnoredEvent,
    InvalidRequestFile,
    MalformedEvent,
    RequestFile,
    TrainingTrigger,
    TriggerConfig,
    TriggerKind,
    recognise_event,
    request_file_named_by,
    wildcard_match,
)
from .links import console_links, tuning_console_links
from .names import capacity_retry_job_name, event_job_name
from .notifications import Notification, job_state_notification, state_change_notification, tuning_state_notification
from .results import RequestStatus, result_body, result_document

__all__ = [
    "IgnoredEvent",
    "InvalidRequestFile",
    "MalformedEvent",
    "Notification",
    "RequestFile",
    "RequestStatus",
    "TrainingTrigger",
    "TriggerConfig",
    "TriggerKind",
    "capacity_retry_job_name",
    "console_links",
    "event_job_name",
    "job_state_notification",
    "recognise_event",
    "request_file_named_by",
    "result_body",
    "result_document",
    "state_change_notification",
    "tuning_console_links",
    "tuning_state_notification",
    "wildcard_match",
]
