"""Script mode with local code: what trainctl packages and where it puts it equal what the real SageMaker SDK
uploads in `Estimator(...).fit()`, and the request names it as the SDK's does.

The SDK runs offline (sdk_oracle) with its S3 resource replaced by a recorder of the one upload it makes
(sagemaker.fw_utils.tar_and_upload_dir: `s3_resource.Object(bucket, key).upload_file(path, ExtraArgs=...)`).
The same Estimator goes through trainctl.notebook.from_estimator and trainctl.script_code.packaged_code.
A git repository is served to both by git itself: `url.<local repository>.insteadOf` makes the https URL
the SDK accepts clone a repository made here, without a network.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trainctl.notebook import from_estimator
from trainctl.script_code import packaged_code
from training_request import build_training_job

from .cases import ACCOUNT
from .compare import comparable, expected_from_sdk, field_diff
from .sdk_oracle import _CapturedRequest, isolated_sdk, offline_session
from .test_parity import STACK_DEFAULTS

pytest.importorskip("sagemaker")

REGION = "eu-west-1"
OUTPUT_BUCKET = "platform-artifacts-bucket"
OUTPUT_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
ESTIMATOR = {
    "image_uri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/gan:1",
    "role": f"arn:aws:iam::{ACCOUNT}:role/platform-sagemaker-execution",
    "instance_count": 1,
    "instance_type": "ml.m5.xlarge",
    "output_path": f"s3://{OUTPUT_BUCKET}/models",
    "hyperparameters": {"epochs": 3, "optimizer": "adam"},
}
GIT_REPOSITORY = "https://git.example.com/team/gan-training.git"


@dataclass
class Upload:
    bucket: str
    key: str
    archive: bytes
    extra_args: dict[str, Any] | None


class _UploadRecorder:
    """Stands in for the SDK session's boto3 S3 resource: records `Object(b, k).upload_file(...)`."""

    def __init__(self) -> None:
        self.uploads: list[Upload] = []

    def Object(self, bucket: str, key: str) -> Any:
        recorder = self

        class _Object:
            def upload_file(self, filename: str, ExtraArgs: dict[str, Any] | None = None) -> None:
                recorder.uploads.append(Upload(bucket, key, Path(filename).read_bytes(), ExtraArgs))

        return _Object()


def archive_contents(data: bytes) -> dict[str, bytes | None]:
    """Each member's name and, for files, its bytes (None for directories)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {
            member.name: (archive.extractfile(member).read() if member.isfile() else None)  # type: ignore[union-attr]
            for member in archive.getmembers()
        }


def write_code(root: Path) -> None:
    (root / "src" / "models").mkdir(parents=True)
    (root / "src" / "train.py").write_text("import models\nprint('training')\n")
    (root / "src" / "models" / "__init__.py").write_text("GENERATOR = 'unet'\n")
    (root / "src" / "requirements.txt").write_text("torchvision\n")
    (root / "common").mkdir()
    (root / "common" / "losses.py").write_text("def gan_loss(): ...\n")
    (root / "tools.py").write_text("VERSION = 2\n")


def sdk_fit(settings: dict[str, Any]) -> tuple[dict[str, Any], list[Upload]]:
    """The SDK's CreateTrainingJob request and its uploads for `Estimator(**settings).fit(job_name=...)`."""
    from sagemaker.estimator import Estimator

    with isolated_sdk():
        session = offline_session(REGION)
        recorder = _UploadRecorder()
        session.s3_resource = recorder
        estimator = Estimator(sagemaker_session=session, **{k: v for k, v in settings.items() if k != "job_name"})
        try:
            estimator.fit(job_name=settings["job_name"], wait=False)
        except _CapturedRequest as captured:
            return captured.params, recorder.uploads
    raise AssertionError("fit() returned without calling CreateTrainingJob")


def ours(settings: dict[str, Any]) -> tuple[dict[str, Any], Upload]:
    """The request trainctl starts and the upload it makes, for the same Estimator given to from_estimator."""
    from sagemaker.estimator import Estimator

    with isolated_sdk():
        estimator = Estimator(
            sagemaker_session=offline_session(REGION), **{k: v for k, v in settings.items() if k != "job_name"}
        )
    execution_input = from_estimator(estimator, job_name=settings["job_name"])

    def build(staged: object) -> Any:
        return build_training_job(staged, region=REGION, defaults=STACK_DEFAULTS)

    with packaged_code(execution_input, base_dir=Path("/"), build=build) as code:
        bucket, _, key = code.uri.removeprefix("s3://").partition("/")
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": code.kms_key} if code.kms_key else None
        return code.job.request, Upload(bucket, key, code.archive.read_bytes(), extra)


