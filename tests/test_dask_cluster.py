"""A Dask cluster of separate processes, as on several machines: a scheduler and two workers
started from the command line, and an experiment sent to it by address."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

pytest.importorskip("distributed")

COMPARE = ["compare", "ransomware_wave", "--variants", ",all_cbms", "-n", "5"]


def _started(*arguments: str) -> subprocess.Popen[bytes]:
    """`dask ARGUMENTS...` in its own process group (a worker's nanny starts a child)."""
    return subprocess.Popen(
        [sys.executable, "-m", "dask", *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End `process` and its group: politely, then for good."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is None:
            os.killpg(process.pid, sent)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                continue


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[str]:
    """The address of a scheduler with two single-threaded workers, each its own process."""
    from distributed import Client

    started: list[subprocess.Popen[bytes]] = []
    file = tmp_path / "scheduler.json"
    try:
        started.append(
            _started(
                "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                "--scheduler-file", str(file),
            )
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert time.monotonic() < deadline and started[0].poll() is None
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            started.append(
                _started(
                    "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                    "--host", "127.0.0.1",
                )
            )  # fmt: skip
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in reversed(started):
            _stop(process)


@pytest.mark.slow
def test_an_experiment_on_a_cluster_of_separate_processes_gives_the_sequential_tables(
    tmp_path: Path, scheduler: str
) -> None:
    whole, cluster = tmp_path / "whole", tmp_path / "cluster"
    result = CliRunner().invoke(main, [*COMPARE, "--workers", "1", "--out", str(whole)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        main, [*COMPARE, "--scheduler", scheduler, "--chunk", "2", "--out", str(cluster)]
    )
    assert result.exit_code == 0, result.output
    for table in ("replications.csv", "comparison.csv"):
        assert (cluster / table).read_bytes() == (whole / table).read_bytes()
