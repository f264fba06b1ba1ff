"""Served-room benchmark: one room (`cyberttx serve`'s app) streaming to many screens. It
measures the server's CPU time and peak memory, and how long an update takes to reach a
screen, with 40 Server-Sent Events clients on a mix of role links for ten minutes.

Run on demand (it is not a test; Linux only, as it reads /proc):

    python benchmarks/room_stream.py                  # 40 clients, 600 s, pace 60
    python benchmarks/room_stream.py --seconds 120    # quicker
    python benchmarks/room_stream.py --pace 1         # one scenario hour per real minute

What it does. The server runs in a child process (this script with --serve): a LiveRoom on
the scenario behind uvicorn, as `cyberttx serve` runs it, at the pace given in scenario hours
per real minute as `serve --pace` takes it. Its default, 60, is one scenario hour per real
second (a tick of TICK_HOURS = 0.02 h every 20 ms), so continental_final's 96 hours are over
in under two minutes and the rest of a longer window measures an ended room's streams (the
figures say when the room ended); pace 1 is one hour per minute, a tick every 1.2 s.
The clients run in this process, one thread each, with httpx streaming: by default 1
facilitator, 2 evaluators, 2 boards and 35 team pads spread over the countries. Once every
client has its stream, the facilitator's link starts the clock (POST act run) and the
measured window begins. A bot on the facilitator's link answers each decision point with its
default DECIDE_AFTER_SECONDS after it falls due (so the clock never stalls for a 5-minute
timeout), and every --ask-every seconds a team asks another for one analyst, which puts an
item on the screens of both teams and of control.

What "latency" means here. Two clocks are read, both time.monotonic(), which on Linux is the
same system-wide clock in every process:

* publication: in the server process, the moment the room's thread calls notify_all on its
  condition after a change a screen may show: the clock moved (a tick) or an item was
  published. The benchmark wraps that one method of the running room's condition (nothing in
  the package is changed), records when each clock value and each item number first
  appeared, and writes the record out when the server stops;
* receipt: in the client's thread, the moment httpx hands over the `data:` line of the event
  that carries it: a `state` event with that `clock`, or an `item` event with that `id`.

State latency is receipt minus publication for the first `state` event each client gets with
a given clock; item latency, for each item a client gets. Only what was published after the
client's stream opened and before the window closed counts (a new stream replays the items
before it). Both include the wait for the stream's next look at the room (every
POLL_SECONDS = 0.25 s, so up to 250 ms, on average half that, by design), the lock, the
JSON, the loopback HTTP and the client thread's own scheduling. When the clock moves faster
than the streams look (pace 60: a tick every 20 ms), a state event carries the latest clock,
reached a few ms before the look, and the clocks in between are never sent: state latency
then shows only the tail (lock, JSON, HTTP) and item latency is the figure that includes the
poll; at pace 1 the two measure the same thing. Neither includes the pacing, the wait of a
move for the next tick, nor a browser's rendering. Action latency is end to end: from a
team's POST /request being sent to the `request` item reaching each screen that may see it
(both teams' and control's), so it also includes the POST and the journal's fsync.

CPU is the server process's user + system time (/proc/PID/stat) over the measured window
only (not its start-up), and % of one core is that over the window's wall time. Peak RSS is
the process's high-water mark (VmHWM in /proc/PID/status) at the end: it includes start-up.
The clients share the machine's cores with the server but not its process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
DECIDE_AFTER_SECONDS = 3.0
"""How long the bot lets a decision wait before it takes the default for the team."""
READ_TIMEOUT_SECONDS = 60.0
"""A client opens its stream again after this long without a byte (as a proxy would cut it:
the room's stream sends nothing, not even a comment, while nothing changes)."""


# -- the server (child process) ------------------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    """Run the room and its app until SIGINT or SIGTERM, then write what was published when
    to args.log."""
    import uvicorn

    from sim.facilitation.live import LiveRoom
    from sim.facilitation.session import open_session
    from sim.web.app import create_app

    room = LiveRoom.open(open_session(args.scenario), args.folder, pace=args.pace)
    clocks: dict[float, float] = {}
    items: list[float] = []
    condition = room._cond
    notify_all = condition.notify_all

    def stamped() -> None:
        now = time.monotonic()
        clocks.setdefault(room.clock, now)
        items.extend([now] * (len(room.items) - len(items)))
        notify_all()

    condition.notify_all = stamped  # type: ignore[method-assign]
    room.start()
    config = uvicorn.Config(
        create_app(room),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )
    try:
        uvicorn.Server(config).run()  # until SIGINT, which it raises again once stopped
    except KeyboardInterrupt:
        pass
    finally:
        with condition:
            published = {"clocks": list(clocks.items()), "items": list(items)}
        args.log.write_text(json.dumps(published))
        room.close()


# -- the clients ---------------------------------------------------------------------------


@dataclass
class Client:
    """One screen's stream: what arrived when."""

    role: str
    url: str
    opened: float | None = None
    states: dict[float, float] = field(default_factory=dict)
    """First receipt of each clock value."""
    items: list[tuple[int, str, float, dict[str, Any]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    silent: int = 0
    """Streams opened again after READ_TIMEOUT_SECONDS without a byte."""
    events: int = 0
    bytes: int = 0


def follow(client: Client, stop: threading.Event) -> None:
    """Read `client`'s stream until `stop` is set; reconnect (from the last item) on error."""
    import httpx

    after = 0
    epoch = ""
    while not stop.is_set():
        try:
            params = {"after": after, "epoch_seen": epoch}
            timeout = httpx.Timeout(10.0, read=READ_TIMEOUT_SECONDS)
            with (
                httpx.Client(timeout=timeout) as http,
                http.stream("GET", client.url + "/events", params=params) as response,
            ):
                response.raise_for_status()
                event = ""
                for line in response.iter_lines():
                    now = time.monotonic()
                    if stop.is_set():
                        return
                    client.bytes += len(line) + 1
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        client.events += 1
                        data = json.loads(line[6:])
                        if event == "hello":
                            epoch = data["epoch"]
                            if client.opened is None:
                                client.opened = now
                        elif event == "state":
                            client.states.setdefault(data["clock"], now)
                        elif event == "item":
                            after = max(after, data["id"])
                            client.items.append((data["id"], data["kind"], now, data))
        except httpx.ReadTimeout:  # nothing changed for a while: the stream sends nothing
            client.silent += 0 if stop.is_set() else 1
        except Exception as error:  # counted and reported; the stream is opened again
            if stop.is_set():
                return
            client.errors.append(f"{type(error).__name__}: {error}")
            time.sleep(1.0)


class Facilitator:
    """The facilitator's and the teams' actions, over the JSON API as the pages post them."""

    def __init__(self, base: str, codes: dict[str, str]) -> None:
        import httpx

        self.base, self.codes = base, codes
        self.http = httpx.Client(timeout=10.0)
        self.tokens = {role: self._token(role) for role in codes}
        self.asked: dict[str, tuple[float, str, str]] = {}
        """Request id: (when sent, asking country, helping country)."""
        self.answered = 0
        self.errors: list[str] = []

    def _token(self, role: str) -> str:
        page = self.http.get(f"{self.base}/r/{self.codes[role]}").text
        found = re.search(r'<script id="config" type="application/json">(.*?)</script>', page)
        if found is None:
            raise RuntimeError(f"no page config on {role}'s page")
        return str(json.loads(found.group(1))["csrf"])

    def post(self, role: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(
            f"{self.base}/r/{self.codes[role]}/{path}",
            json=body,
            headers={"X-CSRF-Token": self.tokens[role]},
        )
        if response.status_code != 200:
            self.errors.append(f"{role} {path}: {response.status_code} {response.text[:200]}")
            return {}
        return dict(response.json())

    def decide_due(self, seen: dict[str, float]) -> bool:
        """Take the default of each decision waiting longer than DECIDE_AFTER_SECONDS; whether
        the exercise has ended."""
        state = self.http.get(f"{self.base}/r/{self.codes['facilitator']}/state").json()
        now = time.monotonic()
        for pending in state["pending"]:
            point = pending["point"]
            if now - seen.setdefault(point, now) >= DECIDE_AFTER_SECONDS:
                body = {"point": point, "option": pending["default"]}
                if self.post("facilitator", "answer", body):
                    self.answered += 1
        return bool(state["ended"])

    def ask(self, teams: list[str], rng: random.Random) -> None:
        """A random team asks another for one analyst."""
        asking, helping = rng.sample(teams, 2)
        sent = time.monotonic()
        body = {"helper": helping.removeprefix("team:"), "analysts": 1}
        made = self.post(asking, "request", body)
        if made:
            self.asked[made["request"]] = (sent, asking, helping)


# -- measuring -----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime: fields 14, 15


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of process `pid`, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def summary(values: list[float]) -> str:
    """n, p50, p95 and max of `values` (seconds), in milliseconds."""
    if not values:
        return "n=0"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"n={len(ordered):>6}  p50 {1000 * statistics.median(ordered):7.1f} ms  "
        f"p95 {1000 * p95:7.1f} ms  max {1000 * ordered[-1]:7.1f} ms"
    )


def mix(roles: list[str], clients: int) -> list[str]:
    """The roles of `clients` screens: 1 facilitator, 2 evaluators and 2 boards (fewer when
    there are fewer clients), the rest team pads spread over the countries."""
    teams = [r for r in roles if r.startswith("team:")]
    control = ["facilitator", "evaluator", "evaluator", "board", "board"][:clients]
    return control + [teams[k % len(teams)] for k in range(clients - len(control))]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="measured window (600)")
    parser.add_argument("--clients", type=int, default=40, help="SSE clients (40)")
    parser.add_argument("--pace", type=float, default=60.0, help="scenario h per minute (60)")
    parser.add_argument("--scenario", default="continental_final")
    parser.add_argument(
        "--ask-every", type=float, default=15.0, help="seconds between analyst requests (15)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--seed", type=int, default=1, help="seed of the bot's choices")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def wait_for_server(base: str, child: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    import httpx

    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if child.poll() is not None:
            raise SystemExit(f"the server stopped at start-up (exit status {child.returncode})")
        try:
            if httpx.get(f"{base}/favicon.ico", timeout=1.0).status_code == 204:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer within {seconds:g} s")


def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="cyberttx-room-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "published.json"
    command = [sys.executable, __file__, "--serve", "--port", str(port)]
    command += ["--folder", str(folder / "room"), "--log", str(log)]
    command += ["--scenario", args.scenario, "--pace", str(args.pace)]
    child = subprocess.Popen(command)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        wait_for_server(base, child)
        codes = json.loads((folder / "room" / "room.json").read_text())["codes"]
        roles = mix(list(codes), args.clients)
        clients = [Client(role, f"{base}/r/{codes[role]}") for role in roles]
        for client in clients:
            thread = threading.Thread(target=follow, args=(client, stop), daemon=True)
            thread.start()
            threads.append(thread)
        room = Facilitator(base, codes)
        deadline = time.monotonic() + 30
        while any(c.opened is None for c in clients):
            if time.monotonic() > deadline:
                raise SystemExit("not every client got its stream within 30 s")
            time.sleep(0.05)

        cpu_before, began = cpu_seconds(child.pid), time.monotonic()
        rss_before = memory_kib(child.pid)["VmRSS"]
        room.post("facilitator", "act", {"command": "run"})
        rng = random.Random(args.seed)
        teams = [r for r in codes if r.startswith("team:")]
        seen: dict[str, float] = {}
        next_ask, next_report, rss_max = began + args.ask_every, began + 60, rss_before
        cpu_at_end: tuple[float, float] | None = None
        while (now := time.monotonic()) < began + args.seconds:
            if room.decide_due(seen):
                if cpu_at_end is None:
                    cpu_at_end = (cpu_seconds(child.pid), now)
            elif now >= next_ask:
                room.ask(teams, rng)
                next_ask += args.ask_every
            rss_max = max(rss_max, memory_kib(child.pid)["VmRSS"])
            if now >= next_report:
                print(f"  {now - began:5.0f} s: {cpu_seconds(child.pid) - cpu_before:.1f} CPU s")
                next_report += 60
            time.sleep(0.5)
        cpu_after, ended = cpu_seconds(child.pid), time.monotonic()
        memory = memory_kib(child.pid)
    finally:
        stop.set()
        child.send_signal(signal.SIGINT)  # closes the streams, which ends the client threads
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
        for thread in threads:
            thread.join(timeout=5)
    published = json.loads(log.read_text())
    reached = {clock: when for clock, when in published["clocks"]}
    items = published["items"]

    state_latency, item_latency, action_latency = [], [], []
    for client in clients:
        opened = client.opened or 0.0
        for clock, received in client.states.items():
            if reached.get(clock, -1.0) >= opened and received <= ended:
                state_latency.append(received - reached[clock])
        for number, kind, received, data in client.items:
            at = items[number - 1] if number <= len(items) else None
            if at is not None and opened <= at <= ended:
                item_latency.append(received - at)
            asked = room.asked.get(data.get("request", "")) if kind == "request" else None
            if asked is not None:
                action_latency.append(received - asked[0])
    window = ended - began
    room_ended = None if cpu_at_end is None else cpu_at_end[1] - began
    cpu = cpu_after - cpu_before
    figures = {
        "clients": len(clients),
        "roles": {role: roles.count(role) for role in dict.fromkeys(roles)},
        "seconds": window,
        "pace": args.pace,
        "scenario_hours": max(reached) if reached else 0.0,
        "room_ended_after_seconds": room_ended,
        "cpu_seconds": cpu,
        "cpu_percent_of_one_core": 100 * cpu / window,
        "cpu_seconds_while_running": cpu if cpu_at_end is None else cpu_at_end[0] - cpu_before,
        "peak_rss_mib": memory["VmHWM"] / 1024,
        "rss_mib_at_start_and_end": [rss_before / 1024, memory["VmRSS"] / 1024],
        "latency_ms": {
            name: {
                "n": len(values),
                "p50": 1000 * statistics.median(values) if values else None,
                "p95": 1000 * sorted(values)[round(0.95 * (len(values) - 1))] if values else None,
                "max": 1000 * max(values) if values else None,
            }
            for name, values in (
                ("state", state_latency),
                ("item", item_latency),
                ("action", action_latency),
            )
        },
        "events_received": sum(c.events for c in clients),
        "megabytes_received": sum(c.bytes for c in clients) / 1e6,
        "stream_errors": sum(len(c.errors) for c in clients),
        "silent_stream_reconnects": sum(c.silent for c in clients),
        "action_errors": room.errors,
        "decisions_taken_by_bot": room.answered,
        "requests_made": len(room.asked),
    }
    print(f"\nServed room: {args.scenario}, pace {args.pace:g}, {len(clients)} SSE clients")
    print(f"  roles: {', '.join(f'{n} x {r}' for r, n in figures['roles'].items())}")
    print(f"  window: {window:.0f} s, scenario clock reached {figures['scenario_hours']:.2f} h")
    print(f"  server CPU: {cpu:.1f} s = {figures['cpu_percent_of_one_core']:.1f} % of one core")
    if cpu_at_end is not None and room_ended:
        running, idle = cpu_at_end[0] - cpu_before, cpu_after - cpu_at_end[0]
        print(
            f"  the exercise ended {room_ended:.0f} s into the window and the streams stayed "
            f"open: {running:.1f} s = {100 * running / room_ended:.1f} % while it ran, "
            f"{idle:.1f} s = {100 * idle / max(1e-9, window - room_ended):.1f} % after"
        )
    print(
        f"  server memory: peak RSS {figures['peak_rss_mib']:.0f} MiB "
        f"(RSS {rss_before / 1024:.0f} MiB at the start of the window, "
        f"{memory['VmRSS'] / 1024:.0f} MiB at its end, {rss_max / 1024:.0f} MiB at most)"
    )
    print("  update latency, publication to receipt:")
    print(f"    state (clock) {summary(state_latency)}")
    print(f"    items         {summary(item_latency)}")
    print("  action latency, a team's POST /request to the item on each screen that sees it:")
    print(f"    requests      {summary(action_latency)}")
    print(
        f"  streamed: {figures['events_received']} events, "
        f"{figures['megabytes_received']:.1f} MB; stream errors {figures['stream_errors']}; "
        f"streams silent for {READ_TIMEOUT_SECONDS:g} s and opened again "
        f"{figures['silent_stream_reconnects']}; refused actions {len(room.errors)}; "
        f"decisions taken by the bot {room.answered}"
    )
    for error in room.errors[:5]:
        print(f"    {error}")
    errors = [e for c in clients for e in c.errors]
    for error in errors[:5]:
        print(f"    stream: {error}")
    return figures


def main() -> None:
    args = parse_args()
    if args.serve:
        serve(args)
        return
    if not Path("/proc/self/stat").exists():
        raise SystemExit("this benchmark reads /proc: run it on Linux")
    figures = run(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
