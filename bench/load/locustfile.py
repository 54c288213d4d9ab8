"""The simulated users of the load test (run by ``python -m bench.load``, not by hand).

``LOAD_SEED`` names the JSON file ``bench/load/seed.py`` wrote: the API processes, the model, the
credentials and the rows. Every user is bound to one API process, in turn, so the load is spread
over all of them. Each request is appended to the seed's ``requests_log`` (end time, operation,
milliseconds, ok, API index); any non-2xx answer or GraphQL ``errors`` entry is a failure. At the
end the subscribers' event counts and the first failures go to the seed's ``extra_out``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import time
from collections import Counter
from typing import Any

import gevent
import websocket
from locust import FastHttpUser, HttpUser, User, between, constant, events, task

SEED: dict[str, Any] = json.loads(open(os.environ["LOAD_SEED"]).read())  # noqa: SIM115
MIX = SEED["mix"]
MODEL = SEED["model"]
PREDICT = (
    "query($rows: FeatureMatrix!) { predict(model: " + json.dumps(MODEL) + ", rows: $rows)"
    " { requestId predictions { value probabilities { label probability } } } }"
)
PREDICT_BATCH = (
    "query($rows: FeatureMatrix!) { predictBatch(model: " + json.dumps(MODEL) + ", rows: $rows)"
    " { rows predictions classes } }"
)
MODELS = (
    "{ models(first: 20) { edges { node { id fullName aliases { name version { number } } } } } }"
)
LOGIN = (
    "mutation($i: LoginInput!) { login(input: $i) { __typename"
    " ... on AuthPayload { accessToken refreshToken } ... on Error { message } } }"
)
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"
ME = "{ me { id username } usage { predictions { limit used remaining } } }"
SUBMIT_JOB = (
    "mutation($f: Upload!) { createBatchJob(input: {model: " + json.dumps(MODEL) + ", file: $f})"
    " { __typename ... on JobSuccess { job { id status } } ... on Error { message } } }"
)
JOB = "query($id: ID!) { job(id: $id) { status rowsDone rowsFailed error } }"
SUBSCRIBE = "subscription($m: String!) { predictions(model: $m) { requestId rows status } }"
JOB_POLL_S = 1.0
SIGN_IN_SPREAD_S = float(SEED.get("sign_in_spread_s", 0.0))  # a third of the warm-up
JOB_TIMEOUT_S = 120.0

_api = itertools.count()
_accounts = itertools.cycle(SEED["accounts"])
_program_keys = itertools.cycle(SEED["program_keys"])
_job_keys = itertools.cycle(SEED["job_keys"])
_subscriber_keys = itertools.cycle(SEED["subscriber_keys"])
_rows = itertools.cycle([[row] for row in SEED["rows"]])
_batches = itertools.cycle(SEED["batches"])

predictions_made = 0  # successful predict / predictBatch calls, for the subscribers' share
failures: Counter[str] = Counter()
subscribers: list[dict] = []
jobs: list[dict] = []
_log = open(SEED["requests_log"], "a", buffering=1 << 16)  # noqa: SIM115


@events.request.add_listener
def _record(name: str, response_time: float, exception: BaseException | None, context: dict, **_):
    global predictions_made
    ok = exception is None
    _log.write(f"{time.time():.3f},{name},{response_time:.3f},{int(ok)},{context.get('api', -1)}\n")
    if not ok:
        failures[f"{name}: {str(exception)[:200]}"] += 1
    elif name in ("predict", "predictBatch"):
        predictions_made += 1


@events.quitting.add_listener
def _write_extra(**_):
    _log.flush()
    with open(SEED["extra_out"], "w") as out:
        json.dump(
            {
                "predictions_made": predictions_made,
                "subscribers": subscribers,
                "jobs": jobs,
                "failures": failures.most_common(20),
            },
            out,
        )


def _host() -> tuple[int, str]:
    index = next(_api) % len(SEED["hosts"])
    return index, SEED["hosts"][index]


def fire(user: User, name: str, started: float, error: str | None = None) -> None:
    """Report something that is not one HTTP request (a websocket, a whole job) to locust."""
    user.environment.events.request.fire(
        request_type="WS" if name.startswith("subscribe") else "JOB",
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=0,
        exception=Exception(error) if error else None,
        context=user.context(),
    )


class GraphQLUser(FastHttpUser):
    """A caller bound to one API process, posting GraphQL with a bearer token or key."""

    abstract = True

    def __init__(self, environment: Any) -> None:
        self.api, self.host = _host()
        self.bearer = ""
        super().__init__(environment)

    def context(self) -> dict:
        return {"api": self.api}

    def gql(self, name: str, query: str, variables: dict | None = None) -> dict | None:
        """POST one operation; a non-2xx answer or any GraphQL error is a failure."""
        headers = {"authorization": f"Bearer {self.bearer}"} if self.bearer else {}
        with self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            name=name,
            catch_response=True,
        ) as response:
            return check(response)

    def predict(self) -> None:
        self.gql("predict", PREDICT, {"rows": next(_rows)})

    def predict_batch(self) -> None:
        self.gql("predictBatch", PREDICT_BATCH, {"rows": next(_batches)})

    def list_models(self) -> None:
        self.gql("models", MODELS)


def check(response: Any) -> dict | None:
    """The answer's ``data``, or None after marking the request failed."""
    if not 200 <= (response.status_code or 0) < 300:
        response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
        return None
    try:
        body = response.json()
    except ValueError:
        response.failure(f"not JSON: {(response.text or '')[:200]}")
        return None
    if body.get("errors"):
        codes = [(e.get("extensions") or {}).get("code", e.get("message")) for e in body["errors"]]
        response.failure(f"GraphQL errors: {codes}")
        return None
    response.success()
    return body.get("data")


