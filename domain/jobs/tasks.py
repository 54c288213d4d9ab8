"""The jobs area's background work: running a job, and reaping lost leases."""

from __future__ import annotations

from domain.background import Scheduled, Task
from domain.jobs.runner import reap, run_job

TASKS = [Task("jobs.run", run_job)]
SCHEDULE = [
    Scheduled("jobs.reap", every_s=lambda s: s.job_reap_interval_s, run=reap, at_start=True),
]
