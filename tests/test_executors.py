"""Executors and resuming: the same tables wherever and however often an experiment runs."""

from __future__ import annotations

import base64
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sim import ScenarioError, bundled_scenario, load_scenario
from sim.analysis import executors
from sim.analysis import journal as journal_module
from sim.analysis.designs import variants_of
from sim.analysis.experiment import (
    AUTO_CHUNK,
    Variant,
    absorption_rate,
    chunk_size,
    chunked,
    run_experiment,
)
from sim.analysis.journal import Batch, Journal, JournalDamage, JournalMismatch, read_journal
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


@pytest.mark.parametrize("chunk", ["1", "4", "1000"])
def test_tables_are_identical_whatever_the_chunk(tmp_path: Path, chunk: str) -> None:
    whole = _sweep(tmp_path / "whole", "--workers", "1", "--chunk", "1000")
    assert whole == _sweep(tmp_path / "chunked", "--workers", "2", "--chunk", chunk)


def test_tasks_hold_one_variants_replications_and_each_worker_gets_several() -> None:
    keys = [("a", r) for r in range(5)] + [("b", r) for r in (0, 3, 4)]
    assert chunked(keys, 2) == [
        ("a", (0, 1)),
        ("a", (2, 3)),
        ("a", (4,)),
        ("b", (0, 3)),
        ("b", (4,)),
    ]
    assert chunk_size(10_000, 2) == AUTO_CHUNK and chunk_size(120, 2) == 7
    assert chunk_size(3, 8) == 1


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
    journal = Journal(path, 7, variants, [])
    whole = run_experiment(variants, 3, seed=7, on_batch=journal.record, chunk=2)
    journal.close()
    with path.open("a") as handle:
        handle.write('{"variant": "as_wri')  # a line cut short by a kill
    done, changed = read_journal(path, 7, variants)
    assert sorted((b.variant, b.replications) for b in done) == [
        ("all_cbms", (0, 1)),
        ("all_cbms", (2,)),
        ("as_written", (0, 1)),
        ("as_written", (2,)),
    ]
    assert changed == []
    assert _same(run_experiment(variants, 3, seed=7, done=done).rows, whole.rows)
    with pytest.raises(JournalMismatch, match="seed 7, not 8"):
        read_journal(path, 8, variants)
    altered = variants | {"all_cbms": variants["as_written"]}
    done, changed = read_journal(path, 7, altered)
    assert {b.variant for b in done} == {"as_written"} and changed == ["all_cbms"]


def _same(rows: list[dict], others: list[dict]) -> bool:
    """Equal rows, NaN (an undefined mean) equal to NaN."""
    return pd.DataFrame(rows).equals(pd.DataFrame(others))


def _journal_entries(path: Path) -> int:
    """Runs the journal at `path` holds."""
    if not path.exists():
        return 0
    runs = 0
    for line in path.read_bytes().splitlines(keepends=True)[1:]:
        try:
            runs += len(Batch.decode(line).replications)
        except JournalDamage:
            continue
    return runs


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
    Journal(tmp_path / "c.journal.jsonl", 7, variants, []).close()
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


def test_a_variant_travels_without_its_topology_and_builds_it_once() -> None:
    variant = Variant(load_scenario(bundled_scenario("ransomware_wave")))
    assert variant.topology is variant.topology
    assert pickle.loads(pickle.dumps(variant))._topology is None


def test_a_batch_survives_the_journal_exactly_and_compactly() -> None:
    variants = variants_of(load_scenario(bundled_scenario()), ["baseline"])
    batches: list[Batch] = []
    run_experiment(variants, 4, seed=3, on_batch=batches.append, chunk=4)
    (batch,) = batches
    again = pickle.loads(pickle.dumps(batch))  # as it comes back from a worker
    assert json.dumps(again.rows) == json.dumps(batch.rows)  # NaN included
    assert again.loss.tobytes() == batch.loss.tobytes() and again.sectors == batch.sectors
    assert len(batch.line) < 4 * 2000  # the runs' tables hold about 10 KB each
    assert len(pickle.dumps(batch)) < len(batch.line) + 200


