"""Prometheus metrics of the media pipeline (in the worker's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

JOB_OUTCOMES = Counter(
    "media_jobs_total", "Media job attempts by outcome", ["type", "outcome"]
)  # outcome: succeeded, failed, retried, canceled
JOB_SECONDS = Histogram(
    "media_job_processing_seconds",
    "Time a worker spent on one attempt of a media job",
    ["type"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
QUEUE_DEPTH = Gauge("media_queue_depth", "Media jobs waiting for a worker")
