"""What every membership provider shares: configuration, the shared Graph client, input
validation that tolerates unknowns, and turning Graph errors into messages that say what to
change; and the base of resource classes that share arguments (`MembershipResource`).

The provider object is pickled into state by reference (the class lives in this installed
package) and must hold nothing: settings and clients are built in the provider process, in
`configure()` or on first use (docs/guarantees.md, "Secrets, tokens and TLS").
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, Resource, ResourceProvider
from pulumi.output import Unknown

from ..graph import errors as E
from ..graph.errors import docs_link, plain_name
from ..graph.rules import is_guid

if TYPE_CHECKING:
    from ..graph.client import GraphClient
    from ..graph.rules import GroupInfo

log = logging.getLogger("msgraph_membership")

UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi.runtime.rpc.UNKNOWN


def is_unknown(v: Any) -> bool:
    return isinstance(v, Unknown) or v == UNKNOWN_SENTINEL


def has_unknown(v: Any) -> bool:
    if is_unknown(v):
        return True
    if isinstance(v, (list, tuple)):
        return any(has_unknown(x) for x in v)
    return False


@plain_name
class ApplyError(Exception):
    """A create, update or delete could not finish; the message says what to change."""


@plain_name
class InputError(Exception):
    """A resource argument Graph would refuse, found before any write."""

    def __init__(self, prop: str, reason: str):
        super().__init__(f"{prop}: {reason}")
        self.prop = prop
        self.reason = reason


# -- argument checks: each returns (normalised value, problem or None) ----------------------------

def kind_of(value: Any) -> str:
    """How a problem names a value that is not of the type asked for: a number as a number
    (Pulumi's wire format has one number type, so 12 reaches a provider as 12.0), else its type."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"a number ({int(value) if float(value).is_integer() else value})"
    return {bool: "a boolean", dict: "an object", list: "a list", tuple: "a list"}.get(type(value), type(value).__name__)


def check_guid(value: Any, what: str = "a directory object id") -> tuple[Any, str | None]:
    if value is None or value == "":
        return value, f"is required: give {what} (a GUID such as 00000000-0000-0000-0000-000000000000)"
    if not isinstance(value, str):
        return value, f"must be a string GUID ({what}), got {kind_of(value)}"
    v = value.strip().lower()
    if not is_guid(v):
        shown = value if len(value) <= 80 else value[:77] + "..."
        return value, (f"{shown!r} is not a GUID or a reference by name; give {what} as an object id, "
                       "a user's sign-in name (alice@contoso.com) or a prefixed name (group:, nickname:, mail:, "
                       "app:, sp:, device:, unit:)" + docs_link("resources.md#references-by-name"))
    return v, None


MAX_LIST = 100_000  # measured through the CLI with quotas on: bench/README.md, "100,000 members"


def check_guid_list(value: Any, what: str = "directory object ids") -> tuple[Any, list[str]]:
    """A list of GUIDs, order and duplicates free: returns (sorted unique list, problems)."""
    if value is None:
        return [], []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        return value, [f"must be a list of {what}, got {kind_of(value)}"]
    if len(value) > MAX_LIST:
        return value, [f"has {len(value)} entries; at most {MAX_LIST} are supported in one resource"]
    out, problems = set(), []
    for i, item in enumerate(value):
        if is_unknown(item):
            continue
        if isinstance(item, (list, tuple, dict)):
            problems.append(f"[{i}] is a nested {type(item).__name__}; give a flat list of GUIDs")
            continue
        v, p = check_guid(item, what[:-1] if what.endswith("s") else what)
        if p:
            problems.append(f"[{i}] {p}")
        else:
            out.add(v)
    return sorted(out), problems


def check_bool(value: Any, default: bool) -> tuple[Any, str | None]:
    if value is None:
        return default, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true", None
    return value, f"must be true or false, got {value!r}"


def writable_group(client: "GraphClient", group_id: str, prop: str = "group_id") -> "GroupInfo":
    """The group, once the directory confirms its members can be changed by this app: it
    exists, Graph can change its members (not dynamic, mail-enabled or synchronised), and a
    role-assignable group comes with RoleManagement.ReadWrite.Directory. Raises InputError
    naming `prop`."""
    group = client.get_group(group_id)
    if group is None:
        raise InputError(prop, f"group {group_id} does not exist in the directory "
                               "(check the id, and that the app can read groups)")
    problem = group.membership_problem() or client.write_permission_problem(group)
    if problem:
        raise InputError(prop, problem)
    return group


# -- what the app's permissions allow (docs/permissions.md) ------------------------------------------

_warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_missing_permission(permission: str, skipped: str) -> None:
    """One warning per provider process naming the permission that would enable `skipped`."""
    with _warned_lock:
        if permission in _warned:
            return
        _warned.add(permission)
    import pulumi

    pulumi.log.warn(f"msgraph: {skipped} was skipped: the app lacks the application permission {permission}. "
                    f"Grant {permission} (admin consent) to have it checked before any write; the "
                    "changes themselves do not need it")


def member_types(client: "GraphClient", ids: list[str]) -> dict[str, str] | None:
    """id -> member type for the ids that exist, or None when the app may not resolve ids.

    Resolving ids of any type goes through POST /directoryObjects/getByIds, whose only
    application permission is Directory.Read.All
    (https://learn.microsoft.com/graph/api/directoryobject-getbyids). Without it the checks
    that need types are skipped, with one warning; Graph still refuses a bad member on write."""
    try:
        return client.object_types(ids)
    except E.Forbidden:
        warn_missing_permission("Directory.Read.All", "checking that members exist and can join")
        return None


def member_type_problem(client: "GraphClient", member_id: str, member_type: str | None) -> str | None:
    """Why the app cannot add this member to a group, when its token says so: devices, service
    principals and contacts need their type's permission too
    (https://learn.microsoft.com/graph/api/group-post-members)."""
    from ..graph.rules import MEMBER_TYPE_PERMISSION

    needed = MEMBER_TYPE_PERMISSION.get(member_type or "")
    if not needed:
        return None
    roles = client.app_roles()
    if roles is None or needed in roles:
        return None
    return (f"object {member_id} is a {member_type}: adding it to a group needs the application permission "
            f"{needed} besides GroupMember.ReadWrite.All, which the app's token does not carry; grant it "
            "(admin consent) or leave this member out")


def group_type_fallback(client: "GraphClient", object_id: str) -> str | None:
    """'group' when `object_id` is a group the app can read (GET /groups/{id}, which the group
    permissions allow), else None: the part of the type check the app can still make."""
    return "group" if client.get_group(object_id) is not None else None


# What each resource needs for preview, up, refresh and destroy, as groups of alternatives (any one
# of a group will do; the first is the least privileged). docs/permissions.md derives these from
# each call's Microsoft Learn page; the emulator enforces the same pages.
_GROUP_MEMBER_WRITES = ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
_UNIT_READS = ("AdministrativeUnit.Read.All", "AdministrativeUnit.ReadWrite.All", "Directory.Read.All",
               "Directory.ReadWrite.All")
REQUIRED_PERMISSIONS: dict[str, list[tuple[str, ...]]] = {
    "GroupMemberProvider": [_GROUP_MEMBER_WRITES],
    "GroupMembersProvider": [_GROUP_MEMBER_WRITES],
    "MemberOfProvider": [_GROUP_MEMBER_WRITES],
    "AdministrativeUnitMemberProvider": [("AdministrativeUnit.ReadWrite.All",)],
    "AdministrativeUnitMembersProvider": [("AdministrativeUnit.ReadWrite.All",)],
    # group-delete takes Group.ReadWrite.All only; creating in a unit pairs it with a unit read.
    "AdministrativeUnitGroupProvider": [("Group.ReadWrite.All",), _UNIT_READS],
    # group-post-owners and group-delete-owners: GroupMember.ReadWrite.All does not change owners.
    "GroupOwnerProvider": [("Group.ReadWrite.All", "Directory.ReadWrite.All")],
    "GroupOwnersProvider": [("Group.ReadWrite.All", "Directory.ReadWrite.All")],
}


def missing_permissions(roles: set[str] | None, resource: str) -> list[str]:
    """The least privileged permission of each requirement the token's roles meet in no way
    ([] when the token does not list roles, as a delegated token does not)."""
    if roles is None:
        return []
    return [alts[0] for alts in REQUIRED_PERMISSIONS.get(resource, []) if not roles & set(alts)]


_member_of_refused: "weakref.WeakSet" = weakref.WeakSet()  # clients whose memberOf reads were refused


def groups_holding(client: "GraphClient", member_id: str, group_ids, *, wait: bool = False) -> set[str]:
    """The groups `member_id` is a direct member of: all of them when the app may read the
    member's memberOf, else those of `group_ids` whose member listing shows it.

    GET /directoryObjects/{id}/memberOf is granted per member type (for a user, Directory.Read.All:
    https://learn.microsoft.com/graph/api/user-list-memberof); the group listings need only the
    group permissions the writes already need (https://learn.microsoft.com/graph/api/group-list-members).
    With `wait`, a membership missing from a listing is looked at again for a short bound."""
    from ..graph.rules import GROUPS

    group_ids = sorted(set(group_ids))
    if client not in _member_of_refused:
        try:
            return client.member_of_after_wait(member_id, group_ids) if wait else client.member_of(member_id)
        except E.Forbidden:
            _member_of_refused.add(client)
            log.info("memberOf of %s refused; reading the listings of the groups instead", member_id)

    def holds(g: str) -> bool:
        try:
            if wait:
                return not client.still_absent(GROUPS, g, member_id)
            return member_id in client.member_ids(GROUPS, g)
        except E.NotFound:
            return False

    return {g for g, held in zip(group_ids, client.t.map_bounded(holds, group_ids)) if held}


def graph_message(e: E.GraphError, *, hint: str | None = None) -> str:
    """A user-facing message for a Graph failure: what Graph said and what to change."""
    parts = [str(e)]
    if isinstance(e, E.Forbidden) and hint:
        parts.append(hint)
    if e.request_id:
        parts.append(f"(request-id {e.request_id})")
    return "; ".join(parts)


_logging_ready = False


def setup_logging() -> None:
    """Send this package's log lines to stderr in the provider process, at MSGRAPH_LOG_LEVEL
    (default WARNING). Lines carry method, path, status and timing: never a header or a token."""
    global _logging_ready
    if _logging_ready:
        return
    _logging_ready = True
    level = os.environ.get("MSGRAPH_LOG_LEVEL", "WARNING").upper()
    logger = logging.getLogger("msgraph_membership")
    logger.setLevel(getattr(logging, level, logging.WARNING))
    if not logger.handlers:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(logging.Formatter("msgraph-membership %(levelname)s %(message)s"))
        logger.addHandler(h)


class MembershipProvider(ResourceProvider):
    """Base of every provider here: configuration and the shared client, nothing stored."""

    # The pickled provider holds no secret (a test asserts it), so state need not encrypt it and
    # large stacks do not carry one secret per resource.
    serialize_as_secret_always = False

    def __getstate__(self) -> dict:
        # Whatever this process attached (config, client, tokens) is process-local: the pickled
        # provider in state is always just a reference to the class.
        return {}

    def __setstate__(self, state: dict) -> None:
        pass

    def configure(self, req: ConfigureRequest) -> None:
        # Runs in the provider process only; attributes set here never reach state.
        setup_logging()
        self._config_get: Callable[[str], Any] = req.config.get
        self._client = None

    @property
    def client(self) -> "GraphClient":
        """The process-wide Graph client for the configured identity (built on first use)."""
        c = getattr(self, "_client", None)
        if c is None:
            from ..graph.client import client_for
            from ..graph.settings import resolve_settings

            c = self._client = client_for(resolve_settings(getattr(self, "_config_get", None)))
            c.notice = pulumi.log.info  # notices reach the user in Pulumi's output
        return c

    # -- check: references by name first (_refs.py), then the resource's own checks ------------------

    reference_args: tuple = ()  # the arguments that take directory objects (_refs.ReferenceArg)

    def check(self, olds: dict, news: dict) -> CheckResult:
        """Resolve references by name in `reference_args` to object ids, then `check_inputs`.
        The checked inputs keep `__references` (written -> object id) when there were any."""
        from ..graph.staleness import program_ran
        from ._refs import INPUT_REFERENCES, resolve_arguments

        program_ran()  # this process runs the current configuration (not the state's copy)

        resolved, references, problems = resolve_arguments(self, olds, news, self.reference_args)
        if problems:
            return self.check_result({k: v for k, v in news.items() if k != "__provider"}, problems)
        result = self.check_inputs(olds, resolved)
        if references:
            result.inputs[INPUT_REFERENCES] = references
        return result

    def check_inputs(self, olds: dict, news: dict) -> CheckResult:
        """The resource's own checks, on arguments whose references are already object ids."""
        raise NotImplementedError

    # -- helpers for subclasses ---------------------------------------------------------------------

    @staticmethod
    def check_result(inputs: dict, problems: list[tuple[str, str]]) -> CheckResult:
        # A problem of the provider (its configuration, sign-in) belongs to no input: with no property the
        # engine says "<type> resource '<name>' has a problem: ...", not "property provider value {<nil>}".
        return CheckResult(inputs, [CheckFailure("" if p == "provider" else p, r) for p, r in problems])

    @staticmethod
    def changed(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Iterable[str]) -> bool:
        return any(olds.get(k) != news.get(k) for k in keys)

    def directory_problems(self, olds: Mapping[str, Any], news: Mapping[str, Any],
                           keys: Iterable[str], validate: Callable[[], list[tuple[str, str]]]) -> list[tuple[str, str]]:
        """Run directory validation only for new or changed inputs that are all known: an
        unchanged resource costs no Graph call at preview."""
        keys = list(keys)
        if any(has_unknown(news.get(k)) for k in keys):
            return []
        if olds and not self.changed(olds, news, keys):
            return []
        try:
            missing = missing_permissions(self.client.app_roles(), type(self).__name__)
            if missing:  # every later step would be refused: say so now, naming what to grant
                return [("provider", f"the app's token lacks the application permission {' and '.join(missing)}, "
                                     "which this resource needs to create, read and delete; grant it with admin "
                                     "consent (see the permissions section of the README)")]
            return validate()
        except InputError as e:
            return [(e.prop, e.reason)]
        except E.ConfigurationError as e:
            return [("provider", f"configuration: {e}")]
        except E.AuthenticationError as e:
            return [("provider", f"sign-in failed: {e}")]
        except E.Forbidden as e:
            return [("provider", graph_message(e, hint="the app most likely lacks GroupMember.Read.All (groups) or "
                                                        "AdministrativeUnit.Read.All (units) to read the directory; "
                                                        "grant one (admin consent)" + docs_link("permissions.md")))]
        except E.GraphError as e:  # throttled or unavailable past every retry, or refused
            return [("provider", f"could not check the directory: {graph_message(e)}")]


class MembershipResource(Resource):
    """Base of resource classes that share arguments and outputs (_single.py, _batch.py). Each
    class still lists every output among its own annotations, its own first: documentation and
    tools read a resource class's `__annotations__`."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        shared = {k: v for base in reversed(cls.__mro__[1:]) if issubclass(base, MembershipResource)
                  for k, v in vars(base).get("__annotations__", {}).items()}
        cls.__annotations__ = {**vars(cls).get("__annotations__", {}), **shared}
