"""The resources, one module each (its provider, arguments, id format and documentation), and
the private modules they share: _base.py (every provider), _single.py (one membership),
_batch.py (a set of memberships, from either side), _containers.py (groups and units as
anchors), _group_properties.py (a new group's properties), _guard.py, _converge.py, _refs.py.
_batch_removals.py (what a batch run removes, and who may refuse it); _owners.py (the rules of a
group's owners, for group_owner.py and group_owners.py).
"""
