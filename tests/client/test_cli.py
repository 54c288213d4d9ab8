"""The `modelserve` command line as a subprocess against a live server, config in tmp_path."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from pathlib import Path

import skops.io as sio

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD_S = 120


async def modelserve(
    *args: str, home: Path, stdin: str = "", entry: str = "graph.cli", env: dict | None = None
) -> tuple[int, str, str]:
    """``modelserve ARGS`` (through the server's entry point unless ``entry`` says otherwise)
    with its config dir under ``home``; exit code, stdout, stderr."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MODELSERVE_")} | {
        "XDG_CONFIG_HOME": str(home),
        "COLUMNS": "200",
        **(env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        entry,
        *args,
        cwd=home,
        env=environment,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(stdin.encode()), HANG_GUARD_S)
    return process.returncode, stdout.decode(), stderr.decode()


async def login(url: str, email: str, password: str, home: Path) -> tuple[int, str, str]:
    args = ("login", "--url", url, "--email", email, "--password-stdin")
    return await modelserve(*args, home=home, stdin=password + "\n")


async def logged_in(url: str, ada: dict, home: Path) -> None:
    code, _, stderr = await login(url, ada["email"], ada["password"], home)
    assert code == 0, stderr


async def test_login_stores_the_token_readable_by_its_owner_only(url, ada, tmp_path):
    # When ada logs in
    code, stdout, stderr = await login(url, ada["email"], ada["password"], tmp_path)

    # Then the token is stored in her config dir, mode 0600
    assert code == 0, stderr
    assert "as ada" in stdout
    stored = tmp_path / "modelserve" / "credentials.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    saved = json.loads(stored.read_text())
    assert saved["url"] == url and saved["token"] and saved["username"] == "ada"

    # And commands use it; logging out forgets it
    code, stdout, _ = await modelserve("models", "list", "--json", home=tmp_path)
    assert (code, json.loads(stdout)) == (0, [])
    code, _, _ = await modelserve("logout", home=tmp_path)
    assert code == 0 and json.loads(stored.read_text())["token"] is None
    code, _, stderr = await modelserve("models", "list", home=tmp_path)
    assert code == 3 and "UNAUTHENTICATED" in stderr


async def test_a_wrong_password_exits_3_without_a_traceback(url, ada, tmp_path):
    code, _, stderr = await login(url, ada["email"], "wrong password", tmp_path)

    assert code == 3
    assert "UNAUTHENTICATED" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "modelserve" / "credentials.json").exists()


async def test_upload_promote_predict_and_show(url, ada, tmp_path):
    # Given a signed-in shell and two model files
    await logged_in(url, ada, tmp_path)
    X, _ = factories.training_data()
    for name, seed in (("v1.skops", 0), ("v2.skops", 1)):
        (tmp_path / name).write_bytes(sio.dumps(factories.logistic_regression(seed)))

    # When both are uploaded, the second promoted, and rows predicted from a file and stdin
    first = await modelserve("upload", "v1.skops", "--name", "churn", home=tmp_path)
    second = await modelserve("upload", "v2.skops", "--name", "churn", "--json", home=tmp_path)
    promoted = await modelserve("promote", "churn", "2", home=tmp_path)
    (tmp_path / "row.json").write_text(json.dumps(list(X[0])))
    from_file = await modelserve(
        "predict", "churn@production", "--json", "row.json", "-o", "json", home=tmp_path
    )
    rows = "\n".join(json.dumps(list(r)) for r in X[:3])
    from_stdin = await modelserve("predict", "churn", "--batch", home=tmp_path, stdin=rows)

    # Then each step succeeded and says what it did
    assert first[0] == 0, first[2]
    assert "churn version 1: sklearn.linear_model._logistic.LogisticRegression, READY" in first[1]
    assert json.loads(second[1])["number"] == 2
    assert promoted[0] == 0 and "churn@production → version 2" in promoted[1]
    answer = json.loads(from_file[1])
    assert answer["version_number"] == 2 and len(answer["rows"]) == 1
    assert from_stdin[0] == 0 and "version 2" in from_stdin[1]

    # And the model's table lists both versions, production on the second
    code, stdout, _ = await modelserve("models", "show", "churn", home=tmp_path)
    assert code == 0 and "ada/churn" in stdout
    (line,) = [row for row in stdout.splitlines() if "production" in row]
    assert line.split("│")[1].strip() == "2"
    code, stdout, _ = await modelserve("models", "list", home=tmp_path)
    assert "ada/churn" in stdout and "production→2" in stdout


async def test_errors_exit_with_their_class_code(url, ada, tmp_path):
    await logged_in(url, ada, tmp_path)

    missing = await modelserve("models", "show", "nothing", home=tmp_path)
    not_found = await modelserve("promote", "nothing", "1", home=tmp_path)
    (tmp_path / "model.skops").write_bytes(sio.dumps(factories.logistic_regression()))
    await modelserve("upload", "model.skops", "--name", "iris", home=tmp_path)
    bad_rows = await modelserve("predict", "iris", home=tmp_path, stdin='[[1, "x"]]')
    usage = await modelserve("promote", "iris", home=tmp_path)
    refused = await modelserve("upload", "model.skops", "--name", "bad name!", home=tmp_path)

    assert missing[0] == 5 and not_found[0] == 5
    assert bad_rows[0] == 6 and "BAD_USER_INPUT" in bad_rows[2]
    assert usage[0] == 2
    assert refused[0] == 6 and "input.name" in refused[2]
    assert not [r for r in (missing, not_found, bad_rows, usage, refused) if "Traceback" in r[2]]