class Program(GraphQLUser):
    """A program calling the model with its own API key: mostly single rows, some batches."""

    wait_time = between(0.5, 1.5)
    tasks = {GraphQLUser.predict: 10, GraphQLUser.predict_batch: 2, GraphQLUser.list_models: 1}

    def on_start(self) -> None:
        self.bearer = next(_program_keys)


class Person(GraphQLUser):
    """Someone signed in (a dashboard, a notebook): signs in with a password once, as people
    do, then browses and predicts, trading the refresh token for a new pair now and then as a
    dashboard does when its access token nears expiry (here far more often than every 15
    minutes, so the run exercises it)."""

    fixed_count = MIX["sessions"]
    wait_time = between(2.0, 5.0)

    def on_start(self) -> None:
        self.account = next(_accounts)
        self.refresh_token: str | None = None
        # People arrive over the warm-up rather than all in the spawn's first seconds: forty
        # password hashes at once would measure a burst no dashboard makes.
        gevent.sleep(random.uniform(0, SIGN_IN_SPREAD_S))
        self.login()

    def login(self) -> None:
        data = self.gql("login", LOGIN, {"i": self.account})
        if data and data["login"]["__typename"] == "AuthPayload":
            self.bearer = data["login"]["accessToken"]
            self.refresh_token = data["login"]["refreshToken"]

    def refresh(self) -> None:
        if self.refresh_token is None:
            self.login()
            return
        data = self.gql("refresh", REFRESH, {"t": self.refresh_token})
        if data:
            self.bearer = data["refreshToken"]["accessToken"]
            self.refresh_token = data["refreshToken"]["refreshToken"]

    def me(self) -> None:
        self.gql("me", ME)

    tasks = {
        GraphQLUser.list_models: 6,
        GraphQLUser.predict: 6,
        GraphQLUser.predict_batch: 2,
        me: 2,
        refresh: 1,
    }


