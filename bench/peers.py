"""The peers a user would pick instead of ModelServe, built and configured by the benchmark.

``python -m bench.peers build`` (``make bench-peers``) makes one virtual environment per peer
under ``bench/.peers/`` (git-ignored), with the scikit-learn version of the environment running
the benchmark, and records what was installed in ``bench/.peers/<peer>/versions.json``:

* MLServer 1.7.1 + mlserver-sklearn 1.7.1 (uvloop pinned to 0.21.0: with 0.23 its parallel
  inference worker dies at start), adaptive batching on (``max_batch_size`` 64,
  ``max_batch_time`` 5 ms), serving the model from a ``model.joblib`` file;
* LitServe 0.2.19, batching on (``max_batch_size=64, batch_timeout=0.005``), one JSON route.

``bench.run`` asks :func:`available` which are built and :func:`launch` for how to start one on a
port with the reference model's joblib bytes; the configuration files are written per run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

PEERS_DIR = Path(__file__).resolve().parent / ".peers"
MLSERVER_VERSION = "1.7.1"
LITSERVE_VERSION = "0.2.19"
MAX_BATCH_SIZE = 64
MAX_BATCH_TIME_S = 0.005
MODEL_NAME = "rf"

# What each peer's environment needs besides scikit-learn (pinned to ours at build time).
REQUIREMENTS = {
    "mlserver": [
        f"mlserver=={MLSERVER_VERSION}",
        f"mlserver-sklearn=={MLSERVER_VERSION}",
        "uvloop==0.21.0",
    ],
    "litserve": [f"litserve=={LITSERVE_VERSION}", "joblib"],
}
REPORTED = {
    "mlserver": ("mlserver", "mlserver-sklearn", "scikit-learn", "numpy", "uvloop", "uvicorn"),
    "litserve": ("litserve", "fastapi", "uvicorn", "scikit-learn", "numpy"),
}

LITSERVE_APP = '''"""LitServe serving the reference model, batching on (written by bench.peers)."""

import os

import joblib
import litserve as ls
import numpy as np


class ForestAPI(ls.LitAPI):
    def setup(self, device):
        self.model = joblib.load(os.environ["BENCH_MODEL_PATH"])

    def decode_request(self, request):
        return np.asarray(request["rows"], dtype=np.float64)

    def batch(self, inputs):
        return np.concatenate(inputs), [len(x) for x in inputs]

    def predict(self, batch):
        rows, sizes = batch
        return self.model.predict(rows).tolist(), sizes

    def unbatch(self, output):
        labels, sizes = output
        parts, start = [], 0
        for n in sizes:
            parts.append(labels[start : start + n])
            start += n
        return parts

    def encode_response(self, output):
        return {"predictions": output}


if __name__ == "__main__":
    api = ForestAPI(max_batch_size=%(batch)d, batch_timeout=%(timeout)r)
    server = ls.LitServer(api, accelerator="cpu")
    server.run(host="127.0.0.1", port=int(os.environ["BENCH_PORT"]), generate_client_file=False)
'''


@dataclass
class Launch:
    """How to start one peer: argv and environment, where it is ready and where to POST."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str
    infer_url: str
    versions: dict[str, str]


def venv_python(peer: str) -> Path:
    return PEERS_DIR / peer / "venv" / "bin" / "python"


def versions_of(peer: str) -> dict[str, str] | None:
    path = PEERS_DIR / peer / "versions.json"
    if not venv_python(peer).exists() or not path.exists():
        return None
    return json.loads(path.read_text())


def available() -> dict[str, dict[str, str]]:
    """The peers built by ``make bench-peers``, with their recorded versions."""
    return {peer: v for peer in REQUIREMENTS if (v := versions_of(peer)) is not None}


