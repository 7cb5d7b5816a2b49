"""Which training instance types keep their volumes on local NVMe instance storage instead of EBS.

SageMaker refuses ResourceConfig.VolumeKmsKeyId for them: their local storage is encrypted by a hardware
module on the instance ("You can't request a VolumeKmsKeyId when using an instance type with local storage",
CreateTrainingJob's ResourceConfig reference, which points at EC2's instance store volume table). The
families below are those of SageMaker's TrainingInstanceType values that EC2 lists with NVMe instance store:
the `d` families (g4dn, p3dn, p4d, p4de, r5d) and the accelerated families whose instance store is not named
by a `d` (g5, g6, g6e, g7, g7e, p5, p5e, p5en, p6-b200, p6-b300, p6e-gb200, trn1, trn1n, trn2).
"""

from __future__ import annotations

LOCAL_STORAGE_FAMILIES = frozenset(
    {
        "g4dn", "g5", "g6", "g6e", "g7", "g7e",
        "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300", "p6e-gb200",
        "r5d",
        "trn1", "trn1n", "trn2",
    }
)  # fmt: skip


def instance_family(instance_type: str) -> str:
    """`ml.g5.2xlarge` -> `g5`; "" for a value not of the `ml.<family>.<size>` form."""
    parts = instance_type.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "ml" else ""


def has_local_storage(instance_type: str) -> bool:
    """Whether the instance type's volumes are local NVMe storage (SageMaker refuses a VolumeKmsKeyId there)."""
    return instance_family(instance_type) in LOCAL_STORAGE_FAMILIES
