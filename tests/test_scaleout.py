"""Scale-out as documented (docs/orchestration.md, section 4), with real processes on 127.0.0.1.

One ``prefect server start`` for the module; a ``dask scheduler`` and two ``dask worker`` processes running the
flow's tasks (``python -m flows.digitize --dask-address``); a ``process`` work pool with two ``prefect worker``
processes taking one deployment's runs (``prefect deploy`` from ``prefect.yaml``). The server, the Dask
scheduler and workers and the Prefect workers are started from the virtualenv's own scripts in temporary
folders, not in the checkout, with no ``PYTHONPATH``: the flow's code must be importable because it is
installed. The flow command and ``prefect deploy`` run from the repository root, as documented. Each process
runs in its own process group, killed in teardown; every wait has a timeout.

Documents: synthetic one-page invoices and receipts (``docpipe.synth``), rules backend, no detector, English.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("prefect")
pytest.importorskip("prefect_dask")

import httpx  # noqa: E402

from docpipe.output import LOCK, MANIFEST, OutputFolder  # noqa: E402
from docpipe.types import DocumentResult, ManifestLine  # noqa: E402

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(480)]

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the virtualenv's scripts: prefect, dask
# Fast pipeline options for the runs: deterministic rules, no detector, English only.
PIPELINE = {"workers": 1, "structure": {"backend": "rules"}, "detect": {"enabled": False}, "ocr": {"lang": "eng"}}
FAST_FLAGS = ["--no-llm", "--no-detect", "--lang", "eng", "--overlays", "none"]


class Processes:
    """Background processes, each in its own session (process group), output to a log file."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, args: list[str], *, cwd: Path, env: dict[str, str]) -> Path:
        log = self.logs / f"{name}.log"
        with open(log, "wb") as f:
            proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append((proc, log))
        return log

    def check_alive(self) -> None:
        for proc, log in self.procs:
            if proc.poll() is not None:
                raise AssertionError(f"{log.name} exited with {proc.returncode}:\n{_tail(log)}")

    def stop(self) -> None:
        # A prefect worker stops on a second SIGINT (or SIGTERM) while it waits; the rest on the first.
        for sig, wait in ((signal.SIGINT, 10.0), (signal.SIGINT, 5.0), (signal.SIGKILL, 5.0)):
            for proc, _ in self.procs:
                if proc.poll() is None:
                    try:
                        os.killpg(proc.pid, sig)
                    except ProcessLookupError:
                        pass
            deadline = time.monotonic() + wait
            for proc, _ in self.procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
        for proc, _ in self.procs:  # children of a killed leader (flow-run processes, nannies) share its group
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _tail(log: Path, n: int = 4000) -> str:
    return log.read_text(errors="replace")[-n:] if log.exists() else "(no log)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path, api_url: str | None, **extra: str) -> dict[str, str]:
    """This environment without Prefect, Dask-runner, PYTHONPATH or OMP_THREAD_LIMIT settings, plus ours."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "DOCPIPE_DASK_", "DOCPIPE_FLOW_", "DASK_"))
           and k not in ("PYTHONPATH", "OMP_THREAD_LIMIT")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", PREFECT_HOME=str(home),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", **extra)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _wait(what: str, check, timeout: float, procs: Processes | None = None, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if procs is not None:
            procs.check_alive()
        try:
            if (value := check()):
                return value
        except (httpx.HTTPError, OSError, ValueError):
            pass
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Api:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, method: str, path: str, **kw):
        for attempt in range(8):  # the server answers 503 while SQLite is busy, as Prefect's own client retries
            r = httpx.request(method, self.url + path, timeout=30, **kw)
            if r.status_code not in (429, 503):
                break
            time.sleep(0.5 * (attempt + 1))
        r.raise_for_status()
        return r.json() if r.content else None

    def flow_run(self, run_id: str) -> dict:
        return self("GET", f"/flow_runs/{run_id}")

    def task_runs(self, run_ids: list[str], *, timeout: float = 30.0) -> list[dict]:
        """The task runs of ``run_ids``, once each has a state: task runs on Dask workers report their states
        as events, which the server records a moment after the flow run has finished (a fresh clone's CI saw a
        task run with no state yet)."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self("POST", "/task_runs/filter", json={"flow_runs": {"id": {"any_": run_ids}}, "limit": 200})
            if all(t.get("state") for t in runs) or time.monotonic() > deadline:
                return runs
            time.sleep(0.5)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("scaleout")


