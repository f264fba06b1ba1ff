"""`cyberttx serve`: the exercise room in the browser."""

from __future__ import annotations

import shlex
import socket
import sys
from pathlib import Path
from typing import Any

import click

from . import common
from .common import main


def _port_free(host: str, port: int) -> bool:
    """Whether a server could listen on `host`:`port` now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _lan_address() -> str:
    """This machine's address on the room's network (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


@main.command("serve")
@click.argument("scenario", required=False)
@common.EXERCISE_SEED
@common.VARIANT_OPTION
@common.MSEL_OPTION
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 serves every machine on the room's network.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--pace",
    type=common.Finite(0.1, 600),
    default=1.0,
    show_default=True,
    help="Scenario hours per real minute (the facilitator can change it; 'jump to the next "
    "event' skips quiet hours).",
)
@click.option(
    "--timeout",
    "timeout_minutes",
    type=common.Finite(0.25, 240),
    default=5.0,
    show_default=True,
    help="Minutes a team has at a decision point, while the clock runs, before its default "
    "is taken (the facilitator can change it).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Reopen the room kept in --out after a stop or crash: same links, same state.",
)
@common.out_option("The room's folder (default: results/<scenario>-room).")
def serve_command(
    scenario: str | None,
    seed: int | None,
    variant: str | None,
    msel: Path | None,
    host: str,
    port: int,
    pace: float,
    timeout_minutes: float,
    resume: bool,
    out: Path | None,
) -> None:
    """Serve SCENARIO's exercise to a room: a facilitator console, one pad per country team,
    an evaluator view and a projector board, each behind its own secret link.

    The simulation runs paced against the wall clock (start, pause, pace and jumps from the
    facilitator console). Each team sees only its own injects and situation and decides for
    its own country; teams share indicators, ask each other for analysts and answer such
    requests, and the engine turns it into consequences. Every action is journaled before it
    is acknowledged, so --resume after a crash loses nothing. At the end the folder gets the
    same records, decisions.yaml and aar.html as `cyberttx play`.
    """
    import uvicorn

    from ..facilitation.live import LiveRoom, RoomError
    from ..facilitation.session import open_session
    from ..web.app import create_app

    with common.input_errors():
        opened = open_session(scenario, variant, seed, None, msel, **common.limits())
    folder = out or Path("results") / f"{opened.resolved.path.stem}-room"
    if not _port_free(host, port):
        common.fail(
            f"error: cannot listen on {host}:{port} (in use, or not this machine's address)"
            "; choose another --port or --host"
        )
    try:
        room = LiveRoom.open(
            opened, folder, resume=resume, pace=pace, timeout_minutes=timeout_minutes
        )
    except RoomError as error:
        common.fail(f"error: {error}")
    shown = _lan_address() if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    room.start()
    click.echo(f"Room for {opened.resolved.written.name} in {folder}/ (Ctrl-C stops; --resume)")
    click.echo("Give each link to its role only:")
    for role, code in room.codes.items():
        click.echo(f"  {role:<14} {base}/r/{code}")
    if host == "127.0.0.1":
        click.echo("Only this machine can open them; --host 0.0.0.0 serves the room's network.")

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            room.close()  # open screens' streams end, so Ctrl-C stops at once
            super().handle_exit(sig, frame)

    config = uvicorn.Config(create_app(room, base), host=host, port=port, log_level="warning")
    try:
        Server(config).run()
    finally:
        room.close()
    if room.ended:
        click.echo(f"The exercise has ended; its records and aar.html are in {folder}/.")
    else:
        given = sys.argv[1:]  # the same command, with the same options, resumed
        again = [*given, *([] if out else ["--out", str(folder)])]
        again += [] if resume else ["--resume"]
        click.echo(f"Stopped at {room.clock:.1f} h. Resume with: cyberttx {shlex.join(again)}")
