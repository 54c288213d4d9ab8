"""The ``modelserve`` entry point: the server's commands go to the server, the rest to the CLI.

Import-light on purpose: the server's own entry point (graph.cli) asks it which commands are
the client's, and neither Typer nor Rich need be installed for that.
"""

from __future__ import annotations

import sys

SERVER_COMMANDS = frozenset(
    {"serve", "worker", "migrate", "create-admin", "backup", "restore", "export-schema"}
)


def server_main(argv: list[str]) -> int:
    try:
        from graph.cli import main as run_server
    except ImportError:
        print(f"`modelserve {argv[0]}` runs the server: pip install modelserve", file=sys.stderr)
        return 2
    return run_server(argv)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in SERVER_COMMANDS:
        return server_main(args)
    try:
        from modelserve_client.cli import run
    except ImportError:
        print(
            "The command line needs its extra: pip install 'modelserve-client[cli]'",
            file=sys.stderr,
        )
        return 2
    return run(args)