async def test_a_job_is_followed_with_a_progress_bar_then_downloaded(url, ada, tmp_path):
    # Given a published model and a file of rows
    await logged_in(url, ada, tmp_path)
    (tmp_path / "model.skops").write_bytes(sio.dumps(factories.logistic_regression()))
    await modelserve("upload", "model.skops", "--name", "iris", home=tmp_path)
    (tmp_path / "rows.csv").write_text("a,b,c,d\n" + "1,2,3,4\n" * 40)

    # When it is submitted and followed, then shown and downloaded
    code, stdout, stderr = await modelserve("jobs", "submit", "iris", "rows.csv", home=tmp_path)
    job_id = stdout.split("job ", 1)[1].split()[0]
    shown = await modelserve("jobs", "show", job_id, "--json", home=tmp_path)
    downloaded = await modelserve("jobs", "download", job_id, "-o", "out.csv", home=tmp_path)
    to_stdout = await modelserve("jobs", "download", job_id, "--format", "jsonl", home=tmp_path)

    # Then the bar reached 100 %, the job succeeded, and its results are there both ways
    assert code == 0, stderr
    assert "100%" in stderr and "SUCCEEDED" in stdout
    job = json.loads(shown[1])
    assert (job["status"], job["rows_done"], job["rows_failed"]) == ("SUCCEEDED", 40, 0)
    assert downloaded[0] == 0
    assert len((tmp_path / "out.csv").read_text().splitlines()) == 41
    assert to_stdout[1].count("\n") == 40

    # And --no-wait answers at once with the queued job
    code, stdout, _ = await modelserve(
        "jobs", "submit", "iris", "rows.csv", "--no-wait", "--json", home=tmp_path
    )
    assert code == 0 and json.loads(stdout)["status"] in {"QUEUED", "RUNNING", "SUCCEEDED"}


async def test_keys_and_the_env_overrides(url, ada, tmp_path):
    # Given a signed-in shell with a model
    await logged_in(url, ada, tmp_path)
    (tmp_path / "model.skops").write_bytes(sio.dumps(factories.logistic_regression()))
    await modelserve("upload", "model.skops", "--name", "iris", home=tmp_path)

    # When a predict key is created and used through the environment, from another home
    code, stdout, _ = await modelserve(
        "keys", "create", "--scope", "predict", "--json", home=tmp_path
    )
    created = json.loads(stdout)
    other = tmp_path / "other"
    other.mkdir()
    env = {"MODELSERVE_URL": url, "MODELSERVE_API_KEY": created["secret"]}
    predicted = await modelserve("predict", "ada/iris", home=other, env=env, stdin="[1, 2, 3, 4]")
    forbidden = await modelserve("models", "list", home=other, env=env)
    listed = await modelserve("keys", "list", "--json", home=tmp_path)
    revoked = await modelserve("keys", "revoke", created["key"]["id"], home=tmp_path)
    refused = await modelserve("predict", "ada/iris", home=other, env=env, stdin="[1, 2, 3, 4]")

    # Then the key predicted, was refused the rest, and nothing after its revocation
    assert code == 0 and created["key"]["scopes"] == ["PREDICT"]
    assert predicted[0] == 0, predicted[2]
    assert forbidden[0] == 4
    assert [k["name"] for k in json.loads(listed[1])] == ["cli"]
    assert revoked[0] == 0 and "revoked" in revoked[1]
    assert refused[0] == 3

    # And `login --api-key` stores a key the same way, mode 0600
    code, _, _ = await modelserve("login", "--url", url, "--api-key", "msk_x", home=other)
    stored = other / "modelserve" / "credentials.json"
    assert code == 0 and stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert json.loads(stored.read_text())["api_key"] == "msk_x"


async def test_logs_tail_streams_predictions(url, ada, tmp_path):
    # Given a published model and `logs tail` following it
    await logged_in(url, ada, tmp_path)
    (tmp_path / "model.skops").write_bytes(sio.dumps(factories.logistic_regression()))
    await modelserve("upload", "model.skops", "--name", "iris", home=tmp_path)
    tail = asyncio.ensure_future(
        modelserve("logs", "tail", "iris", "-n", "1", "--json", home=tmp_path)
    )

    # When predictions are made (until the subscriber, once connected, has seen one)
    from modelserve_client import AsyncClient

    client = AsyncClient(url)
    await client.login(ada["email"], ada["password"])
    for _ in range(300):
        await client.predict("iris", [[1.0, 2.0, 3.0, 4.0]])
        done, _ = await asyncio.wait({tail}, timeout=0.2)
        if done:
            break
    await client.aclose()

    # Then it printed the logged prediction and stopped
    code, stdout, stderr = await tail
    assert code == 0, stderr
    event = json.loads(stdout.splitlines()[0])
    assert (event["status"], event["rows"], event["version_number"]) == ("ok", 1, 1)


async def test_both_entry_points_run_client_and_server_commands(tmp_path):
    schema = (ROOT / "schema.graphql").read_text()
    for entry in ("graph.cli", "modelserve_client"):
        code, stdout, _ = await modelserve("export-schema", home=tmp_path, entry=entry)
        assert (code, stdout) == (0, schema)
        code, stdout, _ = await modelserve("--help", home=tmp_path, entry=entry)
        assert code == 0 and "jobs" in stdout and "serve" in stdout


def test_the_client_knows_every_server_command():
    import argparse

    from modelserve_client.commands import SERVER_COMMANDS

    from graph.cli import build_parser

    (commands,) = [
        a.choices for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ]
    assert set(commands) == SERVER_COMMANDS
