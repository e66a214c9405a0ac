"""Seed documents (JSON or YAML) and the default directory.

A seed is the format README.md describes ("Running it in the foreground") plus the sign-in extras
(certificates, federated credentials, GitHub Actions, managed identities)::

    tenant_id: 7f0c4bd5-0000-4000-8000-000000000001
    domain: contoso.test                # mail = {mailNickname}@{domain}; default contoso.test
    apps:                               # client-credential apps; the ready line reports the first
      - client_id: ...                  # generated when left out
        client_secret: ...              # generated when the key is absent; null: no secret
        roles: [GroupMember.ReadWrite.All]
        display_name: ...
        object_id: ...                  # the service principal's object id (token "oid")
        certificates: [PEM, ...]        # certificate sign-in (client_assertion), matched by thumbprint
        federated_credentials:          # workload identity federation
          - {issuer: https://token.actions.githubusercontent.com, subject: "repo:org/repo:ref:refs/heads/main",
             audiences: [api://AzureADTokenExchange]}
          # issuer "emulator" means the emulator's own issuer (/_emulator/oidc)
    github: {request_token: ..., subject: "repo:org/repo:ref:refs/heads/main"}
    managed_identities:
      - {client_id: ..., object_id: ..., resource_id: ..., roles: [...], system_assigned: true}
    identity_header: ...                # the X-IDENTITY-HEADER value the MSI endpoint expects
    users: [{id: ..., displayName: Alice, userPrincipalName: alice@contoso.test}]
    groups: [{id: ..., displayName: Devs, mailNickname: devs, securityEnabled: true, mailEnabled: false,
              groupTypes: [], members: [ids], owners: [ids]}]
    devices: [...]
    servicePrincipals: [...]
    orgContacts: [...]                  # ("contacts" accepted too)
    administrativeUnits: [{id: ..., displayName: Paris, members: [ids], isMemberManagementRestricted: false}]
    roleAssignments:                    # Entra roles (roles.py): a built-in role's template id at "/" or a unit
      - {principalId: ..., roleDefinitionId: fdd7a751-b60b-444a-984c-02652fe8fa1c,
         directoryScopeId: /administrativeUnits/...}
    # users[].password: the user signs in with it (usersignin.py: az login -u -p)

Any ``id`` left out is generated. Members and owners may name objects anywhere in the document or
already in the directory. Seeding is atomic: a bad document changes nothing.
"""

from __future__ import annotations

import json
import secrets
import uuid
from pathlib import Path

from . import admin_docs, groups, roles, rules, tls, usersignin

DEFAULT_TENANT_ID = "7f0c4bd5-0000-4000-8000-000000000001"
DEFAULT_DOMAIN = "contoso.test"
DEFAULT_CLIENT_ID = "7f0c4bd5-0000-4000-8000-00000000a001"
DEFAULT_APP_OBJECT_ID = "7f0c4bd5-0000-4000-8000-00000000a002"
DEFAULT_SYSTEM_MI = {"client_id": "7f0c4bd5-0000-4000-8000-00000000b001",
                     "object_id": "7f0c4bd5-0000-4000-8000-00000000b002", "system_assigned": True,
                     "display_name": "system-assigned identity"}
DEFAULT_USER_MI = {"client_id": "7f0c4bd5-0000-4000-8000-00000000b011",
                   "object_id": "7f0c4bd5-0000-4000-8000-00000000b012", "system_assigned": False,
                   "resource_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
                                  "Microsoft.ManagedIdentity/userAssignedIdentities/pulumi",
                   "display_name": "user-assigned identity"}
DEFAULT_GITHUB_SUBJECT = "repo:contoso/infra:ref:refs/heads/main"
DEFAULT_FEDERATED_SUBJECT = "system:serviceaccount:default:pulumi"
# Everything every resource can use (docs/permissions.md): the default app's roles. Device,
# service principal and contact members need their type's permission on top of GroupMember.ReadWrite.All.
PROVIDER_ROLES = ["GroupMember.ReadWrite.All", "Group.ReadWrite.All", "AdministrativeUnit.ReadWrite.All",
                  "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Group.Create",
                  "Device.ReadWrite.All", "Application.ReadWrite.All", "OrgContact.Read.All"]

COLLECTIONS = {
    "users": "user",
    "groups": "group",
    "devices": "device",
    "servicePrincipals": "servicePrincipal",
    "orgContacts": "orgContact",
    "contacts": "orgContact",
    "administrativeUnits": "administrativeUnit",
}


class SeedError(ValueError):
    """A seed document that cannot be loaded; the message says what to fix."""


def load_file(path: str | Path) -> dict:
    text = Path(path).read_text()
    if str(path).endswith(".json"):
        doc = json.loads(text)
    else:
        import yaml

        doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise SeedError(f"{path}: a seed is a mapping at the top level")
    return doc