@pytest.fixture(scope="module")
def prefect_api(workdir):
    """A real Prefect server on a free loopback port, its database in a temporary PREFECT_HOME; no cron
    scheduler (no scheduled runs to interfere), and a 2 s wait for a deployment's concurrency slot."""
    procs = Processes(workdir)
    port = _free_port()
    env = _env(workdir / "server-home", None, PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
               PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS="2", PREFECT_SERVER_UI_ENABLED="false")
    procs.start("prefect-server", [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                                   str(port), "--no-ui"], cwd=workdir, env=env)
    api = Api(f"http://127.0.0.1:{port}/api")
    try:
        _wait("the Prefect server", lambda: api("GET", "/health") is True, 120, procs)
        yield api
    finally:
        procs.stop()


@pytest.fixture(scope="module")
def documents(workdir) -> list[Path]:
    """Four one-page documents (2 invoices, 2 receipts), without the generator's expected/ folder."""
    from docpipe.synth import generate

    src = workdir / "synth"
    docs = generate(src, invoices=2, receipts=2, drawings=0, others=0, seed=11)
    return docs


def _inbox(folder: Path, docs: list[Path]) -> list[str]:
    folder.mkdir(parents=True)
    for p in docs:
        shutil.copy2(p, folder / p.name)
    return sorted(p.name for p in docs)


@pytest.fixture(scope="module")
def dask_cluster(workdir):
    """A ``dask scheduler`` and two ``dask worker --nthreads 1`` processes, started in a temporary folder (not the
    checkout) with no PYTHONPATH and no Prefect settings: the address, and a client of the test's own."""
    import cloudpickle
    from distributed import Client

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # probes of this module run on the workers
    procs = Processes(workdir)
    elsewhere = workdir / "dask"
    elsewhere.mkdir()
    env = _env(workdir / "dask-home", None)
    sched_file = workdir / "scheduler.json"
    procs.start("dask-scheduler", [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", str(sched_file)], cwd=elsewhere, env=env)
    try:
        address = _wait("the Dask scheduler", lambda: json.loads(sched_file.read_text())["address"], 60, procs)
        for i in (1, 2):
            procs.start(f"dask-worker-{i}", [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--name",
                                             f"w{i}", "--no-dashboard"], cwd=elsewhere, env=env)
        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
            yield address, client
    finally:
        procs.stop()
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.fixture
def procs(tmp_path):
    p = Processes(tmp_path)
    try:
        yield p
    finally:
        p.stop()


def _check_outputs(out: Path, names: list[str]) -> list[ManifestLine]:
    """Exactly one valid output per document, and one manifest line each, naming it."""
    outputs = sorted(p.name for p in out.glob("*.json"))
    assert outputs == sorted(f"{n}.json" for n in names)
    for n in names:
        result = DocumentResult.model_validate_json((out / f"{n}.json").read_text("utf-8"))
        assert result.source.path == n and result.status == "ok", (n, result.status, result.errors)
    lines = [ManifestLine.model_validate(json.loads(raw)) for raw in (out / MANIFEST).read_text().splitlines()]
    assert sorted(ln.path for ln in lines) == names
    assert all(ln.output == f"{ln.path}.json" for ln in lines)
    assert not list(out.glob(".*.tmp"))
    return lines


# --- Dask: a scheduler and two workers, the flow run with --dask-address ------------------------------------

def test_flow_on_a_dask_cluster_with_two_workers(prefect_api, dask_cluster, documents, tmp_path):
    address, client = dask_cluster
    names = _inbox(tmp_path / "in", documents)
    before = client.run(_executed_count)
    out = tmp_path / "out"  # the flow command from the repository root, as documented
    t0 = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "flows.digitize", "--input", str(tmp_path / "in"), "--out",
                          str(out), "--dask-address", address, *FAST_FLAGS],
                         cwd=REPO, env=_env(tmp_path / "home", prefect_api.url), capture_output=True, text=True,
                         timeout=360, check=False)
    seconds = time.monotonic() - t0
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    totals = ast.literal_eval(run.stdout.strip().splitlines()[-1])
    assert totals["processed"] == len(names) and totals["failed"] == 0 and totals["found"] == len(names)
    _check_outputs(out, names)

    # The flow run completed, with one completed task run per document.
    run_id = re.search(r"/runs/flow-run/([0-9a-f-]{36})", run.stdout + run.stderr).group(1)
    assert prefect_api.flow_run(run_id)["state"]["type"] == "COMPLETED"
    tasks = prefect_api.task_runs([run_id])
    assert sorted(t["name"] for t in tasks) == names
    assert all(t["state"]["type"] == "COMPLETED" for t in tasks)

    # Both workers ran documents, each document once; the task left OMP_THREAD_LIMIT unset in the workers.
    executed = {w: n - before[w] for w, n in client.run(_executed_count).items()}
    assert len(executed) == 2 and all(n >= 1 for n in executed.values()), executed
    assert sum(executed.values()) == len(names), executed
    assert set(client.run(_omp_thread_limit).values()) == {None}
    print(f"\n{len(names)} documents on 2 Dask workers: flow command {seconds:.1f} s; per worker {executed}")


