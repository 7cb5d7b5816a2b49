"""Script mode with local code: what the SageMaker SDK does in `fit()` before it sends the request
(sagemaker.estimator.EstimatorBase._prepare_for_training, _stage_user_code_in_s3 and
sagemaker.fw_utils.tar_and_upload_dir), done by trainctl so the workflow gets an `s3://` source_dir.

- The job is named first, by the request builder, and the name goes into the request as `job_name`:
  the archive's key holds it, as the SDK's does.
- `sourcedir.tar.gz` holds source_dir's contents at its root (or, without a source_dir, the
  entry_point file) and each of `dependencies` under its own name, links followed (create_tar_file).
- It goes to `<code_location>/<job name>/source/sourcedir.tar.gz`, without a code_location to
  `s3://<the output path's bucket>/<job name>/source/sourcedir.tar.gz`: the platform's artifacts
  bucket unless the input gives an output_path, the place the SDK uses for its default output path.
- With `git_config` the paths are inside the repository, cloned first (trainctl.git_checkout).

Relative paths are from a base directory: the input file's for `trainctl start` and `render`, the current
one for the Python API (as in the SDK). Every problem names its field, before anything is uploaded.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from trainctl.git_checkout import git_checkout
from training_request import InvalidTrainingInput, Problem, TrainingJob, is_tuning_request

ARCHIVE_NAME = "sourcedir.tar.gz"  # sagemaker.fw_utils._TAR_SOURCE_FILENAME
# Code, not data: a larger archive has almost always swept up a data set, a virtualenv or a .git directory.
MAX_ARCHIVE_MEGABYTES = 100
_LOCAL_KEYS = ("entry_point", "source_dir", "dependencies", "git_config")


def _is_s3(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith("s3://")


def has_local_code(execution_input: object) -> bool:
    """Whether a training input names code to package: a git_config, a source_dir that is not in S3, or
    (without a source_dir) a local entry_point file or dependencies. Anything else is the builder's alone."""
    if not isinstance(execution_input, Mapping) or is_tuning_request(execution_input):
        return False
    source_dir = execution_input.get("source_dir")
    if execution_input.get("git_config") is not None or (isinstance(source_dir, str) and not _is_s3(source_dir)):
        return True
    entry_point = execution_input.get("entry_point")
    local_entry_point = isinstance(entry_point, str) and not _is_s3(entry_point)
    return source_dir is None and (local_entry_point or bool(execution_input.get("dependencies")))


@dataclass(frozen=True)
class LocalCode:
    """What goes into the archive: each member (path, name) at its root, and the script's name there."""

    entry_point: str
    members: tuple[tuple[Path, str], ...]
    field: str  # the input field the archive stands for: source_dir, or entry_point without one


@dataclass(frozen=True)
class PackagedCode:
    """The archive, where it goes, and the input to start instead of the given one."""

    execution_input: dict[str, object]  # source_dir = uri, entry_point = the script's name, job_name fixed
    job: TrainingJob  # the request the builder makes of it
    archive: Path
    uri: str
    kms_key: str | None  # the output key, when the archive goes to the output bucket (the SDK's choice)
    files: int
    size: int

    def describe(self) -> str:
        return f"{self.files} file{'s' if self.files != 1 else ''}, {_size_text(self.size)}"


def _size_text(size: int) -> str:
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"


