"""``make demo``: a ModelServe with something in it.

Starts the server on the embedded default (as ``make run`` does) unless one already answers
at ``--url``, creates a demo user, trains and publishes two models through the Python client
(``iris``, on a plain matrix, and ``churn``, a Pipeline with a OneHotEncoder fit on a DataFrame),
promotes one, and drives a little traffic: single and batch predictions, a batch job, and a
drifted window after a drift reference. Then it prints where to look and keeps serving.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from modelserve_client import Client
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parents[2]
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "modelserve demo password"  # noqa: S105 - printed for the demo user
CITIES = ["lyon", "paris", "nice", "lille", "nantes"]
PLANS = ["basic", "plus", "pro"]


def churn_data(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers with two categorical columns and two numbers, and whether they left."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "city": rng.choice(CITIES, n),
            "plan": rng.choice(PLANS, n),
            "tenure_months": rng.integers(1, 72, n).astype(float),
            "monthly_fee": rng.normal(30, 8, n).round(2),
        }
    )
    score = (frame.plan == "basic") * 1.2 - frame.tenure_months / 30 + frame.monthly_fee / 40
    churned = (score + rng.normal(0, 0.4, n) > 0.5).astype(int).to_numpy()
    return frame, churned


def churn_pipeline(frame: pd.DataFrame, churned: np.ndarray) -> Any:
    encode = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"]),
            ("numbers", StandardScaler(), ["tenure_months", "monthly_fee"]),
        ]
    )
    return make_pipeline(encode, LogisticRegression(max_iter=500)).fit(frame, churned)


def say(message: str) -> None:
    print(f"demo: {message}", flush=True)


def publish_and_drive(client: Client, workdir: Path) -> dict[str, Any]:
    """Publish the two models and drive traffic through ``client`` (signed in); what it did."""
    X, y = load_iris(return_X_y=True)
    first = client.upload(
        LogisticRegression(max_iter=500).fit(X, y),
        name="iris",
        description="iris species from sepal and petal measurements",
        input_example=X[:2],
    )
    second = client.upload(
        RandomForestClassifier(n_estimators=50, max_depth=4, random_state=0).fit(X, y),
        name="iris",
        description="a small random forest",
        input_example=X[:2],
    )
    promoted = client.promote("iris", second.number, reason="the forest scores better")
    versions = f"v{first.number} and v{second.number}"
    say(f"published iris {versions}; production → v{promoted.version_number}")

    frame, churned = churn_data()
    churn = client.upload(
        churn_pipeline(frame, churned),
        name="churn",
        description="who leaves: one-hot city and plan, scaled tenure and fee",
        input_example=frame.head(3),
    )
    say(f"published churn v{churn.number} (categorical columns: city, plan)")

    singles = [client.predict("iris@production", row) for row in X[::15]]
    singles += [client.predict("churn", frame.iloc[[i]]) for i in range(0, 40, 4)]
    batch = client.predict_batch("churn", frame)
    say(f"{len(singles)} single predictions and a batch of {batch.rows} rows")

    rows = workdir / "iris-rows.csv"
    with rows.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["x0", "x1", "x2", "x3"])
        writer.writerows(np.tile(X, (4, 1)).tolist())
    job = client.submit_job("iris@production", rows).wait()
    say(f"batch job {job.id}: {job.status}, {job.rows_done} rows")

    reference = workdir / "iris-reference.csv"
    with reference.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["x0", "x1", "x2", "x3"])
        writer.writerows(X.tolist())
    profile = client.upload_drift_reference(second.id, reference)
    # Longer petals than the reference ever saw, in more rows than the traffic above, so the
    # dashboard's drift chart shows it over its default ranges too, not only since now.
    shifted = np.tile(X, (6, 1))
    shifted[:, 2] += 1.5
    drift_since = datetime.now(UTC).isoformat()
    drifted = client.predict_batch("iris@production", shifted)
    say(f"drift reference of {profile['rows']} rows; a window of {drifted.rows} shifted rows sent")
    return {
        "versions": [first, second, churn],
        "promoted": promoted,
        "singles": singles,
        "batch": batch,
        "job": job,
        "profile": profile,
        "drifted": drifted,
        "drift_since": drift_since,
    }


def wait_until_up(url: str, server: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise SystemExit(f"demo: the server exited ({server.returncode})")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"demo: no answer from {url}/healthz within {timeout:.0f} s")


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    port = os.environ.get("MODELSERVE_PORT", "8000")  # as make run reads it
    parser.add_argument(
        "--url", default=os.environ.get("MODELSERVE_URL", f"http://127.0.0.1:{port}")
    )
    parser.add_argument("--no-serve", action="store_true", help="publish, drive traffic and exit")
    args = parser.parse_args()
    url = args.url.rstrip("/")

    server = None
    if not answers(url):
        port = url.rsplit(":", 1)[-1].split("/")[0]
        say(f"starting the server on the embedded default (as make run does), port {port}")
        # Warnings only, so the demo's own lines stand out (MODELSERVE_LOG_LEVEL overrides).
        env = {"MODELSERVE_LOG_LEVEL": "WARNING", **os.environ}
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "graph.cli", "serve", "--port", port], cwd=ROOT, env=env
        )
    try:
        wait_until_up(url, server, timeout=120)
        with Client(url) as client, tempfile.TemporaryDirectory() as workdir:
            client.register(DEMO_EMAIL, DEMO_PASSWORD)
            client.login(DEMO_EMAIL, DEMO_PASSWORD)
            say(f"demo user: {DEMO_EMAIL} / {DEMO_PASSWORD}")
            publish_and_drive(client, Path(workdir))
        print(
            f"\nModelServe is up with the demo:\n"
            f"  GraphQL (GraphiQL in a browser): {url}/graphql\n"
            f"  dashboard:                       {url}/ui\n"
            f"  sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
            f"  from a shell: modelserve login --url {url} --email {DEMO_EMAIL}\n",
            flush=True,
        )
        if server is None or args.no_serve:
            return 0
        say("serving; Ctrl-C stops")
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=40)


if __name__ == "__main__":
    sys.exit(main())
