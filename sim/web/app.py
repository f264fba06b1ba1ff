"""The room's web front end: one page per role behind its secret code, a Server-Sent Events
stream of what that role may see, and JSON actions that call `LiveRoom`. Thin by design: who
sees and may do what is decided by the room, not here."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from ..analysis.timelines import event_windows
from ..facilitation.live import CONTROL, LiveRoom, RoomError
from ..report.html import environment
from ..schema.infrastructure import SECTORS
from .i18n import LANGUAGES, catalog, choose

POLL_SECONDS = 0.25
"""How often a stream looks for news; an update reaches a screen within this much."""

PING_SECONDS = 15.0
"""A silent stream sends a comment this often, so that proxies keep it open."""

MAX_BODY = 64 * 1024
"""The largest request body accepted, in bytes."""

DOWNLOADS = ("aar.html", "decisions.yaml", "events.csv", "series.csv", "metrics.json", "run.json")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",  # the codes are in the address
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


Short = Annotated[str, Field(min_length=1, max_length=120)]


class Act(Body):
    command: Literal["run", "pause", "jump", "pace", "timeout", "hold", "release", "end"]
    value: Annotated[float, Field(allow_inf_nan=False, ge=-1e9, le=1e9)] | None = None


class Answer(Body):
    point: Short
    option: Annotated[int, Field(ge=0, le=1000)]


class MoveBody(Body):
    kind: Literal["share", "isolate", "alert", "backup", "statement"]
    to: Annotated[list[Short], Field(max_length=50)] = []
    asset: Short | None = None
    sector: Short | None = None
    hours: Annotated[float, Field(gt=0, le=168)] = 24.0
    text: Annotated[str, Field(max_length=2000)] | None = None


class AskBody(Body):
    helper: Short
    analysts: Annotated[int, Field(ge=1, le=50)] = 2


class ReplyBody(Body):
    request: Short
    accept: bool
    analysts: Annotated[int, Field(ge=1, le=50)] | None = None


class NoteBody(Body):
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    objective: Short | None = None


def create_app(room: LiveRoom, base_url: str = "") -> FastAPI:
    """The web app serving `room`; `base_url` (e.g. http://192.168.1.20:8000) makes the join
    links the facilitator sees absolute."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    secret = secrets.token_bytes(32)
    epoch = secrets.token_hex(4)  # a new server: screens reload
    app.mount("/static", StaticFiles(packages=[("sim.web", "static")]), name="static")

    def csrf_token(code: str) -> str:
        return hmac.new(secret, code.encode(), hashlib.sha256).hexdigest()

    def role_for(code: str) -> str:
        role = room.role_of(code)
        if role is None:
            raise HTTPException(404, "no such room link")
        return role

    def acting(code: str, token: str | None, *allowed: str) -> str:
        role = role_for(code)
        expected = csrf_token(code).encode()
        if token is None or not hmac.compare_digest(token.encode(errors="replace"), expected):
            raise HTTPException(403, "missing or stale form token: reload the page")
        if allowed and not any(role == a or role.startswith(a) for a in allowed):
            raise HTTPException(403, "not allowed for this role")
        return role

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        length = request.headers.get("content-length")
        if request.method == "POST" and length is None:
            return JSONResponse({"error": "a request body needs a Content-Length"}, 411)
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return JSONResponse({"error": f"request body over {MAX_BODY} bytes"}, 413)
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(RoomError)
    async def refused(_request: Request, error: RoomError) -> JSONResponse:
        return JSONResponse({"error": str(error)}, 400)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        if room.role_of(str(request.path_params.get("code", ""))) is None:
            return JSONResponse({"error": "no such room link"}, 404)
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(p) for p in first["loc"] if p != "body")
        return JSONResponse({"error": f"{where}: {first['msg']}" if where else first["msg"]}, 422)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse({"error": error.detail}, error.status_code)

    @app.get("/favicon.ico")
    def no_icon() -> Response:
        return Response(status_code=204)

    @app.get("/r/{code}", response_class=HTMLResponse)
    def page(
        code: str,
        request: Request,
        lang: str | None = None,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> HTMLResponse:
        role = role_for(code)
        language = choose(lang, accept_language)
        return HTMLResponse(_render(room, role, code, language, csrf_token(code), epoch, base_url))

    @app.get("/r/{code}/state")
    def state(code: str) -> dict[str, Any]:
        return room.view(role_for(code))

    @app.get("/r/{code}/events")
    async def events(code: str, after: int = 0, epoch_seen: str = "") -> StreamingResponse:
        role = role_for(code)
        start = 0 if epoch_seen != epoch else max(0, after)
        return StreamingResponse(
            _stream(room, role, start, epoch, epoch_seen not in ("", epoch)),
            media_type="text/event-stream",
            headers={"X-Accel-Buffering": "no"},
        )

    @app.post("/r/{code}/act")
    def act(code: str, body: Act, x_csrf_token: Annotated[str | None, Header()] = None) -> dict:
        role = acting(code, x_csrf_token, "facilitator")
        numbered = body.command in ("hold", "release") and body.value is not None
        if numbered and not float(body.value).is_integer():
            raise RoomError("an inject's sequence is a whole number")
        room.act(role, body.command, int(body.value) if numbered else body.value)
        return {"ok": True}

    @app.post("/r/{code}/answer")
    def answer(
        code: str, body: Answer, x_csrf_token: Annotated[str | None, Header()] = None
    ) -> dict:
        room.answer(acting(code, x_csrf_token, "team:", "facilitator"), body.point, body.option)
        return {"ok": True}

    @app.post("/r/{code}/move")
    def move(
        code: str, body: MoveBody, x_csrf_token: Annotated[str | None, Header()] = None
    ) -> dict:
        role = acting(code, x_csrf_token, "team:")
        given = body.model_dump(exclude={"kind"}, exclude_none=True)
        made = room.move(role, body.kind, **given)
        return {"ok": True, "move": made, "queued": room.paused or bool(room.pending)}

    @app.post("/r/{code}/request")
    def ask(code: str, body: AskBody, x_csrf_token: Annotated[str | None, Header()] = None) -> dict:
        role = acting(code, x_csrf_token, "team:")
        return {"ok": True, "request": room.request(role, body.helper, body.analysts)}

    @app.post("/r/{code}/reply")
    def reply(
        code: str, body: ReplyBody, x_csrf_token: Annotated[str | None, Header()] = None
    ) -> dict:
        role = acting(code, x_csrf_token, "team:")
        room.reply(role, body.request, body.accept, body.analysts)
        return {"ok": True}

    @app.post("/r/{code}/note")
    def note(
        code: str, body: NoteBody, x_csrf_token: Annotated[str | None, Header()] = None
    ) -> dict:
        role = acting(code, x_csrf_token, "facilitator", "evaluator")
        room.note(role, body.text, body.objective)
        return {"ok": True}

    @app.get("/r/{code}/files/{name}")
    def download(code: str, name: str) -> FileResponse:
        if role_for(code) not in CONTROL:
            raise HTTPException(403, "not allowed for this role")
        path = room.folder / name
        if name not in DOWNLOADS or not room.ended or not path.is_file():
            raise HTTPException(404, "no such file yet")
        inline = "inline" if name.endswith(".html") else "attachment"
        return FileResponse(path, filename=name, content_disposition_type=inline)

    return app


async def _stream(
    room: LiveRoom, role: str, after: int, epoch: str, reset: bool
) -> AsyncIterator[bytes]:
    """Server-Sent Events for `role`: `hello` (the server's epoch; `reset` when the screen
    knew another), then each visible item and, whenever the room changes, its state."""
    yield _event("hello", {"epoch": epoch, "reset": reset})
    version, quiet = -1, 0.0
    while not room.closed:
        items, after, now = room.since(role, after)
        for item in items:
            yield _event("item", item.as_json(), item.id)
        changed = now != version
        if changed:
            version = now
            yield _event("state", room.view(role))
        quiet = 0.0 if items or changed else quiet + POLL_SECONDS
        if quiet >= PING_SECONDS:  # proxies close a silent stream
            quiet = 0.0
            yield b": ping\n\n"
        await asyncio.sleep(POLL_SECONDS)


def _event(name: str, data: dict[str, Any], number: int | None = None) -> bytes:
    head = f"id: {number}\n" if number is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _script_json(data: dict[str, Any]) -> str:
    """JSON safe inside a <script> element: no character of it can open or close a tag or
    a comment there."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _render(
    room: LiveRoom, role: str, code: str, language: str, token: str, epoch: str, base_url: str
) -> str:
    """The page of `role`, in `language`."""
    scenario = room.scenario
    exercise = scenario.exercise
    words = catalog(language)
    kind = role.split(":")[0]
    country = role.removeprefix("team:") if kind == "team" else None
    config = {
        "role": role,
        "code": code,
        "language": language,
        "csrf": token,
        "epoch": epoch,
        "words": words,
        "countries": {c.id: c.name or c.id for c in scenario.countries},
        "windows": [list(w) for w in event_windows(scenario)],
        "sectors": list(SECTORS),
    }
    template = {"team": "team.html", "board": "board.html"}.get(kind, "control.html")
    return (
        environment("sim.web")
        .get_template(template)
        .render(
            t=words,
            role=role,
            kind=kind,
            language=language,
            languages=LANGUAGES,
            code=code,
            scenario=scenario,
            title=exercise.title if exercise else scenario.name,
            country=country,
            country_name=next((c.name or c.id for c in scenario.countries if c.id == country), ""),
            partners=[c for c in scenario.countries if c.id != country],
            assets=[a for a in scenario.assets if a.country == country],
            sectors=sorted({a.sector for a in scenario.assets if a.country == country}),
            injects=sorted(exercise.injects, key=lambda i: i.sequence) if exercise else [],
            objectives=exercise.objectives if exercise else [],
            pace=room.pace,
            timeout_minutes=room.timeout_minutes,
            links={r: f"{base_url}/r/{c}" for r, c in room.codes.items()}
            if role == "facilitator"
            else {},
            config=_script_json(config),
        )
    )
