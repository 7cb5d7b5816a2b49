"""How the training container is started and where its image comes from: container_entry_point,
container_arguments, training_repository_access_mode and training_repository_credentials_provider_arn,
the AlgorithmSpecification members sagemaker.estimator._TrainingJob._get_train_args adds."""

from __future__ import annotations

from .errors import Problems
from .fields import ObjectReader
from .validation import check

CONTAINER_KEYS = (
    "container_entry_point",
    "container_arguments",
    "training_repository_access_mode",
    "training_repository_credentials_provider_arn",
)
# TrainingImageConfig: a registry's credentials are for a private Docker registry, which the job reaches
# only in Vpc mode (CreateTrainingJob API reference, TrainingImageConfig and TrainingRepositoryAuthConfig).
PRIVATE_REGISTRY_MODE = "Vpc"
_SPEC = "AlgorithmSpecification"


def container_settings(reader: ObjectReader, problems: Problems) -> dict[str, object]:
    """The AlgorithmSpecification members these arguments set, in the SDK's order (TrainingImageConfig,
    ContainerEntrypoint, ContainerArguments); empty when none is given."""
    members: dict[str, object] = {}
    image_config = _training_image_config(reader, problems)
    if image_config is not None:
        members["TrainingImageConfig"] = image_config
    for key, member in (
        ("container_entry_point", "ContainerEntrypoint"),
        ("container_arguments", "ContainerArguments"),
    ):
        values = _command_line(reader, key, f"{_SPEC}.{member}")
        if values is not None:
            members[member] = values
    return members


def _command_line(reader: ObjectReader, key: str, path: str) -> list[str] | None:
    """A list of strings the SDK passes as it is, even an empty one (which the API refuses: at least 1)."""
    values = reader.string_list(key)
    if values is None:
        return None
    check(reader.problems, key, values, path)
    for index, value in enumerate(values):
        check(reader.problems, f"{key}[{index}]", value, f"{path}[]")
    return values


def _training_image_config(reader: ObjectReader, problems: Problems) -> dict[str, object] | None:
    """The SDK sends TrainingImageConfig only when the access mode is given, and then the credentials
    provider only inside it: a provider ARN without the mode is dropped without a word. Here it is an error,
    as is a provider with Platform mode, which reaches no private registry."""
    mode = reader.string("training_repository_access_mode")
    provider = reader.string("training_repository_credentials_provider_arn")
    path = f"{_SPEC}.TrainingImageConfig"
    if mode is not None:
        check(problems, "training_repository_access_mode", mode, f"{path}.TrainingRepositoryAccessMode")
    if provider is not None:
        check(
            problems,
            "training_repository_credentials_provider_arn",
            provider,
            f"{path}.TrainingRepositoryAuthConfig.TrainingRepositoryCredentialsProviderArn",
        )
        if mode != PRIVATE_REGISTRY_MODE:
            problems.add(
                "training_repository_credentials_provider_arn",
                provider,
                "applies only to an image in a private Docker registry: set training_repository_access_mode "
                f"to {PRIVATE_REGISTRY_MODE} (without it the SDK drops the provider)",
            )
    if mode is None:
        return None
    config: dict[str, object] = {"TrainingRepositoryAccessMode": mode}
    if provider is not None:
        config["TrainingRepositoryAuthConfig"] = {"TrainingRepositoryCredentialsProviderArn": provider}
    return config