def _defaults(kind: str, obj_id: str, props: dict, domain: str) -> dict:
    name = props.get("displayName") or f"{kind} {obj_id[:8]}"
    if kind == "group":
        p = dict(props)
        p.setdefault("displayName", name)
        p.setdefault("mailNickname", "".join(c for c in name if rules.mail_nickname_valid(c)) or obj_id[:8])
        p.setdefault("securityEnabled", not rules.is_unified(p) or False)
        return groups.with_defaults(obj_id, p, domain)
    nick = "".join(c for c in name.lower() if c.isalnum()) or obj_id[:8]
    base = {
        "user": {"businessPhones": [], "displayName": name, "givenName": None, "jobTitle": None, "mail": None,
                 "mobilePhone": None, "officeLocation": None, "preferredLanguage": None, "surname": None,
                 "userPrincipalName": f"{nick}@{domain}"},
        "device": {"accountEnabled": True, "deviceId": str(uuid.uuid5(uuid.NAMESPACE_OID, obj_id)),
                   "displayName": name, "operatingSystem": "Windows", "operatingSystemVersion": None,
                   "trustType": None},
        "servicePrincipal": {"accountEnabled": True, "appId": str(uuid.uuid5(uuid.NAMESPACE_URL, obj_id)),
                             "appDisplayName": name, "displayName": name, "servicePrincipalType": "Application"},
        "orgContact": {"displayName": name, "mail": f"{nick}@partner.test", "mailNickname": nick, "givenName": None,
                       "surname": None, "companyName": None},
        "administrativeUnit": {"displayName": name, "description": None, "visibility": None,
                               "isMemberManagementRestricted": False},
    }[kind]
    base.update({k: v for k, v in props.items() if k not in ("id", "members", "owners", "password")})
    if kind == "servicePrincipal":  # Graph lists the app id among a service principal's names
        base.setdefault("servicePrincipalNames", [base["appId"]])
    return base


def _normalise_app(app: dict) -> dict:
    app = dict(app)
    app["client_id"] = str(app.get("client_id") or uuid.uuid4()).lower()
    if "client_secret" not in app:
        app["client_secret"] = secrets.token_urlsafe(30)
    app.setdefault("roles", list(PROVIDER_ROLES))
    app["object_id"] = str(app.get("object_id") or uuid.uuid5(uuid.NAMESPACE_OID, app["client_id"])).lower()
    app.setdefault("display_name", f"app {app['client_id'][:8]}")
    certs = app.get("certificates") or []
    if isinstance(certs, str):
        certs = [certs]
    app["certificates"] = certs
    app["federated_credentials"] = list(app.get("federated_credentials") or [])
    return app


def _normalise_mi(mi: dict) -> dict:
    mi = dict(mi)
    mi["client_id"] = str(mi.get("client_id") or uuid.uuid4()).lower()
    mi["object_id"] = str(mi.get("object_id") or uuid.uuid4()).lower()
    mi.setdefault("roles", list(PROVIDER_ROLES))
    mi["system_assigned"] = bool(mi.get("system_assigned", False))
    return mi


