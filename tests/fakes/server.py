"""A tiny stateful HTTP service on 127.0.0.1, the base of every fake in tests/fakes/.

A fake subclasses `FakeService`, registers routes with `@route("POST", "/repos/{owner}/{repo}/issues")`,
and keeps its state in plain attributes. Tests point a real client library at `fake.url` and read the
state back. Faults are queued with `fake.inject(...)` and hit the next matching requests:

    fake.inject(Fault.status(429, headers={"Retry-After": "3"}))      # refused before it is processed
    fake.inject(Fault.status(502), after=True)                        # processed, then answered 502
    fake.inject(Fault.drop(), match="POST /repos/*/issues")            # connection closed, no answer
    fake.inject(Fault.drop(), after=True)                              # processed, then dropped
    fake.inject(Fault.slow(0.2))                                       # answer held back 0.2 s

`fake.on_request` is called with every request before it is handled (a test may kill a subprocess
there); `fake.requests` records what arrived, for counting calls.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body as application/x-www-form-urlencoded (Slack's default), one value per key."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    @property
    def line(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


class HTTPError(Exception):
    """Raised inside a route to answer with an error status and body."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.response = Response(status, body, headers or {})


@dataclass
class Fault:
    kind: str  # "status" | "drop" | "slow"
    code: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    seconds: float = 0.0

    @classmethod
    def status(cls, code: int, headers: dict[str, str] | None = None, body: Any = None) -> Fault:
        return cls("status", code=code, headers=headers or {}, body=body)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", seconds=seconds)


@dataclass
class _Armed:
    fault: Fault
    match: str
    after: bool
    times: int


Handler = Callable[..., Response | Any]


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Mark a method of a FakeService as the handler of `method pattern` ({name} matches one segment)."""

    def mark(fn: Handler) -> Handler:
        fn._route = (method, pattern)  # type: ignore[attr-defined]
        return fn

    return mark


def _compile(pattern: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern))
    return re.compile(f"^{regex}$")


class FakeService:
    """Serve the routes of a subclass over HTTP on 127.0.0.1 in a background thread."""

    name = "fake"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.on_request: Callable[[Request], None] | None = None
        self._faults: list[_Armed] = []
        self._lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        for klass in reversed(type(self).__mro__):
            for attr, fn in vars(klass).items():
                spec = getattr(fn, "_route", None)
                if spec:
                    self._routes.append((spec[0], _compile(spec[1]), getattr(self, attr)))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> Self:
        service = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm and the client's
            # delayed ACK add about 40 ms to every request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                service._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, with a trailing slash."""
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    # -- faults --------------------------------------------------------------------------------------
    def inject(self, fault: Fault, *, match: str = "*", after: bool = False, times: int = 1) -> None:
        """Arm `fault` for the next `times` requests whose "METHOD /path" matches the glob `match`.

        `after=True` lets the request change the state first, so the client cannot know it succeeded.
        """
        with self._lock:
            self._faults.append(_Armed(fault, match, after, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, request: Request) -> _Armed | None:
        with self._lock:
            for armed in self._faults:
                if fnmatch.fnmatchcase(request.line, armed.match):
                    armed.times -= 1
                    if armed.times <= 0:
                        self._faults.remove(armed)
                    return armed
        return None

    # -- dispatch ------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        for method, pattern, fn in self._routes:
            if method != request.method:
                continue
            found = pattern.match(request.path)
            if found:
                request.params = found.groupdict()
                try:
                    result = fn(request, **request.params)
                except HTTPError as error:
                    return error.response
                return result if isinstance(result, Response) else Response(200, result)
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        return Response(404, {"message": "Not Found", "path": request.path})

    def _dispatch(self, http: BaseHTTPRequestHandler) -> None:
        split = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        request = Request(
            method=http.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in http.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)
        armed = self._take_fault(request)
        if armed and not armed.after and self._fault_ends_exchange(http, armed.fault):
            return
        with self._lock:
            response = self.handle(request)
        if armed and armed.after and self._fault_ends_exchange(http, armed.fault):
            return
        self._send(http, response)

    def _fault_ends_exchange(self, http: BaseHTTPRequestHandler, fault: Fault) -> bool:
        if fault.kind == "slow":
            time.sleep(fault.seconds)
            return False
        if fault.kind == "drop":
            http.close_connection = True
            with contextlib.suppress(OSError):
                http.connection.shutdown(socket.SHUT_RDWR)
            return True
        self._send(http, Response(fault.code, fault.body or {"message": "injected fault"}, fault.headers))
        return True

    def _send(self, http: BaseHTTPRequestHandler, response: Response) -> None:
        payload = response.encoded()
        try:
            http.send_response(response.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
            for key, value in headers.items():
                http.send_header(key, value)
            http.send_header("Content-Length", str(len(payload)))
            http.end_headers()
            http.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- helpers for tests ---------------------------------------------------------------------------
    def count(self, glob: str = "*") -> int:
        """How many requests whose "METHOD /path" matches `glob` arrived."""
        with self._lock:
            return sum(1 for r in self.requests if fnmatch.fnmatchcase(r.line, glob))