@contextmanager
def packaged_code(
    execution_input: Mapping[str, object],
    *,
    base_dir: Path,
    build: Callable[[object], TrainingJob],
    output_path_known: bool = True,
) -> Iterator[PackagedCode]:
    """The code packaged in a temporary directory, removed afterwards; InvalidTrainingInput names every problem.

    `build` is the request builder with the platform's defaults; `output_path_known` says whether its default
    output path is the deployment's own (not a stand-in), the place the archive goes without code_location."""
    problems: list[Problem] = []
    named = _named_job(execution_input, build, problems)
    with ExitStack() as stack:
        root, where = base_dir, f"relative paths are from {base_dir.resolve()}"
        if execution_input.get("git_config") is not None:
            if problems:  # clone only for an input that is otherwise valid
                raise InvalidTrainingInput(problems)
            root, where = stack.enter_context(git_checkout(execution_input["git_config"])), "in the repository"
        code = local_code(execution_input, Located(root, where), problems)
        if not output_path_known and not _has_own_location(execution_input):
            problems.append(_unknown_bucket(code.field if code else "source_dir"))
        if problems or code is None or named is None:
            raise InvalidTrainingInput(problems)
        uri = archive_uri(execution_input, named)
        staged = staged_input(execution_input, code, uri, named.job_name)
        job = build(staged)
        archive = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="trainctl-code-"))) / ARCHIVE_NAME
        try:
            files = write_archive(code, archive)
        except (OSError, RecursionError) as error:  # an unreadable file, a link that loops
            raise InvalidTrainingInput([Problem(code.field, None, f"cannot be packaged: {error}")]) from None
        size = archive.stat().st_size
        if size > MAX_ARCHIVE_MEGABYTES * 1024 * 1024:
            raise InvalidTrainingInput([_too_large(code.field, size)])
        yield PackagedCode(staged, job, archive, uri, _archive_key(job, uri), files, size)


def _named_job(
    execution_input: Mapping[str, object], build: Callable[[object], TrainingJob], problems: list[Problem]
) -> TrainingJob | None:
    """The job without its code: the builder checks everything else and names it as it would name the job."""
    try:
        return build({key: value for key, value in execution_input.items() if key not in _LOCAL_KEYS})
    except InvalidTrainingInput as error:
        problems.extend(error.problems)
        return None


def _has_own_location(execution_input: Mapping[str, object]) -> bool:
    return execution_input.get("code_location") is not None or execution_input.get("output_path") is not None


def _archive_key(job: TrainingJob, uri: str) -> str | None:
    """The SDK encrypts the archive with the output key when it goes to the output bucket."""
    output = _output_config(job)
    key = output.get("KmsKeyId")
    return str(key) if key and _bucket(uri) == _bucket(str(output.get("S3OutputPath", ""))) else None


def _output_config(job: TrainingJob) -> Mapping[str, object]:
    config = job.request.get("OutputDataConfig")
    return config if isinstance(config, Mapping) else {}


def _bucket(uri: str) -> str:
    return uri.removeprefix("s3://").split("/", 1)[0]


def archive_uri(execution_input: Mapping[str, object], named: TrainingJob) -> str:
    """`<code_location>/<job>/source/sourcedir.tar.gz`, else at the output path's bucket's root (the SDK's places)."""
    code_location = execution_input.get("code_location")
    if isinstance(code_location, str):
        return "/".join([code_location.rstrip("/"), named.job_name, "source", ARCHIVE_NAME])
    output = str(_output_config(named).get("S3OutputPath", ""))
    return f"s3://{_bucket(output)}/{named.job_name}/source/{ARCHIVE_NAME}"


def staged_input(execution_input: Mapping[str, object], code: LocalCode, uri: str, job_name: str) -> dict[str, object]:
    """The input the workflow gets: the archive as source_dir, the script's name in it, the job's name."""
    kept = {key: value for key, value in execution_input.items() if key not in ("dependencies", "git_config")}
    return {**kept, "entry_point": code.entry_point, "source_dir": uri, "job_name": job_name}


@dataclass(frozen=True)
class Located:
    """Where relative paths start, and how a problem says so."""

    root: Path
    where: str

    def path(self, relative: str) -> Path:
        return self.root / relative

    def missing(self, what: str) -> str:
        return f"no such {what} ({self.where})"


