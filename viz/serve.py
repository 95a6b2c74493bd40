"""``python -m viz serve``: the live explorer as a local web app (standard library http.server).

The server binds 127.0.0.1 unless ``--host`` says otherwise, serves the page and its files from
the package, and answers the JSON API of ``viz.explore_api`` under ``/api/``. Every size it
accepts is bounded (body, expression, graph), bad input gets a 4xx with a message, and no
request can stop it: each runs in its own thread and every error is answered, never raised.
"""

from __future__ import annotations

import argparse
import importlib
import json
import socket
import sys
import threading
import webbrowser
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode, urlsplit

from .explore_api import ExplorerAPI
from .explore_model import DEFAULT_LIMITS, Limits
from .explore_page import STYLESHEETS, page_html, page_script, stylesheet
from .explore_presets import Preset
from .explore_torch import torch_available
from .expr import ExpressionError, parse_variables

#: Request bodies past this many bytes get 413 (an expression is at most a few kB of JSON).
MAX_BODY = 64 * 1024

#: Seconds a connection may sit idle or trickle its request before it is closed.
TIMEOUT = 10.0

DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"

#: The page may load only its own files and talk only to this server: nothing from the network.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")


class ExplorerServer(ThreadingHTTPServer):
    """A threaded HTTP server holding the explorer's API and its start-up source."""

    daemon_threads = True  # a hung client never keeps the process alive
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], api: ExplorerAPI,
                 start: Mapping[str, Any] | None = None, *, check_host: bool = True,
                 verbose: bool = False) -> None:
        if ":" in address[0]:  # an IPv6 address such as ::1
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.api = api
        self.start = dict(start or {"preset": "neuron"})
        self.check_host = check_host
        self.verbose = verbose

    @property
    def url(self) -> str:
        """``http://host:port/`` of the running server."""
        host, port = self.server_address[:2]
        host = f"[{host!s}]" if ":" in str(host) else str(host)
        return f"http://{host}:{port}/"

    def allowed_hosts(self) -> set[str]:
        """Host headers accepted on loopback: the names of this machine (DNS rebinding guard)."""
        port = self.server_address[1]
        return {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, every reply with a length."""

    server: ExplorerServer
    protocol_version = "HTTP/1.1"
    timeout = TIMEOUT
    server_version = "glassgrad-explorer"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            body = page_html(self.server.start, self.server.api.presets_payload()).encode()
            self._send(200, body, "text/html; charset=utf-8")
        elif path == "/app.js":
            self._send(200, page_script().encode(), "text/javascript; charset=utf-8")
        elif path.startswith("/static/") and path[len("/static/"):] in STYLESHEETS:
            self._send(200, stylesheet(path[len("/static/"):]).encode(), "text/css; charset=utf-8")
        elif path == "/api/presets":
            self._json(200, {"presets": self.server.api.presets_payload()})
        else:
            self._json(404, {"error": f"no page {path[:60]!r}"})

    def do_HEAD(self) -> None:
        self._json(405, {"error": "HEAD is not served; use GET"})

    def do_POST(self) -> None:
        if not self._host_ok():
            self.close_connection = True
            return
        path = urlsplit(self.path).path
        if not path.startswith("/api/"):
            self._refuse(404, f"no API at {path[:60]!r}; POST to /api/graph or /api/values")
            return
        request = self._read_json()
        if request is _ANSWERED:
            return
        try:
            status, reply = self.server.api.handle(path[len("/api/"):], request)
        except Exception as error:  # a bug of ours: answer it, never die of it
            status, reply = 500, {"error": f"internal error: {type(error).__name__}: {error}"}
        self._json(status, reply)

    def _method_not_allowed(self) -> None:
        self._refuse(405, f"{self.command} is not served; GET the page, POST to /api/...")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _method_not_allowed

    def _host_ok(self) -> bool:
        """Refuse requests naming another host, or posted from another site's page."""
        if not self.server.check_host:
            return True
        host = self.headers.get("Host", "")
        allowed = self.server.allowed_hosts()
        if host not in allowed:
            self._refuse(403, f"Host {host[:60]!r} is not this server; open {self.server.url}")
            return False
        origin = self.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc not in allowed:
            self._refuse(403, f"requests from {origin[:60]!r} are not accepted")
            return False
        return True

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes; without this, Nagle's algorithm holds the
        # second one until the client's delayed ACK: 40 ms added to every keep-alive reply.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_json(self) -> object:
        """The request body as JSON (``null`` included), or ``_ANSWERED`` after a 4xx."""
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or length_text is None:
            self._refuse(411, "send the JSON body with a Content-Length")
            return _ANSWERED
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0:
            self._refuse(400, f"Content-Length {length_text[:20]!r} is not a byte count")
            return _ANSWERED
        if length > MAX_BODY:
            self._refuse(413, f"the body has {length} bytes, more than the {MAX_BODY} accepted")
            return _ANSWERED
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return _ANSWERED
        if kind != "application/json":
            self._refuse(415, "send the body as Content-Type: application/json")
            return _ANSWERED
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        except UnicodeDecodeError:
            self._json(400, {"error": "the body is not UTF-8"})
        except (ValueError, RecursionError) as error:
            self._json(400, {"error": f"the body is not valid JSON: {str(error)[:120]}"})
        return _ANSWERED

    def send_error(self, code: int, message: str | None = None, explain: str | None = None
                   ) -> None:
        """http.server's own refusals (a malformed request line, headers too long) as JSON."""
        self._refuse(code, message or HTTPStatus(code).phrase)

    def _refuse(self, status: int, message: str) -> None:
        """A 4xx after which the connection is closed (the body may be unread)."""
        self.close_connection = True
        self._json(status, {"error": message})

    def _json(self, status: int, reply: object) -> None:
        body = json.dumps(reply, allow_nan=False).encode()
        self._send(status, body, "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CSP)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


#: What ``_read_json`` returns once it has answered the request itself.
_ANSWERED = object()


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def make_server(start: Mapping[str, Any] | None = None, *, host: str = LOOPBACK,
                port: int = DEFAULT_PORT, presets: Iterable[Preset] = (),
                limits: Limits = DEFAULT_LIMITS, verbose: bool = False) -> ExplorerServer:
    """A ready explorer server (call ``serve_forever()``; ``port=0`` picks a free port).

    Args:
        start: what the page opens on: ``{"expr": ..., "values": {...}}`` or
            ``{"preset": key}``; the lecture neuron by default.
        host: the address to bind; anything but loopback exposes the explorer to the network.
        port: the TCP port.
        presets: presets beyond the built-in ones (``python -m demos.explore`` adds Lab 1).
        limits: the size and cost limits of what is accepted.
        verbose: log every request to stderr.
    """
    api = ExplorerAPI(presets, limits)
    loopback = host in (LOOPBACK, "localhost", "::1")
    return ExplorerServer((host, port), api, start, check_host=loopback, verbose=verbose)


def start_url(server: ExplorerServer, start: Mapping[str, Any]) -> str:
    """The page's URL with the start-up expression (or preset) and values in its query."""
    query: dict[str, str] = {}
    if start.get("preset"):
        query["preset"] = str(start["preset"])
    elif start.get("expr"):
        query["expr"] = str(start["expr"])
    for name, value in dict(start.get("values") or {}).items():
        query[name] = repr(float(value))
    return server.url + ("?" + urlencode(query) if query else "")


def main(argv: list[str] | None = None, presets: Iterable[Preset] = (),
         prog: str = "python -m viz serve") -> int:
    """Parse the command line, start the server, print its URL and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Serve the live explorer: edit an expression or drag a value "
        "and watch forward and backward update.")
    parser.add_argument("expression", nargs="?", default=None,
                        help='what to open on, e.g. "tanh(a*b + c)" (default: --preset neuron)')
    parser.add_argument("variables", nargs="*", metavar="name=value",
                        help="each variable's starting value, e.g. a=2 b=-3")
    parser.add_argument("--preset", default=None, help="open on a preset instead: "
                        "neuron, abc (and lab1 from python -m demos.explore)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--host", default=LOOPBACK,
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--open", action="store_true", help="open the page in a browser")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_intermixed_args(argv)
    try:
        values = parse_variables(args.variables)
    except ExpressionError as error:
        parser.error(str(error))
    start: dict[str, Any] = {"values": values}
    if args.expression is not None and args.preset is not None:
        parser.error("give an expression or --preset, not both")
    if args.expression is not None:
        start["expr"] = args.expression
    else:
        start["preset"] = args.preset or "neuron"
    server = make_server(start, host=args.host, port=args.port, presets=presets,
                         verbose=args.verbose)
    status, reply = server.api.handle("values", start)
    if status != 200:
        print(f"error: {reply['error']}", file=sys.stderr)
        server.server_close()
        return 2
    if not server.check_host:
        print(f"warning: serving on {args.host}, not 127.0.0.1: anyone who can reach this "
              "machine can use the explorer", file=sys.stderr)
    if torch_available():
        # "Compare with PyTorch" imports torch on first use, seconds; start that now.
        threading.Thread(target=importlib.import_module, args=("torch",), daemon=True).start()
    url = start_url(server, start)
    print(f"glassgrad explorer: {url}", flush=True)
    print("press Ctrl-C to stop", flush=True)
    if args.open:
        threading.Timer(0.3, webbrowser.open, args=(url,)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0
