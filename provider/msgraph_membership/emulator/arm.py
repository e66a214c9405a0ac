"""The little of Azure Resource Manager that a sign-in with the Azure CLI reads, served as ARM
answers a principal that holds no subscription: ``az login --allow-no-subscriptions`` (service
principal or user) lists the tenants and subscriptions of the signed-in principal and then keeps a
tenant-level account. Nothing else of ARM is here: other paths answer ARM's 404.

- ``GET /tenants?api-version=``: the caller's home tenant (TenantListResult,
  https://learn.microsoft.com/rest/api/resources/tenants/list)
- ``GET /subscriptions?api-version=``: no subscriptions, ``{"value": []}`` (SubscriptionListResult,
  https://learn.microsoft.com/rest/api/resources/subscriptions/list)
- ``GET /subscriptions/{id}?api-version=``: ARM's 404 ``SubscriptionNotFound``

Tokens are checked as ARM checks them: a bearer token of this tenant for the resource manager
(``https://management.core.windows.net/``, ``https://management.azure.com/``, or the emulator
itself, which its cloud metadata names as the resource manager), with ARM's 401 codes otherwise
(https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors).
"""

from __future__ import annotations

from .cloudmeta import arm_error, arm_refusal
from .errors import GraphError
from .wire import Request, Response

# The Subscriptions API versions of azure-mgmt-resource (the Azure CLI's client), oldest to newest.
API_VERSIONS = ("2016-06-01", "2018-06-01", "2019-06-01", "2019-11-01", "2020-01-01", "2021-01-01",
                "2022-12-01")
ARM_AUDIENCES = ("https://management.core.windows.net", "https://management.azure.com")


def is_arm_audience(audience, request_host: str | None) -> bool:
    if not isinstance(audience, str):
        return False
    aud = audience.rstrip("/")
    return aud in ARM_AUDIENCES or (bool(request_host) and aud == f"https://{request_host}")


def _unauthorized(authorization: str | None, err: GraphError) -> Response:
    if not authorization:
        return arm_error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
    if "audience" in err.message:
        return arm_error(401, "InvalidAuthenticationTokenAudience",
                         "The access token has been obtained for wrong audience or resource. It should exactly "
                         f"match with one of the allowed audiences {', '.join(repr(a + '/') for a in ARM_AUDIENCES)}.")
    if "expired" in err.message:
        return arm_error(401, "ExpiredAuthenticationToken",
                         "The access token expiry UTC time is earlier than current UTC time.")
    return arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.")


def handle(req: Request, segs: list[str], tokens, store) -> Response:
    """An ARM request whose first path segment is ``tenants`` or ``subscriptions``."""
    refused = arm_refusal(req, API_VERSIONS)
    if refused is not None:
        return refused
    authorization = req.header("authorization")
    try:
        claims = tokens.verify_bearer(authorization, lambda aud: is_arm_audience(aud, req.host))
    except GraphError as err:
        return _unauthorized(authorization, err)
    if segs == ["tenants"]:
        tenant, domain = claims["tid"], store.get_meta("domain", "contoso.test")
        return Response.json(200, {"value": [{
            "id": f"/tenants/{tenant}", "tenantId": tenant, "tenantCategory": "Home", "countryCode": "US",
            "displayName": domain,
            "domains": [domain], "defaultDomain": domain, "tenantType": "AAD"}]})
    if segs == ["subscriptions"]:
        return Response.json(200, {"value": []})
    if segs[0] == "subscriptions":
        return arm_error(404, "SubscriptionNotFound", f"The subscription '{segs[1]}' could not be found.")
    return arm_error(404, "NotFound", "The requested resource was not found.")
