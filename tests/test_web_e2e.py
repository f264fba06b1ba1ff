"""The served room end to end, in a real headless Chromium: a facilitator, an evaluator, three
team pads (HST, VLD, ISL) and the projector board play `continental_final` at pace 600 through
their pages only (clicks, ticks and form posts), and the room's records replay identically.

Needs Chromium (Debian's /usr/bin/chromium, as `.ci/run` installs it, or Playwright's own);
skipped, with the reason, only when none is found and none can be installed. Screenshots go
to the test's tmp_path, and are copied to $CYBERTTX_SHOTS when that is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.analysis.export import run_files
from sim.facilitation.live import LiveRoom
from sim.facilitation.room_journal import Journal
from sim.facilitation.session import open_session, replay
from sim.schema.exercise import Move
from sim.web.i18n import catalog

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Without the networking flags Chromium keeps calling home, which a closed network refuses."""

SCREEN = {"width": 1920, "height": 1080}
TABLET = {"width": 1024, "height": 768}
DEADLINE_SECONDS = 45.0
"""The exercise, from Start to the room's end, must be over by then (about 20 s is usual)."""

SCREENS = ("facilitator", "team-HST", "evaluator", "board")
"""The four kinds of screen, as photographed."""

WORDS = catalog("en")
"""The pages' English words (what a button says is looked up, not copied here)."""

RECORDER = """
(() => {
  // What this page was sent and what its board showed, for the test to read back.
  window.__items = [];
  window.__down = [];
  const Native = window.EventSource;
  function Recording(url, options) {
    const source = new Native(url, options);
    source.addEventListener("item", (e) => window.__items.push(JSON.parse(e.data)));
    return source;
  }
  Recording.prototype = Native.prototype;
  window.EventSource = Recording;
  new MutationObserver(() => {
    document.querySelectorAll("#cascade td.down").forEach((td) => {
      const row = td.parentElement.querySelector("th").textContent;
      const column = td.closest("table").rows[0].cells[td.cellIndex].textContent;
      window.__down.push(row + " / " + column + ": " + td.textContent);
    });
  }).observe(document, { childList: true, subtree: true });
})();
"""


def _chromium() -> str | None:
    """A Chromium to drive: Debian's, another on PATH, or Playwright's download; installed
    with apt-get when none is found and we are root on a system that has apt-get."""
    found = ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
    for candidate in found:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    with sync_api.sync_playwright() as p:
        bundled = p.chromium.executable_path
    if bundled and os.access(bundled, os.X_OK):
        return bundled
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "timeout": 900}
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]
        try:
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, **quiet)
            subprocess.run(install, check=True, env=env, **quiet)
        except (OSError, subprocess.SubprocessError):
            return None
        return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    return None


class Served:
    """A room on `continental_final` at pace 600 and its web app on a free local port, the
    server in a background thread."""

    def __init__(self, folder: Path) -> None:
        from sim.web.app import create_app

        self.room = LiveRoom.open(open_session("continental_final"), folder, pace=600)
        self.room.start()
        config = uvicorn.Config(
            create_app(self.room),
            host="127.0.0.1",
            port=0,  # the system picks a free one
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)
        self.thread.start()
        started = time.monotonic()
        while not self.server.started:
            assert self.thread.is_alive(), "uvicorn stopped while starting"
            assert time.monotonic() - started < 15, "uvicorn did not start within 15 s"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"

    def link(self, role: str) -> str:
        return f"{self.base}/r/{self.room.codes[role]}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.room.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    room = Served(tmp_path / "room")
    try:
        yield room
    finally:
        room.stop()


