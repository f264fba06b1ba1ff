"""Executors and resuming: the same tables wherever and however often an experiment runs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sim import bundled_scenario, load_scenario
from sim.analysis import executors
from sim.analysis.designs import variants_of
from sim.analysis.experiment import run_experiment
from sim.analysis.journal import Journal, JournalMismatch, read_journal
from sim.cli import main

COMPARE = ["compare", "ransomware_wave", "--variants", ",all_cbms", "-n", "6"]
SWEEP = ["sweep", "ransomware_wave", "--param", "parameters.indicator_block=0.2,0.8"]
"""Sweeps and comparisons share the experiment machinery; a sweep writes less."""


def _sweep(out: Path, *extra: str) -> bytes:
    result = CliRunner().invoke(main, [*SWEEP, "-n", "6", "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return (out / "replications.csv").read_bytes()


def test_tables_are_identical_on_one_worker_two_workers_and_a_local_dask_cluster(
    tmp_path: Path,
) -> None:
    pytest.importorskip("distributed")
    one = _sweep(tmp_path / "one", "--workers", "1")
    assert one == _sweep(tmp_path / "two", "--workers", "2")
    assert one == _sweep(tmp_path / "dask", "--dask-local", "2")
    assert one.count(b"\n") == 1 + 2 * 6


def test_executors_agree_on_every_output_of_a_run() -> None:
    variants = variants_of(load_scenario(bundled_scenario("ransomware_wave")), [None, "all_cbms"])
    with executors.sequential() as alone:
        first = run_experiment(variants, 4, seed=3, executor=alone)
    with executors.process_pool(2) as pool:
        pooled = run_experiment(variants, 4, seed=3, executor=pool)
    assert _same(first.rows, pooled.rows)
    for label, sectors in first.sector_loss.items():
        for sector, loss in sectors.items():
            assert (loss == pooled.sector_loss[label][sector]).all()


def test_a_journal_resumes_only_what_it_belongs_to(tmp_path: Path) -> None:
    scenario = load_scenario(bundled_scenario("ransomware_wave"))
    variants = variants_of(scenario, [None, "all_cbms"])
    path = tmp_path / "j.jsonl"
    journal = Journal(path, 7, variants, {})
    whole = run_experiment(variants, 3, seed=7, on_result=journal.record)
    journal.close()
    with path.open("a") as handle:
        handle.write('{"variant": "as_wri')  # a line cut short by a kill
    done, changed = read_journal(path, 7, variants)
    assert len(done) == 6 and changed == []
    assert _same(run_experiment(variants, 3, seed=7, done=done).rows, whole.rows)
    with pytest.raises(JournalMismatch, match="seed 7, not 8"):
        read_journal(path, 8, variants)
    altered = variants | {"all_cbms": variants["as_written"]}
    done, changed = read_journal(path, 7, altered)
    assert {label for label, _ in done} == {"as_written"} and changed == ["all_cbms"]


def _same(rows: list[dict], others: list[dict]) -> bool:
    """Equal rows, NaN (an undefined mean) equal to NaN."""
    return pd.DataFrame(rows).equals(pd.DataFrame(others))


def _journal_entries(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines()[1:] if line.endswith("}"))


RUNS = 2 * 60


def _start(out: Path, *extra: str, group: bool = False) -> subprocess.Popen[str]:
    """The sweep in a child process; with `group`, leading its own process group, as a
    terminal's foreground job whose Ctrl-C reaches every process in it."""
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *SWEEP, "-n", "60", "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group,
    )


def _wait_for_entries(path: Path, process: subprocess.Popen[str], at_least: int) -> None:
    deadline = time.monotonic() + 120
    while _journal_entries(path) < at_least:
        assert process.poll() is None, "the experiment finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.parametrize("how", ["kill", "ctrl-c"])
def test_an_interrupted_experiment_resumes_without_redoing_or_duplicating(
    tmp_path: Path, how: str
) -> None:
    out, journal = tmp_path / "c", tmp_path / "c.journal.jsonl"
    process = _start(out, "--workers", "1" if how == "kill" else "2")
    _wait_for_entries(journal, process, 3)
    if how == "kill":
        process.kill()
    else:
        process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    if how == "ctrl-c":
        assert process.returncode == 130 and "Traceback" not in stderr, stderr
        assert "--resume" in stderr
    assert not out.exists()
    kept = _journal_entries(journal)
    assert 3 <= kept < RUNS

    resumed = _start(out, "--resume")
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert re.search(rf"Resuming: {kept} of {RUNS} runs already done", stderr), stderr
    assert not journal.exists()

    whole = tmp_path / "whole"
    CliRunner().invoke(main, [*SWEEP, "-n", "60", "--workers", "1", "--out", str(whole)])
    assert (out / "replications.csv").read_bytes() == (whole / "replications.csv").read_bytes()


@pytest.mark.slow
def test_ctrl_c_under_a_local_dask_cluster_is_quiet(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    journal = tmp_path / "c.journal.jsonl"
    process = _start(tmp_path / "c", "--dask-local", "2", group=True)
    _wait_for_entries(journal, process, 3)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and "Traceback" not in stderr, stderr
    assert "--resume" in stderr and _journal_entries(journal) >= 3


def test_a_left_over_journal_is_not_silently_overwritten(tmp_path: Path) -> None:
    (tmp_path / "c.journal.jsonl").write_text(json.dumps({"seed": 0}) + "\n")
    result = CliRunner().invoke(main, [*COMPARE, "--out", str(tmp_path / "c")])
    assert result.exit_code == 2 and "--resume" in result.stderr
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:9", "notanaddress"])
def test_an_unusable_scheduler_is_a_short_error_and_leaves_nothing(
    tmp_path: Path, address: str
) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "c"
    result = CliRunner().invoke(main, [*COMPARE, "--scheduler", address, "--out", str(out)])
    assert result.exit_code == 2 and "cannot reach the Dask scheduler" in result.stderr
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


def test_an_unwritable_output_is_a_short_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = CliRunner().invoke(main, [*COMPARE, "--out", str(tmp_path / "afile" / "sub")])
    assert result.exit_code == 2 and "cannot write" in result.stderr, result.output


def test_resuming_another_seeds_journal_is_refused(tmp_path: Path) -> None:
    variants = variants_of(load_scenario(bundled_scenario("ransomware_wave")), [None, "all_cbms"])
    Journal(tmp_path / "c.journal.jsonl", 7, variants, {}).close()
    args = [*COMPARE, "--seed", "8", "--resume", "--out", str(tmp_path / "c")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "seed 7, not 8" in result.stderr


def test_a_process_pool_leaves_no_workers_behind() -> None:
    before = _children()
    with executors.process_pool(2) as pool:
        assert sorted(pool(pow, 2, [1, 2, 3])) == [(0, 2), (1, 4), (2, 8)]
    assert _children() <= before


def _children() -> set[int]:
    tasks = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    return {int(pid) for pid in tasks.read_text().split()} if tasks.exists() else set()