def build(peers: list[str]) -> int:
    sklearn = version("scikit-learn")
    status = 0
    for peer in peers:
        home = PEERS_DIR / peer
        home.mkdir(parents=True, exist_ok=True)
        python = venv_python(peer)
        print(f"[bench-peers] {peer}: virtual environment in {home / 'venv'}", flush=True)
        steps = []
        if not python.exists():
            steps.append([sys.executable, "-m", "venv", str(home / "venv")])
        steps.append(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *REQUIREMENTS[peer],
                f"scikit-learn=={sklearn}",
            ]
        )
        failed = False
        for argv in steps:
            if subprocess.run(argv, timeout=1800).returncode != 0:
                print(f"[bench-peers] {peer}: FAILED: {' '.join(argv[:4])} ...", flush=True)
                failed = True
                break
        if failed:
            (home / "versions.json").unlink(missing_ok=True)
            status = 1
            continue
        probe = (
            "import json, sys\nfrom importlib.metadata import version, PackageNotFoundError\n"
            "out = {'python': sys.version.split()[0]}\n"
            f"for p in {list(REPORTED[peer])!r}:\n"
            "    try: out[p] = version(p)\n"
            "    except PackageNotFoundError: pass\n"
            "print(json.dumps(out))\n"
        )
        found = json.loads(
            subprocess.run(
                [str(python), "-c", probe], capture_output=True, text=True, timeout=120, check=True
            ).stdout
        )
        if found.get("scikit-learn") != sklearn:
            print(f"[bench-peers] {peer}: scikit-learn {found.get('scikit-learn')} != {sklearn}")
            status = 1
            continue
        (home / "versions.json").write_text(json.dumps(found, indent=2) + "\n")
        print(f"[bench-peers] {peer}: {found}", flush=True)
    return status


def launch(peer: str, work: Path, model_joblib: Path, port: int, ports: list[int]) -> Launch:
    """Write ``peer``'s configuration under ``work`` and say how to start it on ``port``
    (``ports``: spare free ports for its other listeners)."""
    versions = versions_of(peer) or {}
    python = str(venv_python(peer))
    base = f"http://127.0.0.1:{port}"
    if peer == "mlserver":
        home = work / "mlserver"
        model_dir = home / MODEL_NAME
        model_dir.mkdir(parents=True, exist_ok=True)
        (model_dir / "model.joblib").write_bytes(model_joblib.read_bytes())
        (model_dir / "model-settings.json").write_text(
            json.dumps(
                {
                    "name": MODEL_NAME,
                    "implementation": "mlserver_sklearn.SKLearnModel",
                    "max_batch_size": MAX_BATCH_SIZE,
                    "max_batch_time": MAX_BATCH_TIME_S,
                    "parameters": {"uri": "./model.joblib", "version": "v1"},
                }
            )
        )
        (home / "settings.json").write_text(
            json.dumps(
                {
                    "host": "127.0.0.1",
                    "http_port": port,
                    "grpc_port": ports[0],
                    "metrics_port": ports[1],
                }
            )
        )
        mlserver = str(venv_python(peer).parent / "mlserver")
        return Launch(
            name="mlserver",
            argv=[mlserver, "start", str(home)],
            env={"MLSERVER_HOST": "127.0.0.1"},
            ready_url=f"{base}/v2/models/{MODEL_NAME}/ready",
            infer_url=f"{base}/v2/models/{MODEL_NAME}/infer",
            versions=versions,
        )
    if peer == "litserve":
        app = work / "litserve_app.py"
        app.write_text(LITSERVE_APP % {"batch": MAX_BATCH_SIZE, "timeout": MAX_BATCH_TIME_S})
        return Launch(
            name="litserve",
            argv=[python, str(app)],
            env={"BENCH_MODEL_PATH": str(model_joblib), "BENCH_PORT": str(port)},
            ready_url=f"{base}/health",
            infer_url=f"{base}/predict",
            versions=versions,
        )
    raise ValueError(peer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("build", help="build the peers' virtual environments")
    make.add_argument("peers", nargs="*", help=f"some of {', '.join(REQUIREMENTS)} (default: all)")
    sub.add_parser("show", help="print the peers built and their versions")
    args = parser.parse_args(argv)
    if args.command == "build":
        unknown = sorted(set(args.peers) - set(REQUIREMENTS))
        if unknown:
            parser.error(f"unknown peer(s) {', '.join(unknown)}; known: {', '.join(REQUIREMENTS)}")
        return build(args.peers or list(REQUIREMENTS))
    print(json.dumps(available(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
