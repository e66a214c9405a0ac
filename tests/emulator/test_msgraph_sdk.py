"""The official Microsoft Graph Python SDK against the emulator: a client none of us wrote.

How it is pointed at the emulator: azure-identity's ``ClientSecretCredential`` with
``authority=`` the emulator host, ``disable_instance_discovery=True`` and ``connection_verify=`` the
CA bundle; an ``httpx.AsyncClient`` that trusts the CA and has ``base_url`` ``{graph_url}/v1.0``,
wrapped in the SDK's default middleware; ``AzureIdentityAuthenticationProvider`` with the Graph
scope and the emulator host allowed (kiota only attaches tokens for allowed hosts).
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

import httpx
import pytest
from azure.identity import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph_core import GraphClientFactory

from .conftest import BOB, CAROL, DEVICE, FULL_APP, FULL_SECRET, SEC

# The generated SDK warns about its own deprecated request-configuration classes on every call.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _client(emu) -> tuple[GraphServiceClient, httpx.AsyncClient]:
    credential = ClientSecretCredential(emu.tenant_id, FULL_APP, FULL_SECRET, authority=emu.authority_host,
                                        disable_instance_discovery=True, connection_verify=emu.ca_bundle)
    auth = AzureIdentityAuthenticationProvider(credential, scopes=["https://graph.microsoft.com/.default"],
                                               allowed_hosts=[urlsplit(emu.graph_url).hostname])
    http = httpx.AsyncClient(verify=ssl.create_default_context(cafile=emu.ca_bundle), trust_env=False,
                             base_url=f"{emu.graph_url}/v1.0")
    adapter = GraphRequestAdapter(auth, GraphClientFactory.create_with_default_middleware(client=http))
    adapter.base_url = f"{emu.graph_url}/v1.0"
    return GraphServiceClient(request_adapter=adapter), http


def test_msgraph_sdk_adds_lists_and_removes_members(emu):
    """docs/graph-behaviour.md §1.1, §1.4, §1.5 through msgraph-sdk: $ref add, paged list, already-member ODataError, $ref remove."""

    async def scenario():
        client, http = _client(emu)
        try:
            members = client.groups.by_group_id(SEC).members
            for member in (BOB, CAROL, DEVICE):
                await members.ref.post(ReferenceCreate(
                    odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{member}"))
            page = await members.get()
            listed = {m.id: m.odata_type for m in page.value}
            assert listed == {BOB: "#microsoft.graph.user", CAROL: "#microsoft.graph.user",
                              DEVICE: "#microsoft.graph.device"}
            with pytest.raises(ODataError) as caught:
                await members.ref.post(ReferenceCreate(
                    odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{BOB}"))
            assert caught.value.response_status_code == 400
            assert caught.value.error.code == "Request_BadRequest"
            assert caught.value.error.message == ("One or more added object references already exist for the "
                                                  "following modified properties: 'members'.")
            await members.by_directory_object_id(BOB).ref.delete()
            page = await members.get()
            assert sorted(m.id for m in page.value) == sorted([CAROL, DEVICE])
            group = await client.groups.by_group_id(SEC).get()
            assert group.display_name == "Devs"
        finally:
            await http.aclose()

    asyncio.run(scenario())
    assert next(g for g in emu.directory()["groups"] if g["id"] == SEC)["members"] == sorted([CAROL, DEVICE])
