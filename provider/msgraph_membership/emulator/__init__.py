"""A local Microsoft Graph emulator: the part of Graph and the identity platform the provider uses.

Run it with ``msgraph-emulator serve`` (or ``python -m msgraph_membership.emulator serve``); start
it from Python with :func:`msgraph_membership.emulator.process.start_emulator`. The behaviour
follows docs/graph-behaviour.md; the CLI, the seed format and the admin API follow README.md, "The local Graph emulator".

Modules: ``routes`` (the Graph route table), ``responses`` (its handlers: HTTP to the model and
back), ``directory`` with ``groups``, ``links``, ``units`` and ``rules`` (the directory model: its
rules), ``model`` (the values the model takes), ``store`` (SQLite directory), ``odata`` (keys,
references, paging) and ``odata_query`` (``$filter``, ``$search``, ``$expand``), ``batch`` (``$batch``),
``identity`` (OIDC, token endpoint, managed identity, federated issuers), ``tokens`` (JWTs),
``faults`` (fault injection), ``admin`` (``/_emulator``), ``server`` (HTTPS), ``tls`` (test CA),
``seed`` (seed documents), ``cli``, ``process`` (subprocess helper for tests).

It imports nothing from ``msgraph_membership.graph`` or ``msgraph_membership.resources``: it is
an independent oracle for them.
"""
