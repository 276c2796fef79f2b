"""Prefect flows and deployments over the docpipe library. Orchestration only: every step is a library call.

- :mod:`flows.digitize`: the ``digitize-folder`` flow and its one-task-per-document ``process-document``
- :mod:`flows.deploy`: serve the ``digitize-folder/scheduled-ingest`` deployment on a cron schedule
- :mod:`flows.artifacts`: the table, summary and overlay artifacts a run publishes
- :mod:`flows.params`: the flow's parameter model and the cache key

``flows`` is installed with ``docpipe`` (``pyproject.toml``), so Dask schedulers and workers and Prefect
workers import the flow's tasks as ``flows.digitize`` wherever they were started. See ``docs/orchestration.md``.
"""