def _damaged(line: bytes) -> list[bytes]:
    """`line` damaged in ways a journal handed over may be."""
    record = json.loads(line)
    data = base64.b64decode(record["data"])
    changes = [
        {"variant": 3},
        {"replications": [0, 0, 1, 2]},
        {"replications": [0, -1, 2, 3]},
        {"replications": [0, 1, 2]},  # fewer than the data holds
        {"replications": [0, True, 2, 3]},
        {"columns": []},
        {"columns": [["variant", "f8"], *record["columns"][1:]]},
        {"columns": [[c, "c16"] for c, _ in record["columns"]]},
        {"sectors": record["sectors"][:-1]},
        {"points": 10**12},  # more than a batch may hold
        {"points": "121"},
        {"data": record["data"][:-8]},
        {"data": "not base64!"},
        {"data": base64.b64encode(data[:-9]).decode()},
        {"data": base64.b64encode(zlib.compress(zlib.decompress(data) + b"x")).decode()},
    ]
    return [json.dumps(record | change).encode() for change in changes] + [
        line[:-20],
        b"[1, 2]",
        b"\xff\xfe",
        b"[" * 100_000,
        b"{}",
    ]


def test_a_damaged_batch_line_is_refused_not_a_traceback() -> None:
    variants = variants_of(load_scenario(bundled_scenario("ransomware_wave")), [None])
    batches: list[Batch] = []
    run_experiment(variants, 4, seed=3, on_batch=batches.append, chunk=4)
    assert Batch.decode(batches[0].line).replications == (0, 1, 2, 3)
    for line in _damaged(batches[0].line):
        with pytest.raises(JournalDamage):
            Batch.decode(line)


def test_a_journal_is_read_line_by_line_within_bounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    variants = variants_of(load_scenario(bundled_scenario("ransomware_wave")), [None])
    path = tmp_path / "j.jsonl"
    journal = Journal(path, 7, variants, [])
    run_experiment(variants, 4, seed=7, on_batch=journal.record, chunk=2)
    journal.close()
    lines = path.read_bytes().splitlines(keepends=True)
    long = b"x" * 5000 + b"\n"
    path.write_bytes(lines[0] + long + lines[1] + long[:-1] + lines[2])  # the last one is lost
    monkeypatch.setattr(journal_module, "MAX_LINE_BYTES", 4096)
    done, _ = read_journal(path, 7, variants)
    assert [b.replications for b in done] == [(0, 1)]
    with pytest.raises(ScenarioError, match="is a directory, not an experiment journal"):
        read_journal(tmp_path, 7, variants)


def test_the_parents_absorption_rate_is_measured() -> None:
    variants = variants_of(load_scenario(bundled_scenario("ransomware_wave")), [None, "all_cbms"])
    with executors.process_pool(2) as pool, tempfile.TemporaryDirectory() as folder:
        journal = Path(folder) / "j.jsonl"
        assert absorption_rate(variants, 200, 1, pool, journal) > 0
        assert not journal.exists()


def test_a_journal_batch_this_code_could_not_have_written_is_redone(tmp_path: Path) -> None:
    """Well-formed but wrong: other KPI columns, unknown sectors, or a shape most of the
    variant's batches do not share. Dropped, counted as not done, and the tables are those
    of a fresh run (found by review: the wrong columns ended in a KeyError)."""
    from sim.analysis.experiment import Variant, run_chunk, usable
    from sim.analysis.journal import Batch

    scenario = load_scenario(bundled_scenario())
    variants = {"baseline": Variant(scenario)}
    good = [run_chunk(scenario.seed, variants, ("baseline", (r,))) for r in range(3)]
    renamed = Batch.of("baseline", (0,), [{"foo": 1.0}], [{"energy": good[0].loss[0, 0]}])
    kpis = {name: good[1].values[name][0].item() for name in good[1].values.dtype.names}
    strange = Batch.of("baseline", (1,), [kpis], [{"moonbase": good[1].loss[0, 0]}])
    assert usable([renamed, strange, *good]) == good
    fresh = run_experiment({"baseline": scenario}, 3, scenario.seed)
    resumed = run_experiment({"baseline": scenario}, 3, scenario.seed, done=[renamed, strange])
    assert repr(resumed.rows) == repr(fresh.rows)  # NaN included