def _executed_count(dask_worker) -> int:
    return dask_worker.state.executed_count


def _omp_thread_limit() -> str | None:
    return os.environ.get("OMP_THREAD_LIMIT")


# --- work pool: two prefect workers, one deployment ----------------------------------------------------------

def _ran_on(logs: list[Path], run_name: str) -> int:
    """The worker whose flow-run subprocess logged the start of this run (a worker shows its runs' logs)."""
    (i,) = [i for i, log in enumerate(logs) if f"Beginning flow run '{run_name}'" in log.read_text()]
    return i


def test_work_pool_two_workers_one_deployment(prefect_api, dask_cluster, documents, procs, tmp_path):
    docs = documents[:3]
    names = _inbox(tmp_path / "in", docs)
    out1, out2 = tmp_path / "out1", tmp_path / "out2"
    env = _env(tmp_path / "home", prefect_api.url)
    # As in docs/orchestration.md, section 3: from the repository root, with the folders in the environment.
    deploy_env = dict(env, DOCPIPE_INPUT=str(tmp_path / "in"), DOCPIPE_OUT=str(out1), PWD=str(REPO))
    for args in (["work-pool", "create", "docpipe", "--type", "process"],
                 ["--no-prompt", "deploy", "--name", "scheduled-ingest"]):
        r = subprocess.run([str(BIN / "prefect"), *args], cwd=REPO, env=deploy_env, capture_output=True,
                           text=True, timeout=180, check=False)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    dep = prefect_api("GET", "/deployments/name/digitize-folder/scheduled-ingest")
    assert dep["entrypoint"] == "flows.digitize.digitize_folder" and dep["work_pool_name"] == "docpipe"
    assert dep["parameters"]["params"]["out"] == str(out1)
    assert (dep.get("global_concurrency_limit") or {}).get("limit") == 1

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    worker_env = dict(env, PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="2")
    logs = [procs.start(f"prefect-worker-{i}", [str(BIN / "prefect"), "worker", "start", "--pool", "docpipe",
                                                "--name", f"pw{i}", "--limit", "1"], cwd=elsewhere, env=worker_env)
            for i in (1, 2)]

    def online() -> bool:
        workers = prefect_api("POST", "/work_pools/docpipe/workers/filter", json={})
        return sorted(w["name"] for w in workers if w["status"] == "ONLINE") == ["pw1", "pw2"]

    _wait("two online workers", online, 120, procs)

    def trigger(out: Path, **job_variables) -> str:
        params = {"input": str(tmp_path / "in"), "out": str(out), "pipeline": PIPELINE, "overlays": "none"}
        return prefect_api("POST", f"/deployments/{dep['id']}/create_flow_run",
                           json={"parameters": {"params": params}, "job_variables": job_variables})["id"]

    def finished(run_ids: list[str]):
        runs = [prefect_api.flow_run(i) for i in run_ids]
        return runs if all(r["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for r in runs) \
            else None

    # 1. As shipped (deployment concurrency limit 1): three runs at once. Both workers take runs; the server
    #    lets one run at a time (the others wait for the slot, AwaitingConcurrencySlot); every run completes.
    t0 = time.monotonic()
    ids = [trigger(out1) for _ in range(3)]
    runs = _wait("three flow runs", lambda: finished(ids), 360, procs, every=1.0)
    seconds1 = time.monotonic() - t0
    assert [r["state"]["type"] for r in runs] == ["COMPLETED"] * 3, [r["state"] for r in runs]
    processed = [t for t in prefect_api.task_runs(ids) if t["state"]["type"] == "COMPLETED"]
    assert sorted(t["name"] for t in processed) == names  # each document processed once, over all runs
    _check_outputs(out1, names)
    took = [{i for i in ids if f"submitting flow run '{i}'" in log.read_text()} for log in logs]
    assert all(took), f"each worker should have taken a run: {took}"  # while one ran a run, the other took one
    spans = sorted((r["start_time"], r["end_time"]) for r in runs)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), f"runs overlapped: {spans}"

    # 2. The limit lifted (as from the UI): two runs at the same time on the two workers, into one output folder.
    #    The output folder's lock lets the first in; the other fails at once, having written nothing.
    prefect_api("PATCH", f"/deployments/{dep['id']}", json={"concurrency_limit": None})
    first = trigger(out2)
    _wait("the first run to start", lambda: prefect_api.flow_run(first)["state"]["type"] == "RUNNING", 120, procs)
    second = trigger(out2)  # the worker running `first` is at its --limit 1: the other worker takes this one
    a, b = _wait("both runs", lambda: finished([first, second]), 360, procs, every=1.0)
    assert a["state"]["type"] == "COMPLETED", a["state"]
    ran_on = [_ran_on(logs, r["name"]) for r in (a, b)]
    assert sorted(ran_on) == [0, 1], ran_on  # one run on each worker
    overlapped = b["start_time"] < a["end_time"]
    if overlapped:  # the lock refused the second run
        assert b["state"]["type"] == "FAILED", b["state"]
        assert "another docpipe run is writing to" in (b["state"]["message"] or ""), b["state"]
        assert prefect_api.task_runs([second]) == []
    else:  # the first had finished: the second found every document in the manifest
        assert b["state"]["type"] == "COMPLETED" and prefect_api.task_runs([second]) == []
    _check_outputs(out2, names)

    # 3. A run by hand into the deployment's output folder (e.g. `docpipe run ... --out`), holding the lock: a
    #    run of the deployment that starts meanwhile fails at once and changes nothing.
    out3 = tmp_path / "out3"
    with OutputFolder(out3):
        blocked = trigger(out3)
        (run,) = _wait("the blocked run", lambda: finished([blocked]), 180, procs, every=1.0)
    assert run["state"]["type"] == "FAILED" and "another docpipe run is writing to" in run["state"]["message"]
    assert sorted(p.name for p in out3.iterdir()) == [LOCK]  # no output, no manifest, no Prefect results

    # 4. A run whose tasks go to the Dask cluster (prefect.yaml's job_variables.env, here set for one run): the
    #    flow-run process imports the flow by its module path, so the workers can unpickle its tasks.
    address, client = dask_cluster
    before = sum(client.run(_executed_count).values())
    out4 = tmp_path / "out4"
    on_dask = trigger(out4, env={"DOCPIPE_DASK_ADDRESS": address})
    (run,) = _wait("the run on Dask", lambda: finished([on_dask]), 300, procs, every=1.0)
    assert run["state"]["type"] == "COMPLETED", run["state"]
    assert sum(client.run(_executed_count).values()) - before == len(names)
    _check_outputs(out4, names)
    print(f"\nwork pool: 3 runs of one deployment over {len(names)} documents in {seconds1:.1f} s; without the "
          f"limit, two runs {'overlapped: the second was refused by the lock' if overlapped else 'did not overlap'}")