def _shoot(pages: dict[str, Any], folder: Path, moment: str, names: tuple[str, ...]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        pages[name].bring_to_front()
        pages[name].screenshot(path=str(folder / f"{moment}-{name}.png"))


def _done(page: Any) -> None:
    """Wait until the page's last form was accepted (its banner says so)."""
    sync_api.expect(page.locator("#banner")).to_have_text(WORDS["done"], timeout=5000)
    sync_api.expect(page.locator("#banner")).to_have_class("banner")


def test_a_room_played_in_the_browser_replays_to_the_same_records(
    served: Served, tmp_path: Path
) -> None:
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium) and it could not be installed")
    room = served.room
    prompts = {p.prompt: p.id for p in room.scenario.exercise.decision_points}
    shots = tmp_path / "shots"
    problems: list[str] = []
    roles = {
        "facilitator": "facilitator",
        "board": "board",
        "team-HST": "team:HST",
        "team-VLD": "team:VLD",
        "team-ISL": "team:ISL",
        "evaluator": "evaluator",
    }
    began = time.monotonic()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        # A browser opens at most six connections to one server and each page holds one for
        # its stream: the five pages of the room share a browser, the evaluator has its own.
        here = browser.new_context(viewport=SCREEN, locale="en-US")
        elsewhere = browser.new_context(viewport=SCREEN, locale="en-US")
        for context in (here, elsewhere):
            context.add_init_script(RECORDER)
        pages = {}
        for name, role in roles.items():
            page = (elsewhere if role == "evaluator" else here).new_page()
            page.on(
                "console", lambda m, n=name: m.type == "error" and problems.append(f"{n}: {m.text}")
            )
            page.on("pageerror", lambda e, n=name: problems.append(f"{n}: {e}"))
            page.on("dialog", lambda d: d.accept())  # "End the exercise now?"
            page.goto(served.link(role))
            pages[name] = page
        for page in pages.values():  # each page has its stream and its first state
            sync_api.expect(page.locator("#clock")).to_contain_text("/ 96.0")
        control, hst, vld, board = (
            pages[n] for n in ("facilitator", "team-HST", "team-VLD", "board")
        )

        # A page in a background tab gets few animation frames, and Playwright waits for two
        # before it clicks: the page acted on is brought to the front first.
        control.bring_to_front()
        control.locator('button[data-act="run"]').click()
        sync_api.expect(control.locator("#status")).to_have_class("status running")

        hst.bring_to_front()
        share = hst.locator('form[data-kind="share"]')
        share.locator('input[name="to"][value="VLD"]').check()
        share.locator('button[type="submit"]').click()
        _done(hst)
        ask = hst.locator('form[data-post="request"]')
        ask.locator('input[name="analysts"]').fill("3")
        ask.locator('select[name="helper"]').select_option("VLD")
        ask.locator('button[type="submit"]').click()
        sync_api.expect(hst.locator("#requests li.request.open")).to_have_count(1)
        _done(hst)

        vld.bring_to_front()
        asked = vld.locator("#requests li.request.open")
        sync_api.expect(asked).to_contain_text(f"3 {WORDS['analysts']}")
        asked.get_by_role("button", name=WORDS["accept"]).click()
        sync_api.expect(vld.locator("#requests li.request.accepted")).to_have_count(1)
        sync_api.expect(hst.locator("#requests li.request.accepted")).to_have_count(1)

        # Decisions as they come: VLD's pad takes its own, HST's pad its first two (each
        # time the last, most active, option); then the facilitator decides one for the team
        # and, once the board has shown assets down, ends the exercise. Screens are
        # photographed at the first decision due while the board shows assets down (the room
        # waits, so it holds still).
        answered: dict[str, tuple[int, str]] = {}
        ended_by_facilitator = False
        shot_mid = False
        while not room.ended:
            assert time.monotonic() - began < DEADLINE_SECONDS, f"still at {room.clock:.1f} h"
            assert room.failed is None, room.failed
            by_team = sum(1 for _, by in answered.values() if by == "team:HST")
            if vld.locator("#pending .decision").count():  # Valdora's own point
                deciding, who = vld, "team:VLD"
            elif by_team < 2:
                deciding, who = hst, "team:HST"
            else:
                deciding, who = control, "facilitator"
            deciding.bring_to_front()
            for card in deciding.locator("#pending .decision").all():
                try:
                    prompt = card.locator(".prompt").inner_text(timeout=500)
                    point = prompts.get(prompt)  # (a data-point on the card would be surer)
                    if point is None or point in answered:
                        continue
                    if not shot_mid and board.locator("#cascade td.down").count():
                        _shoot(pages, shots, "mid", SCREENS)
                        shot_mid = True
                        deciding.bring_to_front()
                    buttons = card.locator(".options button")
                    option = buttons.count() - 1
                    buttons.nth(option).click(timeout=3000)
                except sync_api.Error:  # the card was redrawn or went: look again
                    break
                answered[point] = (option, who)
                sync_api.expect(
                    deciding.locator("#pending .decision", has_text=prompt)
                ).to_have_count(0)
                break
            facilitated = any(by == "facilitator" for _, by in answered.values())
            if facilitated and not ended_by_facilitator and board.evaluate("window.__down.length"):
                control.bring_to_front()
                control.locator('button[data-act="end"]').click()
                ended_by_facilitator = True
            control.wait_for_timeout(100)
        playing = time.monotonic() - began

        for page in pages.values():
            sync_api.expect(page.locator("#status")).to_have_class("status ended")
        control.bring_to_front()
        sync_api.expect(control.locator("#downloads")).to_be_visible()
        with control.expect_download() as download:
            control.locator("#downloads a", has_text="decisions.yaml").click()
        downloaded = Path(download.value.path()).read_bytes()
        _shoot(pages, shots, "end", SCREENS)
        for name in ("team-HST", "facilitator"):
            pages[name].set_viewport_size(TABLET)
        _shoot(pages, shots, "tablet", ("team-HST", "facilitator"))
        down_cells = board.evaluate("window.__down")
        received = {name: pages[name].evaluate("window.__items") for name in roles}
        hst_text = hst.locator("main").inner_text()
        browser.close()
    served.stop()
    elapsed = time.monotonic() - began

    wanted = os.environ.get("CYBERTTX_SHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        for shot in shots.glob("*.png"):
            shutil.copy2(shot, Path(wanted) / shot.name)

    assert not problems, "the pages logged errors:\n" + "\n".join(problems)
    assert len(answered) >= 2, answered
    assert down_cells, "the board's cascade table never showed an asset down"
    assert any(int(cell.rsplit(": ", 1)[1].split("/")[0]) > 0 for cell in down_cells)

    # Fog of war: each page got only what its role may see; the HST pad nothing for VLD alone.
    for name, role in roles.items():
        visible = {i.id for i in room.items if i.seen_by(role)}
        assert {i["id"] for i in received[name]} <= visible, name
    vld_only = [i for i in room.items if i.audience == {"team:VLD"}]
    assert vld_only, "nothing was for VLD's eyes only: the fog-of-war check would be empty"
    assert not {i.id for i in vld_only} & {i["id"] for i in received["team-HST"]}
    hst_may_see = {i.text for i in room.items if i.seen_by("team:HST")}
    for item in vld_only:
        assert item.text in hst_may_see or item.text not in hst_text, item.text
    assert "reply" in {i["kind"] for i in received["team-HST"]}, "HST never heard VLD's answer"
    assert "request" in {i["kind"] for i in received["team-VLD"]}, "VLD never heard HST ask"

    # The room's records: the share and the loan among the moves, the answers as given, and
    # a replay of decisions.yaml gives the very same files.
    folder = room.folder
    decisions_path = folder / "decisions.yaml"
    assert downloaded == decisions_path.read_bytes()
    written = yaml.safe_load(decisions_path.read_text(encoding="utf-8"))
    moves = [Move.model_validate(m) for m in written.get("moves", [])]
    actions = [(m.country, a) for m in moves for a in m.actions]
    shares = [a for c, a in actions if c == "HST" and a.action == "share_indicators"]
    assert [tuple(a.to) for a in shares] == [("VLD",)], actions
    loans = [a for c, a in actions if c == "VLD" and a.action == "request_assistance"]
    assert [(a.country, a.helper, a.analysts) for a in loans] == [("HST", "VLD", 3)], actions
    taken = {d["point"]: d["option"] for d in written["decisions"]}
    for point, (option, _) in answered.items():
        assert taken[point] == option, point
    journal = Journal.read(folder / "journal.jsonl")
    by = {e["point"]: e["by"] for e in journal if e["kind"] == "answer"}
    assert {point: by[point] for point in answered} == {p: w for p, (_, w) in answered.items()}
    assert ended_by_facilitator, f"the facilitator never had a decision to take: {answered}"
    assert {"kind": "end"} in journal

    replayed = replay(open_session(decisions=decisions_path)).result
    assert replayed is not None
    again = run_files(replayed, {})
    for name in ("events.csv", "series.csv", "metrics.json"):
        assert again[name] == (folder / name).read_bytes(), name

    assert playing < DEADLINE_SECONDS and elapsed < 90, (playing, elapsed)
