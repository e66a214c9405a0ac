"""HTTPS transport: stdlib ``ThreadingHTTPServer``, HTTP/1.1 keep-alive, TLS per connection.

Why stdlib: per-request overhead well under a millisecond and full control of the socket, which
the ``drop`` faults need (close the connection without answering). The TLS handshake runs in the
connection's worker thread, so a slow or failing handshake never stalls ``accept``.

Responses are written with one ``sendall`` (status line, headers and body together) and
``TCP_NODELAY`` is set: a split write on a keep-alive connection would otherwise meet Nagle plus
delayed ACK and cost ~40 ms per request.

Nothing here logs headers or bodies; with ``verbose`` only ``METHOD path status ms`` goes to stderr.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import sys
import threading
import time

from .wire import Request

_REASONS = {code: phrase for code, (phrase, _) in http.server.BaseHTTPRequestHandler.responses.items()}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "msgraph-emulator"
    sys_version = ""
    timeout = 300  # idle keep-alive connections are closed after this

    def setup(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ctx = self.server.ssl_context
        if ctx is not None:
            self.request.settimeout(30)
            try:
                self.request = ctx.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError):
                # A client that does not trust the CA aborts the handshake: nothing to serve.
                self.request = None
                self.rfile = self.wfile = None
                return
        super().setup()

    def handle(self):
        if self.request is None:
            return
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout):
            pass

    def finish(self):
        if self.request is None:
            return
        try:
            super().finish()
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        try:
            self.request.close()  # the TLS socket; the server only closes the raw one it accepted
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        # The default logs request lines at every call; the server logs nothing unless verbose.
        pass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self):
        start = time.perf_counter()
        path, _, query = self.path.partition("?")
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        req = Request(
            method=self.command,
            path=path,
            query_string=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
            host=self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}",
            client_ip=self.client_address[0],
        )
        resp = self.server.emulator.handle(req)
        if resp.drop:
            self._drop()
            return
        reason = _REASONS.get(resp.status, "")
        lines = [f"HTTP/1.1 {resp.status} {reason}",
                 f"Date: {self.date_time_string()}",
                 "Server: msgraph-emulator"]
        for name, value in resp.headers.items():
            lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(resp.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + resp.body
        if resp.drop_after:
            self._drop()
            return
        if resp.cut_body:
            # The head (with the full Content-Length) and half the body: the client reads a
            # response that ends early. With no body to cut, half the head.
            head = len(payload) - len(resp.body)
            cut = head + len(resp.body) // 2 if resp.body else head // 2
            self.wfile.write(payload[:cut])
            self.wfile.flush()
            self._drop()
            return
        self.wfile.write(payload)
        if self.server.verbose:
            ms = (time.perf_counter() - start) * 1000
            print(f"{self.command} {path} {resp.status} {ms:.1f}ms", file=sys.stderr, flush=True)

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class EmulatorServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256

    def __init__(self, host: str, port: int, emulator, cert_pem: str | None, key_pem: str | None,
                 verbose: bool = False):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.emulator = emulator
        self.verbose = verbose
        self.ssl_context = None
        if cert_pem:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(cert_pem, key_pem)
            ctx.set_alpn_protocols(["http/1.1"])
            self.ssl_context = ctx
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2},
                                  name="msgraph-emulator", daemon=True)
        thread.start()
        return thread
