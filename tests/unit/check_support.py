"""What the `check` / `diff` tests of the unit, unit-group and memberOf resources share: ids, a
client that fails the test when reached, a tiny directory in place of the Graph client, and a
provider on either."""
from msgraph_membership.graph.rules import GroupInfo

AU = "33333333-3333-4333-8333-333333333333"
G = "11111111-1111-4111-8111-111111111111"
U = "22222222-2222-4222-8222-222222222222"
SP = "44444444-4444-4444-8444-444444444444"


class NoGraph:
    """Fails the test if check() reaches for the directory when it should not."""

    def __getattr__(self, name):
        raise AssertionError(f"check() called Graph ({name}) for input it should reject or skip")


class Directory:
    """A tiny stand-in for the Graph client: a unit, some objects, some groups."""

    def __init__(self, units=(AU,), types=None, groups=None, restricted=False):
        self.units = {u: {"id": u, "isMemberManagementRestricted": restricted} for u in units}
        self.types = {U: "user", G: "group", SP: "servicePrincipal"} if types is None else types
        self.groups = {G: GroupInfo(id=G)} if groups is None else groups

    def get_unit(self, unit_id):
        return self.units.get(unit_id)

    def app_roles(self):  # a token without a roles claim: no permission check at preview
        return None

    def object_types(self, ids):
        return {i: self.types[i] for i in ids if i in self.types}

    def get_group(self, gid, **_):
        return self.groups.get(gid)

    def is_unified_group(self, i):
        return i in self.groups and self.groups[i].is_unified

    def write_permission_problem(self, group):
        return None

    def get_groups(self, ids):
        return {g: self.get_group(g) for g in dict.fromkeys(ids)}


def provider(cls, client=None):
    p = cls()
    p._client = client or NoGraph()
    return p


def props(result):
    return [f.property for f in result.failures]