def local_code(execution_input: Mapping[str, object], root: Located, problems: list[Problem]) -> LocalCode | None:
    """The members of the archive, paths relative to `root`; what is wrong goes to `problems`."""
    source_dir, entry_point = execution_input.get("source_dir"), execution_input.get("entry_point")
    dependencies = _dependencies(execution_input.get("dependencies"), root, problems)
    if source_dir is not None:
        members = _source_dir_members(source_dir, entry_point, root, problems)
        field = "source_dir"
    elif isinstance(entry_point, str):
        members = _entry_point_file(entry_point, root, problems)
        entry_point, field = os.path.basename(entry_point), "entry_point"
    else:
        problems.append(Problem("entry_point", None, "is required with dependencies or git_config: the script to run"))
        return None
    if members is None or dependencies is None:
        return None
    _check_unique_names(members, dependencies, problems)
    assert isinstance(entry_point, str)  # _source_dir_members checked it
    return LocalCode(entry_point, (*members, *dependencies), field)


Members = tuple[tuple[Path, str], ...]


def _source_dir_members(
    source_dir: object, entry_point: object, root: Located, problems: list[Problem]
) -> Members | None:
    directory = root.path(str(source_dir))
    if not isinstance(source_dir, str) or not directory.is_dir():
        problems.append(Problem("source_dir", source_dir, root.missing("directory")))
        return None
    if not isinstance(entry_point, str):
        problems.append(Problem("entry_point", entry_point, "is required with source_dir: the script to run, in it"))
        return None
    if "/" in entry_point or "\\" in entry_point:
        problems.append(
            Problem(
                "entry_point",
                entry_point,
                "must be a file at the root of source_dir (the SDK's rule), not a path: "
                "make the script's directory the source_dir",
            )
        )
        return None
    if not (directory / entry_point).is_file():
        problems.append(Problem("entry_point", entry_point, f"no such file in source_dir {source_dir!r}"))
        return None
    # What the SDK lists (os.listdir), sorted so that the same directory always gives the same archive.
    return tuple((path, path.name) for path in sorted(directory.iterdir()))


def _entry_point_file(entry_point: str, root: Located, problems: list[Problem]) -> Members | None:
    path = root.path(entry_point)
    if not path.is_file():
        problems.append(Problem("entry_point", entry_point, root.missing("file")))
        return None
    return ((path, path.name),)


def _dependencies(value: object, root: Located, problems: list[Problem]) -> Members | None:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(Problem("dependencies", value, "must be a list of local directories"))
        return None
    found: list[tuple[Path, str]] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not root.path(item).exists():
            problems.append(Problem(f"dependencies[{index}]", item, root.missing("file or directory")))
        else:
            # Its own name (`lib`, also for `lib/` or `../lib`; the SDK's basename of `lib/` would be empty).
            found.append((root.path(item), root.path(item).resolve().name))
    return tuple(found) if len(found) == len(value) else None


def _check_unique_names(members: Members, dependencies: Members, problems: list[Problem]) -> None:
    """Each dependency lands at the archive's root under its own name: two of one name would be one in the
    container (the SDK packages both; the second silently replaces the first when extracted)."""
    seen = {name for _, name in members}
    for index, (path, name) in enumerate(dependencies):
        if name in seen:
            problems.append(
                Problem(
                    f"dependencies[{index}]",
                    str(path),
                    f"its name {name!r} is already at the archive's root: rename one of them",
                )
            )
        seen.add(name)


def write_archive(code: LocalCode, target: Path) -> int:
    """sagemaker.utils.create_tar_file: gzip'd tar, links followed, each member under its own name; the
    number of files in it."""
    files = 0

    def count(member: tarfile.TarInfo) -> tarfile.TarInfo:
        nonlocal files
        files += member.isfile()
        return member

    with tarfile.open(target, mode="w:gz", dereference=True) as archive:
        for path, name in code.members:
            archive.add(path, arcname=name, filter=count)
    return files


def _too_large(field: str, size: int) -> Problem:
    return Problem(
        field,
        None,
        f"packages into {_size_text(size)}, over the {MAX_ARCHIVE_MEGABYTES} MiB trainctl uploads as code: leave data "
        "sets, virtualenvs and .git out of it (training data goes in `inputs`)",
    )


def _unknown_bucket(field: str) -> Problem:
    return Problem(
        field,
        None,
        "cannot tell where to upload the code: the artifacts bucket is read from the Prepare function's "
        "configuration, which could not be read; give code_location (an s3:// prefix)",
    )
