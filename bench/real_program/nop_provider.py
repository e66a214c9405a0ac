"""The floor of a Python dynamic resource (bench/real.py): a provider that does nothing, pickled by
reference like ours, so its preview and up cost only the engine, the SDK and the provider server."""
import uuid

from pulumi.dynamic import CreateResult, ResourceProvider, Resource


class NopProvider(ResourceProvider):
    def create(self, props):
        return CreateResult(str(uuid.uuid4()), props)


class Nop(Resource):
    def __init__(self, name, **props):
        super().__init__(NopProvider(), name, props)
