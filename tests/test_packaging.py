"""A wheel installed outside the repository runs the bundled default scenario."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_runs_the_default_scenario_from_anywhere(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
        ],
        check=True,
    )
    (wheel,) = dist.glob("cyberttx-*.whl")
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    # The dependencies come from this interpreter (no network); its .pth files, and with them
    # the editable install of the checkout, are not processed there.
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "outer.pth").write_text("\n".join(sorted(paths)) + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True)
    away = tmp_path / "elsewhere"
    away.mkdir()
    run = subprocess.run(
        [env / "bin" / "cyberttx", "run", "--out", "out"], cwd=away, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    provenance = json.loads((away / "out" / "run.json").read_text())
    assert provenance["scenario_file"].startswith(str(env))
    listed = subprocess.run([env / "bin" / "cyberttx", "list"], capture_output=True, text=True)
    assert "continental_final (default)" in listed.stdout
