"""Serve the deployment ``digitize-folder/scheduled-ingest``: the flow on a cron schedule, from this process.

    python -m flows.deploy --input DIR --out DIR --cron "*/10 * * * *"

Blocks like ``flow.serve``: the process polls the Prefect API (``PREFECT_API_URL``) for scheduled and manually
triggered runs of the deployment and runs each in a subprocess. Each run picks up new or changed files only
(see :mod:`flows.digitize`). For a work pool and ``prefect worker start`` instead, see ``prefect.yaml`` at the
repository root and ``docs/orchestration.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from flows.digitize import digitize_folder
from flows.params import DigitizeParams, add_arguments, check_api_for_dask, check_dask_cluster, params_from_args

DEPLOYMENT = "scheduled-ingest"


def build_deployment(params: DigitizeParams, cron: str, *, name: str = DEPLOYMENT,
                     timezone: str | None = None) -> Any:
    """The deployment (a ``RunnerDeployment``) with its cron schedule and default parameters; not registered.

    ``.apply()`` registers it without running anything; ``prefect.serve(deployment)`` registers and serves it.
    """
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    # Entrypoint `flows.digitize.digitize_folder` (a module path, not flows/digitize.py): loaded from a file,
    # the flow and its task would live in a module named `digitize`, which Dask workers cannot import.
    return digitize_folder.to_deployment(
        name=name, schedule=Cron(cron, timezone=timezone), entrypoint_type=EntrypointType.MODULE_PATH,
        parameters={"params": params.model_dump(mode="json")},
        concurrency_limit=1,  # runs share the output folder (and its lock): a second run waits its turn
        tags=["docpipe"], description=f"Digitize new or changed documents of {params.input} into {params.out}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows.deploy", description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    ap.add_argument("--cron", required=True, help='a cron schedule, e.g. "*/10 * * * *" (every 10 minutes)')
    ap.add_argument("--timezone", help="IANA time zone of the schedule, e.g. Europe/Berlin (default UTC)")
    ap.add_argument("--name", default=DEPLOYMENT, help="deployment name")
    a = ap.parse_args(argv)
    check_api_for_dask(a)
    if a.dask_address:
        check_dask_cluster(a.dask_address)
    # Served runs import the flow (flows.digitize) in a subprocess: the task runner comes from these.
    if a.dask_address:
        os.environ["DOCPIPE_DASK_ADDRESS"] = a.dask_address
    if a.dask_workers:
        os.environ["DOCPIPE_DASK_WORKERS"] = str(a.dask_workers)
    if a.workers:
        os.environ["DOCPIPE_FLOW_WORKERS"] = str(a.workers)
    from prefect import serve

    deployment = build_deployment(params_from_args(a), a.cron, name=a.name, timezone=a.timezone)
    print(f"serving deployment 'digitize-folder/{a.name}' on cron {a.cron!r}; Ctrl+C to stop", flush=True)
    serve(deployment)
    return 0


if __name__ == "__main__":
    from flows.deploy import main as _main  # the importable module, not __main__ (see flows.digitize)

    sys.exit(_main())
