#!/usr/bin/env bash
# `make test` with PostgreSQL + Redis configured: the embedded pass and the PostgreSQL + Redis
# pass run at the same time, as two pytest processes (Tortoise caches SQL per dialect, so one
# process cannot serve both). They share nothing: each has its own temporary directory, its own
# database (SQLite files; a fresh PostgreSQL database), and its own servers on free ports; only
# the PostgreSQL pass uses the shared Redis. Most of the suite waits on sockets and subprocesses,
# so side by side the two take far less than one after the other. Each line is prefixed with its
# pass; both summaries are repeated at the end; the exit status fails if either pass failed.
set -uo pipefail
python="${1:?usage: tests/both_backends.sh PYTHON}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run_pass() {  # name, then the env(1) arguments of the pass; exits with pytest's status
    local name="$1"
    shift
    env "$@" "$python" -m pytest -q -p no:cacheprovider --basetemp="$work/$name-tmp" 2>&1 \
        | tee "$work/$name.log" | sed -u "s/^/[$name] /"
}

run_pass embedded -u MODELSERVE_TEST_DATABASE_URL -u MODELSERVE_TEST_REDIS_URL &
embedded=$!
run_pass postgres &
postgres=$!
wait "$embedded"
embedded_status=$?
wait "$postgres"
postgres_status=$?

echo
echo "== embedded default (SQLite, in-process): exit $embedded_status =="
tail -n 15 "$work/embedded.log" | grep -E "passed|failed|error|skipped|^FAILED|^ERROR" || true
echo "== PostgreSQL + Redis: exit $postgres_status =="
tail -n 15 "$work/postgres.log" | grep -E "passed|failed|error|skipped|^FAILED|^ERROR" || true
[ "$embedded_status" -eq 0 ] && [ "$postgres_status" -eq 0 ]
