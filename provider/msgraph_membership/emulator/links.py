"""The rules of links: members and owners of groups and administrative units (docs/graph-behaviour.md §1.1-§1.4, §1.9).

``LinkRules`` is part of the directory model (directory.py ``Directory``): who may add or remove a
link, which member types a container takes (rules.py), the 20-link limit of a body's
``@odata.bind``s, "already exist", the answers under replication lag (docs/graph-behaviour.md
§1.4, §5), and the owner rules of owners.py (§1.9).
"""

from __future__ import annotations

from . import errors, odata, odata_query, owners, query_support as qs, rules
from .groups import BINDS
from .model import Listing

LINK_LIMIT = 20  # docs/graph-behaviour.md §1.2: members and owners link changes per request
_RESTRICTED_UNIT = "restricted-management administrative unit"


def restricted_unit_refuses(unit: dict, group: dict, *, mail_enabled_counts: bool) -> bool:
    """A restricted-management administrative unit takes security groups only
    (https://learn.microsoft.com/entra/identity/role-based-access-control/admin-units-restricted-management)."""
    return bool(unit.get("isMemberManagementRestricted")) and (
        rules.is_unified(group) or (mail_enabled_counts and bool(group.get("mailEnabled")))
        or not group.get("securityEnabled"))


def restricted_unit_error(rel: str) -> errors.GraphError:
    return errors.bad_request(errors.UNSUPPORTED_MEMBER_TYPE.format(
        container=_RESTRICTED_UNIT, member_type="group", prop=rel))


