"""The Azure Resource Manager *metadata endpoint* of a custom cloud, served by the emulator.

Clients that support custom clouds (terraform-provider-azuread's ``metadata_host`` /
``ARM_METADATA_HOSTNAME``, the Azure CLI's ``az cloud register --endpoint-resource-manager``) read
``GET https://{host}/metadata/endpoints?api-version=...`` and take from it the sign-in host
(``authentication.loginEndpoint``) and Microsoft Graph (``microsoftGraphResourceId``, both the base
URL and the token resource). The emulator answers with itself for both, so such a client signs in
and calls Graph here.

Shapes: api-version ``2022-09-01`` returns one cloud object; ``2019-05-01`` returns an array of
clouds (the formats of https://management.azure.com/metadata/endpoints). Other
versions, or none, get ARM's 400 ``InvalidApiVersionParameter`` / ``MissingApiVersionParameter``
(https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors).
Services the emulator does not provide (storage, key vault, ...) are left out.
"""

from __future__ import annotations

from .wire import Request, Response

CLOUD_NAME = "MsgraphEmulator"
SUPPORTED_API_VERSIONS = ("2019-05-01", "2022-09-01")
MISSING_API_VERSION = "The api-version query parameter (?api-version=) is required for all requests."
INVALID_API_VERSION = "The api-version '{version}' is invalid. The supported versions are '{supported}'."


def arm_error(status: int, code: str, message: str) -> Response:
    return Response.json(status, {"error": {"code": code, "message": message}})


def arm_refusal(req: Request, supported: tuple[str, ...]) -> Response | None:
    """ARM's answer to a request it refuses before reading it (a method other than GET, a missing or
    unknown api-version), or None."""
    if req.method != "GET":
        return arm_error(405, "MethodNotAllowed", f"The requested resource does not support http method '{req.method}'.")
    version = req.query.get("api-version")
    if not version:
        return arm_error(400, "MissingApiVersionParameter", MISSING_API_VERSION)
    if version not in supported:
        return arm_error(400, "InvalidApiVersionParameter",
                         INVALID_API_VERSION.format(version=version, supported=", ".join(supported)))
    return None


def cloud_document(host: str) -> dict:
    """The cloud object for an emulator reached at ``host`` (``HOST:PORT``)."""
    base = f"https://{host}"
    return {
        "portal": base,
        "authentication": {"loginEndpoint": base, "audiences": [f"{base}/"], "tenant": "common",
                           "identityProvider": "AAD"},
        "name": CLOUD_NAME,
        "suffixes": {},
        "resourceManager": f"{base}/",
        "microsoftGraphResourceId": f"{base}/",
    }


def metadata_endpoints(req: Request) -> Response:
    """``GET /metadata/endpoints?api-version=...``."""
    refused = arm_refusal(req, SUPPORTED_API_VERSIONS)
    if refused is not None:
        return refused
    doc = cloud_document(req.host)
    return Response.json(200, doc if req.query.get("api-version") == "2022-09-01" else [doc])
