"""The jobs area's background work: running a job, and reaping lost leases."""

from __future__ import annotations

from domain.background import Scheduled, Task
from domain.jobs.runner import reap, run_job

# A job resumes from its last chunk whenever it runs again, so a long one may be stopped and
# retried; the day's bound only stops one that makes no progress at all.
TASKS = [Task("jobs.run", run_job, timeout_s=24 * 3600.0)]
SCHEDULE = [
    Scheduled("jobs.reap", every_s=lambda s: s.job_reap_interval_s, run=reap, at_start=True),
]
