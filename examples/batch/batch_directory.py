"""The batch example's directory: one group and a few hundred users, with deterministic ids.

The ids are uuid5s of fixed names, so the seed file for the local Graph emulator
(`seed.yaml`, written by `python build_seed.py`) and the program agree without either reading the
other. Against a real tenant the program takes real ids from stack config instead.
"""
import uuid

# A fixed namespace for the example's names (itself a uuid5 of the project's name).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "batch.examples.pulumi-msgraph-membership")

TENANT_ID = "7f0c4bd5-0000-4000-8000-000000000002"
CLIENT_ID = "3a9e0b1c-0000-4000-8000-0000000000b1"
USER_COUNT = 300


def object_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


GROUP_ID = object_id("group:all-staff")


def user_ids(count: int = USER_COUNT) -> list[str]:
    """The first `count` users' object ids, in a stable order."""
    if not 0 <= count <= USER_COUNT:
        raise ValueError(f"count must be between 0 and {USER_COUNT}, got {count}")
    return [object_id(f"user:{i:03d}") for i in range(count)]