@pytest.fixture
def code(tmp_path: Path) -> Path:
    write_code(tmp_path)
    return tmp_path


def assert_same_job(settings: dict[str, Any], *, json_encoded: tuple[str, ...] = ()) -> tuple[Upload, Upload]:
    """Same request (but the hyperparameters named in `json_encoded`, which the platform JSON-encodes where the
    SDK sends str(value)), same archive at the same place."""
    sdk_request, sdk_uploads = sdk_fit(settings)
    our_request, our_upload = ours(settings)
    assert len(sdk_uploads) == 1
    for name in json_encoded:
        sdk_request["HyperParameters"][name] = json.dumps(settings["hyperparameters"][name])
    differences = field_diff(expected_from_sdk(sdk_request, our_request["TrainingJobName"]), comparable(our_request))
    assert not differences, "\n".join(differences)
    sdk_upload = sdk_uploads[0]
    assert (our_upload.bucket, our_upload.key) == (sdk_upload.bucket, sdk_upload.key)
    assert archive_contents(our_upload.archive) == archive_contents(sdk_upload.archive)
    return sdk_upload, our_upload


def test_source_dir_and_dependencies_are_packaged_and_placed_as_the_sdk_does(code: Path) -> None:
    settings = {
        **ESTIMATOR,
        "job_name": "gan-script-1",
        "entry_point": "train.py",
        "source_dir": str(code / "src"),
        "dependencies": [str(code / "common"), str(code / "tools.py")],
    }
    sdk_upload, our_upload = assert_same_job(settings)
    # At the root of the output path's bucket, under the job's name, as the SDK places it.
    assert our_upload.key == "gan-script-1/source/sourcedir.tar.gz" and our_upload.bucket == OUTPUT_BUCKET
    assert set(archive_contents(our_upload.archive)) >= {"train.py", "models/__init__.py", "common/losses.py"}
    # The SDK asks for the aws/s3 key; the platform leaves the bucket's own encryption (its project key).
    assert sdk_upload.extra_args == {"ServerSideEncryption": "aws:kms"} and our_upload.extra_args is None


def test_an_entry_point_alone_is_packaged_by_itself(code: Path) -> None:
    settings = {**ESTIMATOR, "job_name": "gan-script-2", "entry_point": str(code / "src" / "train.py")}
    # Without a source_dir the SDK's Estimator sends the user's hyperparameters as str(value), the platform (with
    # the source_dir it uploads) JSON-encodes them: "adam" arrives as '"adam"' (docs/sdk-differences.md).
    _, our_upload = assert_same_job(settings, json_encoded=("optimizer",))
    assert set(archive_contents(our_upload.archive)) == {"train.py"}


def test_code_location_and_the_output_key_are_used_as_the_sdk_uses_them(code: Path) -> None:
    settings = {
        **ESTIMATOR,
        "job_name": "gan-script-3",
        "entry_point": "train.py",
        "source_dir": str(code / "src"),
        "code_location": f"s3://{OUTPUT_BUCKET}/team-code/",
        "output_kms_key": OUTPUT_KEY,
        "container_log_level": 10,
    }
    sdk_upload, our_upload = assert_same_job(settings)
    assert our_upload.key == "team-code/gan-script-3/source/sourcedir.tar.gz"
    assert (
        our_upload.extra_args == sdk_upload.extra_args == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": OUTPUT_KEY}
    )


@pytest.fixture
def git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A repository with two commits on branch `training`, cloned through GIT_REPOSITORY; the first commit's id."""
    work = tmp_path / "work"
    work.mkdir()
    write_code(work)

    def git(*arguments: str, cwd: Path = work) -> str:
        return subprocess.run(["git", *arguments], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "empty")
    git("checkout", "-q", "-b", "training")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "code")
    first = git("rev-parse", "HEAD")
    (work / "src" / "train.py").write_text("print('a later version')\n")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "later")
    global_config = tmp_path / "gitconfig"
    global_config.write_text(f'[url "{work}/.git"]\n\tinsteadOf = {GIT_REPOSITORY}\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    yield first


def test_git_config_is_cloned_and_checked_out_as_the_sdk_does(git_repository: str) -> None:
    settings = {
        **ESTIMATOR,
        "job_name": "gan-script-4",
        "entry_point": "train.py",
        "source_dir": "src",
        "dependencies": ["common"],
        "git_config": {"repo": GIT_REPOSITORY, "branch": "training", "commit": git_repository},
    }
    _, our_upload = assert_same_job(settings)
    # The commit asked for, not the branch's newest.
    assert archive_contents(our_upload.archive)["train.py"] == b"import models\nprint('training')\n"