def apply(store, doc: dict) -> dict:
    """Load a seed into the directory (upsert); returns the ids per collection, in document order.

    The document is checked whole first (admin_docs.py); what needs the directory (an object that
    would change type, links to objects that are nowhere) is checked inside the transaction,
    which a refusal rolls back."""
    try:
        admin_docs.check_seed(doc)
    except admin_docs.AdminDocError as exc:
        raise SeedError(str(exc)) from None
    summary: dict = {}
    with store.tx():
        if doc.get("tenant_id"):
            store.set_meta("tenant_id", doc["tenant_id"].lower())
        if doc.get("domain"):
            store.set_meta("domain", doc["domain"])
        domain = store.get_meta("domain", DEFAULT_DOMAIN)
        if doc.get("github"):
            github = dict(store.get_meta("github") or {})
            github.update({k: v for k, v in doc["github"].items() if v is not None})
            store.set_meta("github", github)
        if doc.get("identity_header"):
            store.set_meta("identity_header", str(doc["identity_header"]))
        apps = [_normalise_app(a) for a in doc.get("apps") or []]
        mis = [_normalise_mi(m) for m in doc.get("managed_identities") or []]
        for principal_kind, entries in (("app", apps), ("mi", mis)):
            for entry in entries:
                other = store.get_principal(entry["client_id"])
                if other is not None and store.get_principal(entry["client_id"], principal_kind) is None:
                    raise SeedError(f"client_id {entry['client_id']} is taken by another kind of principal")
        for app in apps:
            store.put_principal("app", app)
        if apps:
            summary["apps"] = [a["client_id"] for a in apps]
        if sum(m["system_assigned"] for m in mis) > 1:
            raise SeedError("managed_identities: at most one is system-assigned")
        if any(m["system_assigned"] for m in mis):
            # A host has one system-assigned identity: the seeded one replaces any other.
            for old in store.list_principals("mi"):
                if old.get("system_assigned"):
                    store.delete_principal(old["client_id"])
        for mi in mis:
            store.put_principal("mi", mi)

        pending_links: list[tuple[str, str, str]] = []
        for collection, kind in COLLECTIONS.items():
            ids = []
            for entry in doc.get(collection) or []:
                obj_id = str(entry.get("id") or uuid.uuid4()).lower()
                existing = store.get_object(obj_id)
                if existing is not None and existing.kind != kind:
                    # An id names one object for its life; a seed updates it, never turns it into another type.
                    raise SeedError(f"{collection}: {obj_id} is a {existing.kind} already; a seed cannot change its type")
                store.put_object(kind, _defaults(kind, obj_id, entry, domain), obj_id)
                if kind == "user" and entry.get("password"):
                    usersignin.set_password(store, obj_id, entry["password"])
                ids.append(obj_id)
                for rel in ("members", "owners"):
                    for member in entry.get(rel) or []:
                        pending_links.append((obj_id, rel, str(member).lower()))
            if ids:
                summary.setdefault(collection, []).extend(ids)
        for container_id, rel, member_id in pending_links:
            container = store.get_object(container_id)
            member = store.get_object(member_id)
            if member is None:
                raise SeedError(f"{container_id} lists {rel} {member_id}, which is not in the directory")
            if container.kind == "administrativeUnit" and rel == "owners":
                raise SeedError("administrative units have no owners")
            if container_id == member_id or not rules.member_type_allowed(
                    container.kind, container.props, rel, member.kind, member.props):
                raise SeedError(f"{container.kind} {container_id} cannot hold {member.kind} {member_id} as {rel}")
            store.add_link(container_id, rel, member_id)
        for assignment in doc.get("roleAssignments") or []:
            scope = assignment.get("directoryScopeId") or "/"
            for what, obj_id in (("principalId", assignment["principalId"]), ("directoryScopeId", scope[21:])):
                if obj_id and store.get_object(obj_id.lower()) is None:
                    raise SeedError(f"roleAssignments: {what} {obj_id} is not in the directory")
        if doc.get("roleAssignments"):
            summary["roleAssignments"] = roles.add_assignments(store, doc["roleAssignments"])
    return summary


def ensure_defaults(store, tls_dir) -> None:
    """The default tenant, app, managed identities and GitHub settings, unless already present."""
    with store.tx():
        if not store.get_meta("tenant_id"):
            store.set_meta("tenant_id", DEFAULT_TENANT_ID)
        if not store.get_meta("domain"):
            store.set_meta("domain", DEFAULT_DOMAIN)
        if not store.get_meta("identity_header"):
            store.set_meta("identity_header", secrets.token_urlsafe(24))
        github = store.get_meta("github") or {}
        if not github.get("request_token"):
            github = {"subject": DEFAULT_GITHUB_SUBJECT, **github, "request_token": secrets.token_urlsafe(24)}
            store.set_meta("github", github)
        if not store.list_principals("app"):
            cert_pem = client_certificate(tls_dir)[1]
            store.put_principal("app", _normalise_app({
                "client_id": DEFAULT_CLIENT_ID, "object_id": DEFAULT_APP_OBJECT_ID, "display_name": "msgraph-emulator",
                "roles": list(PROVIDER_ROLES), "certificates": [cert_pem],
                "federated_credentials": [
                    {"issuer": "https://token.actions.githubusercontent.com",
                     "subject": github.get("subject", DEFAULT_GITHUB_SUBJECT),
                     "audiences": ["api://AzureADTokenExchange"]},
                    {"issuer": "emulator", "subject": DEFAULT_FEDERATED_SUBJECT,
                     "audiences": ["api://AzureADTokenExchange"]},
                ],
            }))
        if not store.list_principals("mi"):
            store.put_principal("mi", _normalise_mi(DEFAULT_SYSTEM_MI))
            store.put_principal("mi", _normalise_mi(DEFAULT_USER_MI))


def client_certificate(tls_dir) -> tuple[Path, str]:
    """``client.pem`` (key + certificate, made by ``tls.ensure_tls``); (path, certificate PEM)."""
    path = Path(tls_dir) / "client.pem"
    if not path.exists():
        tls.ensure_tls(tls_dir)
    text = path.read_text()
    start = text.index("-----BEGIN CERTIFICATE-----")
    return path, text[start:]
