"""The errors the platform API raises; the command line turns each into one line on stderr."""

from __future__ import annotations

from training_request import InvalidTrainingInput


class PlatformError(Exception):
    """Anything that stops a platform operation; the message is one line a user can act on."""


class TrainingFailedToStart(PlatformError):
    """The execution ended before creating a job (for example invalid input caught by Prepare)."""

    def __init__(self, message: str, *, error: str | None, cause: str | None = None) -> None:
        super().__init__(message)
        self.error = error  # the execution's error name, e.g. InvalidTrainingInput
        self.cause = cause  # the execution's cause, e.g. one line per problem of the input

    @property
    def invalid_input(self) -> bool:
        """Prepare rejected the input: its builder's exception is the execution's error name."""
        return self.error == InvalidTrainingInput.__name__