class JobSubmitter(HttpUser):
    """A program that submits a batch job, follows it to the end and downloads its results."""

    fixed_count = MIX["jobs"]
    wait_time = between(5.0, 15.0)

    def __init__(self, environment: Any) -> None:
        self.api, self.host = _host()
        super().__init__(environment)
        self.key = next(_job_keys)

    def context(self) -> dict:
        return {"api": self.api}

    @task
    def batch_job(self) -> None:
        started = time.perf_counter()
        job_id, error = self.submit()
        if job_id:
            error = self.follow(job_id) or self.download(job_id)
        if job_id or error:
            jobs.append({"id": job_id, "error": error, "s": time.perf_counter() - started})
            fire(self, "job: end to end", started, error)

    def submit(self) -> tuple[str | None, str | None]:
        operations = {"query": SUBMIT_JOB, "variables": {"f": None}}
        with self.client.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
            files={"0": ("rows.csv", SEED["job_csv"].encode(), "text/csv")},
            headers={"x-api-key": self.key, "x-modelserve-csrf": "1"},
            name="job: submit",
            catch_response=True,
        ) as response:
            data = check(response)
            if data is None:
                return None, None  # already a failure
            answer = data["createBatchJob"]
            if answer["__typename"] != "JobSuccess":
                response.failure(f"createBatchJob: {answer}")
                return None, None
            return answer["job"]["id"], None

    def follow(self, job_id: str) -> str | None:
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while time.monotonic() < deadline:
            with self.client.post(
                "/graphql",
                json={"query": JOB, "variables": {"id": job_id}},
                headers={"x-api-key": self.key},
                name="job: status",
                catch_response=True,
            ) as response:
                data = check(response)
            if data is None:
                return "status query failed"
            job = data["job"]
            if job["status"] == "SUCCEEDED":
                return None if job["rowsDone"] == SEED["job_rows"] else f"job: {job}"
            if job["status"] not in ("QUEUED", "RUNNING"):
                return f"job ended {job['status']}: {job.get('error')}"
            gevent.sleep(JOB_POLL_S)
        return f"job not done within {JOB_TIMEOUT_S:.0f} s"

    def download(self, job_id: str) -> str | None:
        with self.client.get(
            f"/jobs/{job_id}/results?format=csv",
            headers={"x-api-key": self.key},
            name="job: results",
            catch_response=True,
        ) as response:
            lines = (response.text or "").count("\n")
            # A header line, then one line per row.
            if response.status_code == 200 and lines == SEED["job_rows"] + 1:
                response.success()
                return None
            error = f"results: HTTP {response.status_code}, {lines} lines"
            response.failure(error)
            return error


class Subscriber(User):
    """A live view of the model: the ``predictions`` stream over graphql-transport-ws."""

    fixed_count = MIX["subscribers"]
    wait_time = constant(1.0)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.api, host = _host()
        self.url = "ws" + host.removeprefix("http") + "/graphql"
        self.ws: websocket.WebSocket | None = None
        self.stats = {"api": self.api, "events": 0, "errors": 0, "made_before": 0, "made": 0}
        self.stopping = False

    def context(self) -> dict:
        return {"api": self.api}

    def on_start(self) -> None:
        started = time.perf_counter()
        try:
            self.ws = websocket.create_connection(
                self.url, subprotocols=["graphql-transport-ws"], timeout=30
            )
            init = {"type": "connection_init", "payload": {"apiKey": next(_subscriber_keys)}}
            self.ws.send(json.dumps(init))
            ack = json.loads(self.ws.recv())
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"no connection_ack: {ack}")
            self.ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": SUBSCRIBE,
                            "variables": {"m": SEED["model_name"]},
                        },
                    }
                )
            )
            self.ws.settimeout(None)
        except Exception as exc:
            fire(self, "subscribe: predictions", started, f"{type(exc).__name__}: {exc}")
            self.ws = None
            return
        fire(self, "subscribe: predictions", started)
        self.stats["made_before"] = predictions_made
        subscribers.append(self.stats)
        gevent.spawn(self.receive)

    def receive(self) -> None:
        while self.ws is not None:
            try:
                message = json.loads(self.ws.recv())
            except Exception as exc:
                if not self.stopping:
                    self.stream_error(f"{type(exc).__name__}: {exc}")
                return
            kind = message.get("type")
            if kind == "ping":
                self.ws.send(json.dumps({"type": "pong"}))
            elif kind == "next" and not (message.get("payload") or {}).get("errors"):
                self.stats["events"] += 1
            elif kind in ("next", "error", "complete"):
                self.stream_error(f"{kind}: {json.dumps(message)[:200]}")
                return

    def stream_error(self, error: str) -> None:
        self.stats["errors"] += 1
        fire(self, "subscribe: stream", time.perf_counter(), error)

    @task
    def watch(self) -> None:
        """The stream runs in its own greenlet; the user only waits."""

    def on_stop(self) -> None:
        self.stopping = True
        self.stats["made"] = predictions_made - self.stats["made_before"]
        if self.ws is not None:
            ws, self.ws = self.ws, None
            # The server may have closed it already.
            with contextlib.suppress(Exception):
                ws.send(json.dumps({"id": "1", "type": "complete"}))
                ws.close()
