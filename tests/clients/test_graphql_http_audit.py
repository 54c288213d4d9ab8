"""graphql-http's GraphQL-over-HTTP conformance audits (audit.mjs) against the live server."""

from __future__ import annotations

from collections import Counter

from tests.clients.node import require_node_modules, run_script


async def test_every_must_and_should_audit_passes(live_server):
    require_node_modules("graphql-http")

    results = await run_script("audit.mjs", f"http://{live_server}/graphql")

    print()
    for audit in results:
        reason = f" ({audit['reason']})" if audit["reason"] else ""
        print(f"{audit['id']} {audit['status']:6} {audit['name']}{reason}")
    counts = Counter((audit["name"].split()[0], audit["status"]) for audit in results)
    print(", ".join(f"{level} {status}: {n}" for (level, status), n in sorted(counts.items())))
    failing = [
        audit
        for audit in results
        if audit["name"].startswith(("MUST", "SHOULD")) and audit["status"] != "ok"
    ]
    assert not failing, failing
    assert sum(n for (level, _), n in counts.items() if level in {"MUST", "SHOULD"}) >= 36
