"""Nothing lost: a served room killed with SIGKILL mid-exercise and restarted with --resume has
the same links and the same state, and its decisions file replays to its records."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from sim.facilitation.session import open_session, replay

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """The servers a test starts, killed when it ends however it ends."""
    servers: list[subprocess.Popen[str]] = []
    yield servers
    for server in servers:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _serve(
    started: list[subprocess.Popen[str]], folder: Path, port: int, *extra: str
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`cyberttx serve` in its own process, and its links by role once it answers."""
    command = [sys.executable, "-m", "sim", "serve", "--out", str(folder), "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--pace", "600", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    started.append(server)
    links: dict[str, str] = {}
    said = []
    assert server.stdout is not None
    while len(links) < 8:
        line = server.stdout.readline()
        said.append(line)
        assert line, f"the server ended ({server.wait()}): {''.join(said)[-600:]}"
        found = re.match(r"\s+(\S+)\s+(http://\S+)$", line)
        if found:
            links[found[1]] = found[2]
    for _ in range(100):
        try:
            httpx.get(links["board"] + "/state", timeout=1)
            return server, links
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server does not answer")


def _post(links: dict[str, str], role: str, action: str, body: dict) -> httpx.Response:
    page = httpx.get(links[role]).text
    config = json.loads(re.search(r'id="config" type="application/json">(.*?)</script>', page)[1])
    headers = {"X-CSRF-Token": config["csrf"]}
    return httpx.post(f"{links[role]}/{action}", json=body, headers=headers, timeout=5)


def _state(links: dict[str, str], role: str) -> dict:
    return httpx.get(links[role] + "/state", timeout=5).json()


def test_a_killed_room_resumes_where_it_was(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    folder, port = tmp_path / "room", _free_port()
    server, links = _serve(started, folder, port)
    try:
        assert _post(links, "facilitator", "act", {"command": "run"}).status_code == 200
        while (state := _state(links, "facilitator"))["clock"] < 30:
            for waiting in state["pending"]:  # a decision point stops the clock
                _post(links, "facilitator", "answer", {"point": waiting["point"], "option": 0})
            time.sleep(0.2)
        assert _post(links, "facilitator", "act", {"command": "pause"}).status_code == 200
        share = {"kind": "share", "to": ["VLD"]}
        assert _post(links, "team:HST", "move", share).status_code == 200
        asked = _post(links, "team:HST", "request", {"helper": "VLD", "analysts": 3}).json()
        note = {"text": "HST shared early", "objective": "cooperate"}
        assert _post(links, "evaluator", "note", note).status_code == 200
        before = _state(links, "facilitator")
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    server, again = _serve(started, folder, port, "--resume")
    try:
        assert again == links  # the same links
        while (after := _state(again, "facilitator"))["catching_up"]:
            time.sleep(0.2)
        assert after["paused"] and after["clock"] >= before["clock"] - 1.0
        assert [r["id"] for r in after["requests"]] == [asked["request"]]
        assert _post(again, "team:VLD", "reply", {"request": asked["request"], "accept": True})
        assert _post(again, "facilitator", "act", {"command": "end"}).status_code == 200
        for _ in range(600):
            if _state(again, "facilitator")["ended"]:
                break
            time.sleep(0.2)
        assert _state(again, "facilitator")["ended"]
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    decisions = (folder / "decisions.yaml").read_text()
    assert "HST shares indicators with VLD" in decisions and "VLD lends HST 3" in decisions
    first = yaml.safe_load(decisions)["decisions"][0]  # answered before the kill
    assert first["label"] and first["wall_clock"] and first["source"] == "facilitator"
    assert "Team move" in (folder / "aar.html").read_text()
    assert "HST shared early" in (folder / "aar.html").read_text()
    replayed = replay(open_session(decisions=folder / "decisions.yaml")).result
    assert replayed is not None
    room_events = (folder / "events.csv").read_bytes()
    from sim.analysis.export import run_files

    assert run_files(replayed, {})["events.csv"] == room_events


def test_a_port_in_use_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sim.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["serve", "--out", str(tmp_path / "room"), "--port", str(port)]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output
    assert not (tmp_path / "room").exists()
