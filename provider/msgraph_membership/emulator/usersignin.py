"""A person signing in: the token endpoint's resource-owner password and refresh-token grants.

Owns what ``az login -u USER -p PASSWORD`` and the Azure CLI's later token requests
(``az account get-access-token``, which azure-identity's ``AzureCliCredential`` runs) need of the
identity platform, for seeded users that have a ``password``:

- ``grant_type=password`` from a public client (the Azure CLI's first-party app), with
  ``username``, ``password`` and ``scope``
  (https://learn.microsoft.com/entra/identity-platform/v2-oauth-ropc);
- ``grant_type=refresh_token`` with the refresh token that answer carried
  (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token).

Each answer holds a delegated access token (tokens.py ``mint_user``: ``scp``, ``oid``, ``idtyp``
user, ``wids``), an ID token and ``client_info`` (MSAL builds the account from them) and a refresh
token. Errors are the AADSTS ones of docs/graph-behaviour.md §7.1. Passwords are kept as salted
PBKDF2 hashes in the store's metadata (no password is stored or logged as given).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

from . import roles, tokens as tokens_mod
from .wire import Request, Response

AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
# The public clients that may sign a person in, and the Graph scopes Entra puts in their tokens.
# The Azure CLI is a first-party app whose Graph permissions are preauthorized by Microsoft; these
# are the scopes its Graph tokens carry (Directory.AccessAsUser.All among them: the signed-in
# user's own access to the directory, https://learn.microsoft.com/graph/permissions-reference#directoryaccessasuserall).
PUBLIC_CLIENTS = {
    AZURE_CLI: ("Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "AuditLog.Read.All",
                "DelegatedPermissionGrant.ReadWrite.All", "Directory.AccessAsUser.All", "Group.ReadWrite.All",
                "User.Read.All", "User.ReadWrite.All"),
}
# What a token for another resource (the resource manager) carries.
OTHER_RESOURCE_SCOPES = ("user_impersonation",)
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
REFRESH_LIFETIME_S = 90 * 24 * 3600
_PASSWORDS = "passwords"


def _hash(password: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 20_000).hex()


def set_password(store, user_id: str, password: str) -> None:
    salt = os.urandom(16)
    kept = dict(store.get_meta(_PASSWORDS) or {})
    kept[user_id] = f"{salt.hex()}${_hash(password, salt)}"
    store.set_meta(_PASSWORDS, kept)


def password_matches(store, user_id: str, password: str) -> bool:
    kept = (store.get_meta(_PASSWORDS) or {}).get(user_id)
    if not kept:
        return False
    salt, _, digest = kept.partition("$")
    return hmac.compare_digest(_hash(password, bytes.fromhex(salt)), digest)


def _b64(doc: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()


class UserSignIn:
    """The password and refresh-token grants of ``Identity.token`` (identity.py)."""

    def __init__(self, identity):
        self.identity = identity
        self.store = identity.store
        self.tokens = identity.tokens

    def _user(self, username: str):
        wanted = (username or "").lower()
        return next((o for o in self.store.list_objects("user")
                     if (o.props.get("userPrincipalName") or "").lower() == wanted), None)

    def token(self, req: Request, form: dict, aad_error) -> Response:
        grant = form["grant_type"]
        client_id = (form.get("client_id") or "").lower()
        if client_id not in PUBLIC_CLIENTS:
            return aad_error(400, "unauthorized_client", 700016,
                             f"Application with identifier '{client_id}' was not found in the directory "
                             f"'{self.identity.tenant_id}'.", req)
        if grant == "password":
            user = self._user(form.get("username", ""))
            if user is None:
                return aad_error(400, "invalid_grant", 50034,
                                 f"The user account {form.get('username', '')} does not exist in the "
                                 f"{self.identity.tenant_id} directory. To sign into this application, the account "
                                 "must be added to the directory.", req)
            if not password_matches(self.store, user.id, form.get("password", "")):
                return aad_error(400, "invalid_grant", 50126,
                                 "Error validating credentials due to invalid username or password.", req)
        else:
            claims = self.tokens.read_internal(form.get("refresh_token", "")) or {}
            user = self.store.get_object(claims.get("sub", "")) if claims.get("typ") == "refresh" else None
            if user is None or claims.get("client_id") != client_id:
                return aad_error(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.",
                                 req)
        if user.props.get("accountEnabled") is False:
            return aad_error(400, "invalid_grant", 50057, "The user account is disabled.", req)
        return self._answer(req, client_id, user, form.get("scope", ""))

    def _answer(self, req: Request, client_id: str, user, scope: str) -> Response:
        resource = next((s for s in scope.split() if s not in OIDC_SCOPES), "")
        audience = tokens_mod.scope_to_audience(resource) if resource else "00000003-0000-0000-c000-000000000000"
        is_graph = tokens_mod.is_graph_audience(audience, req.host)
        scopes = list(PUBLIC_CLIENTS[client_id] if is_graph else OTHER_RESOURCE_SCOPES)
        tenant = self.identity.tenant_id
        wids = [a["roleDefinitionId"] for a in roles.assignments(self.store)
                if a["principalId"] == user.id and a["directoryScopeId"] == roles.TENANT]
        profile = {**user.props, "id": user.id}
        access, lifetime = self.tokens.mint_user(tenant_id=tenant, audience=audience, appid=client_id, user=profile,
                                                 scopes=scopes, wids=wids,
                                                 lifetime_s=self.identity.faults.token_lifetime())
        now = int(time.time())
        id_token = self.tokens.sign_internal({
            "aud": client_id, "iss": f"https://{req.host}/{tenant}/v2.0", "iat": now, "nbf": now, "exp": now + 3600,
            "name": user.props.get("displayName"), "oid": user.id, "sub": user.id, "tid": tenant, "ver": "2.0",
            "preferred_username": user.props.get("userPrincipalName")})
        refresh = self.tokens.sign_internal({"typ": "refresh", "sub": user.id, "client_id": client_id, "tid": tenant,
                                             "iat": now, "exp": now + REFRESH_LIFETIME_S})
        granted = " ".join(scopes if is_graph else [f"{audience}/{s}" for s in scopes])
        return Response.json(200, {
            "token_type": "Bearer", "scope": granted, "expires_in": lifetime, "ext_expires_in": lifetime,
            "access_token": access, "refresh_token": refresh, "id_token": id_token,
            "client_info": _b64({"uid": user.id, "utid": tenant})},
            headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})