class LinkRules:
    """Mixed into ``Directory``; uses its ``store``, ``load``, ``referenced`` and ``visible``."""

    def resolve_binds(self, who, payload, body: dict, container_kind: str, container_id: str | None,
                      container: dict, check_existing: bool) -> list[tuple[str, str]]:
        """Validate every ``*@odata.bind`` of a body as one unit (docs/graph-behaviour.md §1.2 atomicity); ``[(rel, id)]``."""
        refs: list[tuple[str, object]] = []
        for key in BINDS:
            if key not in body:
                continue
            values = body[key]
            if not isinstance(values, list):
                raise errors.bad_request(errors.INVALID_URL_IN_PAYLOAD, code="BadRequest")
            rel = key.split("@")[0]
            refs.extend((rel, v) for v in values)
        if len(refs) > LINK_LIMIT:
            raise errors.bad_request(errors.TOO_MANY_LINK_CHANGES)
        parsed = [(rel, *payload.ref(value, rel)) for rel, value in refs]
        objs = [(rel, self.referenced(who, obj_id, kind)) for rel, obj_id, kind in parsed]
        if container_kind == "group":
            for rel, obj in objs:
                if rel == "members":
                    rules.require_member_type(who.roles, obj.kind)
        for rel, obj in objs:
            if container_id is not None:
                rules.check_member_type(container_kind, container_id, container, rel, obj.kind, obj.id, obj.props)
            elif not rules.member_type_allowed(container_kind, container, rel, obj.kind, obj.props):
                rules.check_member_type(container_kind, "", container, rel, obj.kind, obj.id, obj.props)
        seen = set()
        for rel, obj in objs:
            if (rel, obj.id) in seen or (check_existing and self.store.is_linked(container_id, rel, obj.id)):
                raise errors.bad_request(errors.ALREADY_EXISTS.format(prop=rel))
            seen.add((rel, obj.id))
        return [(rel, obj.id) for rel, obj in objs]

    def _link_container(self, who, container_kind: str, raw_id: str, rel: str, remove: bool = False):
        """The container of a link write, once the caller may change that link (the 403s)."""
        container = self.load(who, raw_id, (container_kind,), write=True)
        if container.kind == "administrativeUnit":
            rules.require(who.roles, "administrativeUnit.members.remove" if remove else "administrativeUnit.members.add")
            self.judge_unit_members(who, container)
            return container
        rules.require(who.roles, f"group.{rel}.{'remove' if remove else 'add'}")
        if rel == "members":
            rules.check_member_writable(container.props, who.roles)
            self.judge_group_members(who, container)
        else:
            owners.check_owners_writable(container.props, who.roles)
        return container

    def refuse_post_members(self, who, container_kind: str, raw_id: str, rel: str) -> None:
        """docs/graph-behaviour.md §1.3: ``POST .../members`` is not a way to add an existing object."""
        self._link_container(who, container_kind, raw_id, rel)
        raise errors.bad_request(errors.INVALID_URL_IN_PAYLOAD, code="BadRequest")

    def refuse_delete_without_ref(self, who, container_kind: str, raw_id: str, rel: str) -> None:
        """docs/graph-behaviour.md §1.4: without ``$ref`` Graph would delete the object itself; refuse like an app without rights."""
        self._link_container(who, container_kind, raw_id, rel, remove=True)
        raise errors.denied()

    def add_link(self, who, container_kind: str, raw_id: str, rel: str, payload) -> None:
        container = self._link_container(who, container_kind, raw_id, rel)
        body = payload.object()
        value = body.get("@odata.id")
        if container_kind == "administrativeUnit" and (isinstance(value, list) or "members@odata.bind" in body):
            raise errors.bad_request(errors.AU_ONE_AT_A_TIME)  # docs/graph-behaviour.md §1.7: one member at a time
        member = self.referenced(who, *payload.ref(value, rel))
        if container_kind == "group" and rel == "members":
            rules.require_member_type(who.roles, member.kind)
        rules.check_member_type(container_kind, container.id, container.props, rel, member.kind, member.id,
                                member.props)
        if container_kind == "administrativeUnit" and member.kind == "group" and \
                restricted_unit_refuses(container.props, member.props, mail_enabled_counts=True):
            raise restricted_unit_error(rel)
        if not self.store.add_link(container.id, rel, member.id, who.now):
            raise errors.bad_request(errors.ALREADY_EXISTS.format(prop=rel))

    def remove_link(self, who, container_kind: str, raw_id: str, rel: str, member_raw: str) -> None:
        container = self._link_container(who, container_kind, raw_id, rel, remove=True)
        if not rules.is_guid(member_raw):
            raise errors.bad_request(errors.INVALID_OBJECT_ID.format(value=member_raw))
        member_id = member_raw.lower()
        if not self.store.is_linked(container.id, rel, member_id):
            # docs/graph-behaviour.md §1.4: during replication lag a repeated remove answers the 400 form; otherwise 404.
            if who.lag_s > 0 and self.store.removed_since(container.id, rel, member_id, who.now - who.lag_s):
                raise errors.bad_request(errors.REMOVED_DO_NOT_EXIST.format(prop=rel))
            raise errors.not_found(member_raw)
        if rel == "owners":
            owners.check_not_last_owner(self.store.live_link_count(container.id, "owners"))
        self.store.remove_link(container.id, rel, member_id, who.now, keep_history=who.lag_s > 0)
        self._removals += 1
        if self._removals % 200 == 0:
            self.store.purge_history(who.now - max(60.0, 4 * who.lag_s))

    def add_member_of(self, who, raw_id: str, payload) -> None:
        """beta ``POST /groups/{id}/memberOf/$ref`` (docs/graph-behaviour.md §1.9): adds this group to the referenced group.

        v1.0 documents no write on memberOf, while an unfinished beta reference page described one
        (docs/graph-behaviour.md §1.9). Both hold: beta serves it, v1.0 answers 405.
        """
        member = self.load(who, raw_id, ("group",), write=True)
        rules.require(who.roles, "group.members.add")
        body = payload.object()
        target_id, kind = payload.ref(body.get("@odata.id"), "memberOf")
        target = self.referenced(who, target_id, kind)
        if target.kind != "group":
            raise errors.not_found(target_id)
        rules.check_member_writable(target.props, who.roles)
        self.judge_group_members(who, target)
        rules.check_member_type("group", target.id, target.props, "members", "group", member.id, member.props)
        if not self.store.add_link(target.id, "members", member.id, who.now):
            raise errors.bad_request(errors.ALREADY_EXISTS.format(prop="members"))

    # --- reads ----------------------------------------------------------------------------------
    def _link_source(self, who, container_kind: str, raw_id: str):
        container = self.load(who, raw_id, (container_kind,))
        rules.require(who.roles, "administrativeUnit.members.list" if container_kind == "administrativeUnit"
                      else "group.members.list")
        return container

    def get_link(self, who, container_kind: str, raw_id: str, rel: str, member_raw: str):
        """``GET .../members/{id}``: the member, 404 when it is not one."""
        container = self._link_source(who, container_kind, raw_id)
        if not rules.is_guid(member_raw):
            raise errors.bad_request(errors.INVALID_OBJECT_ID.format(value=member_raw))
        member = self.store.get_object(member_raw)
        if member is None or member.id not in self.store.linked_ids(container.id, rel, who.read_at):
            raise errors.not_found(member_raw)
        return member

    def count_links(self, who, container_kind: str, raw_id: str, rel: str, kinds, q) -> int:
        container = self._link_source(who, container_kind, raw_id)
        rules.check_cast(container_kind, rel, kinds)
        odata.reject_unsupported(q.options)
        self.require_count_header(q)
        return self.store.count_links(container.id, rel, who.count_at, kinds)

    def list_links(self, who, container_kind: str, raw_id: str, rel: str, kinds, q):
        """A container's members or owners as a ``Listing``; keyset-paged in the store unless filtered."""
        container = self._link_source(who, container_kind, raw_id)
        rules.check_cast(container_kind, rel, kinds)
        sel = odata_query.collection_options(q.options, q.eventual, kinds, qs.MEMBERS)
        if sel.predicate is not None or sel.order is not None:
            # An advanced query reads the index, which lags like $count (docs/graph-behaviour.md §5).
            at = who.count_at if q.advanced else who.read_at
            found = self.store.get_objects(self.store.linked_ids(container.id, rel, at))
            return Listing.of([o for o in found.values() if (not kinds or o.kind in kinds)
                               and (sel.predicate is None or sel.predicate(o))],
                              filtered=sel.predicate is not None, order=sel.order)

        def fetch(after: str, limit: int):
            return [o for o in self.store.page_links(container.id, rel, who.read_at, after, limit, kinds)
                    if self.visible(o, who)]

        return Listing(fetch, lambda: self.store.count_links(container.id, rel, who.count_at, kinds))
