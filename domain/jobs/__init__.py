"""Batch prediction jobs: a file of rows predicted in chunks by a pinned version."""

from domain.jobs.service import Jobs, JobsConfig, SignedLink, SubmitOutcome

__all__ = ["Jobs", "JobsConfig", "SignedLink", "SubmitOutcome"]
