"""Feed URLs are fetched within bounds and from public hosts only (summarize.ingest.fetch,
through feeds.fetch_feed).

Every server here listens on 127.0.0.1 and every loop in it is bounded. Tests of addresses
that are not loopback never connect anywhere: ``socket.getaddrinfo`` is replaced (numeric
hosts only, so no DNS query leaves the machine) and ``socket.socket.connect`` raises unless
it is sent to the test server.
"""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable

import pytest

from summarize.errors import InputError
from summarize.ingest import feeds, fetch
from summarize.options import Limits

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Example News</title>
<item><title>Storm</title><link>https://example.com/storm</link><guid>storm-1</guid>
<description>A storm hit the coast on Monday.</description></item>
</channel></rss>"""

LOCAL = Limits(allow_private_hosts=True)
PUBLIC = "93.184.215.14"  # a global address: never connected to, mapped onto the test server
REAL_GETADDRINFO = socket.getaddrinfo
REAL_CONNECT = socket.socket.connect

Route = Callable[[http.server.BaseHTTPRequestHandler, threading.Event], None]


def ok(body: bytes = RSS) -> Route:
    def answer(handler, stop):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return answer


def redirect(location: str, code: int = 302) -> Route:
    def answer(handler, stop):
        handler.send_response(code)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    return answer


def trickle(every: float, *, in_headers: bool = False) -> Route:
    """One byte every ``every`` seconds, in the body or in the headers (at most 10 s)."""
    def answer(handler, stop):
        if in_headers:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        else:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml")
            handler.end_headers()
        for _ in range(int(10 / every)):
            if stop.wait(every):
                return
            try:
                handler.wfile.write(b"a")
            except OSError:
                return
    return answer


def stall(seconds: float = 5.0) -> Route:
    """Headers at once, then nothing (for at most ``seconds``)."""
    def answer(handler, stop):
        handler.send_response(200)
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        stop.wait(seconds)
    return answer


class Server:
    """An HTTP(S) server on 127.0.0.1 answering from a table of routes; it records each
    request's path and Host header."""

    def __init__(self, routes: dict[str, Route], tls: ssl.SSLContext | None = None) -> None:
        self.routes = routes  # may be added to once the port is known
        self.requests: list[tuple[str, str]] = []
        self.stop = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("Host", "")))
                self.close_connection = True
                outer.routes.get(self.path, _missing)(self, outer.stop)

            def log_message(self, *args):
                pass

        class Quiet(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass

        self.httpd = Quiet(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        scheme = "https" if isinstance(self.httpd.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _missing(handler, stop):
    handler.send_response(404)
    handler.send_header("Content-Length", "2")
    handler.end_headers()
    handler.wfile.write(b"no")


@pytest.fixture
def serve():
    servers: list[Server] = []

    def start(routes: dict[str, Route], tls: ssl.SSLContext | None = None) -> Server:
        servers.append(Server(routes, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def dns(monkeypatch):
    """``socket.getaddrinfo`` with a table of fake names; any other host must be numeric
    (no DNS query leaves the machine). Returns the table and the log of looked-up hosts."""
    table: dict[str, list[str] | Callable[[], list[str]]] = {}
    asked: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        asked.append(name)
        if name in table:
            found = table[name]
            addresses = found() if callable(found) else found
            infos = []
            for address in addresses:
                if ":" in address:
                    infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
                else:
                    infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
            return infos
        return REAL_GETADDRINFO(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table, asked


@pytest.fixture
def no_connect(monkeypatch):
    """Any attempt to connect fails the test (the refusal must come first)."""
    def connect(self, address):
        raise AssertionError(f"connected to {address}, should have been refused before")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: connect(None, address))


@pytest.fixture
def public_alias(monkeypatch, dns):
    """``feed.example`` resolves to a public address; connecting to it on port 80 reaches
    the test server given to the returned function. Any other connection fails the test."""
    table, asked = dns
    table["feed.example"] = [PUBLIC]
    connected: list[tuple] = []
    target: dict[str, int] = {}

    def connect(self, address):
        connected.append(tuple(address[:2]))
        if tuple(address[:2]) == (PUBLIC, 80):
            return REAL_CONNECT(self, ("127.0.0.1", target["port"]))
        if tuple(address[:2]) == ("127.0.0.1", target.get("port")) and target.get("loopback_ok"):
            return REAL_CONNECT(self, address)
        raise AssertionError(f"connected to {address}")

    monkeypatch.setattr(socket.socket, "connect", connect)

    def point_at(server: Server, loopback_ok: bool = False):
        target.update(port=server.port, loopback_ok=loopback_ok)
        return connected, asked

    return point_at


# --- the deadline -------------------------------------------------------------------------


@pytest.mark.parametrize("every, in_headers", [(0.2, False), (2.0, False), (0.2, True)],
                         ids=["body-fast-trickle", "body-slow-trickle", "header-trickle"])
def test_a_trickling_server_is_cut_off_at_the_deadline(serve, every, in_headers):
    server = serve({"/slow.rss": trickle(every, in_headers=in_headers)})
    url = server.url("/slow.rss")
    limits = Limits(allow_private_hosts=True, feed_deadline_s=1.5, feed_timeout_s=30)
    start = time.monotonic()
    with pytest.raises(InputError) as caught:
        feeds.fetch_feed(url, limits=limits)
    elapsed = time.monotonic() - start
    message = str(caught.value)
    assert message.startswith(url) and "1.5 s" in message and "limits.feed_deadline_s" in message
    assert elapsed < 1.5 + 1.0


def test_a_trickled_tls_handshake_is_cut_off_at_the_deadline():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)
    stop = threading.Event()

    def trickle_handshake():  # a TLS record header announcing 16 KiB, then a byte every 0.2 s
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.sendall(b"\x16\x03\x03\x40\x00")
            for _ in range(50):
                if stop.wait(0.2):
                    return
                try:
                    conn.sendall(b"\x00")
                except OSError:
                    return

    thread = threading.Thread(target=trickle_handshake, daemon=True)
    thread.start()
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/news.rss"
    start = time.monotonic()
    try:
        with pytest.raises(InputError, match=r"limits\.feed_deadline_s") as caught:
            feeds.fetch_feed(url, limits=Limits(allow_private_hosts=True, feed_deadline_s=1.5))
        assert str(caught.value).startswith(url)
        assert time.monotonic() - start < 1.5 + 1.0
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def test_a_server_that_stops_sending_is_cut_off_by_the_read_timeout(serve):
    server = serve({"/stall.rss": stall()})
    url = server.url("/stall.rss")
    start = time.monotonic()
    with pytest.raises(InputError, match=r"limits\.feed_timeout_s") as caught:
        feeds.fetch_feed(url, limits=Limits(allow_private_hosts=True, feed_timeout_s=0.5))
    assert str(caught.value).startswith(url) and "0.5 s" in str(caught.value)
    assert time.monotonic() - start < 0.5 + 1.0


@pytest.mark.parametrize("path", ["/big", "/big-unsized"])
def test_a_feed_larger_than_the_cap_is_refused(serve, path):
    body = RSS + b" " * 5000

    def unsized(handler, stop):
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(body)

    server = serve({"/big": ok(body), "/big-unsized": unsized})
    with pytest.raises(InputError, match=r"larger than 1000 bytes \(limits\.max_feed_bytes\)"):
        feeds.fetch_feed(server.url(path), limits=Limits(allow_private_hosts=True, max_feed_bytes=1000))


def test_a_body_cut_short_is_an_error_not_a_shorter_feed(serve):
    def short(handler, stop):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(RSS) + 500))
        handler.end_headers()
        handler.wfile.write(RSS)

    server = serve({"/short.rss": short})
    url = server.url("/short.rss")
    with pytest.raises(InputError, match=r"closed the connection after \d+ of \d+ bytes") as caught:
        feeds.fetch_feed(url, limits=LOCAL)
    assert str(caught.value).startswith(f"{url}: ")


# --- public hosts only --------------------------------------------------------------------


def test_a_loopback_feed_is_refused_by_default_with_a_one_line_hint(serve):
    server = serve({"/news.rss": ok()})
    url = server.url("/news.rss")
    with pytest.raises(InputError) as caught:
        feeds.fetch_feed(url)
    message = str(caught.value)
    assert message.startswith(f"{url}: ") and "\n" not in message
    assert "127.0.0.1" in message and "loopback" in message
    assert "allow_private_hosts = true" in message and "[summarize.limits]" in message
    assert server.requests == []
    assert feeds.fetch_feed(url, limits=LOCAL)[0].outlet == "Example News"


@pytest.mark.parametrize("address, kind", [
    ("10.0.0.5", "private"), ("172.16.3.4", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("127.0.0.1", "loopback"), ("0.0.0.0", "unspecified"),
    ("224.0.0.251", "multicast"), ("240.0.0.1", "reserved"), ("100.64.0.1", "not public"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"), ("fd00::5", "private"),
    ("ff02::1", "multicast"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.5", "private"),
    ("::ffff:169.254.169.254", "link-local"), ("2002:7f00:1::1", "loopback"), ("64:ff9b::a00:5", "private"),
    ("fec0::1", "site-local"),
])
def test_non_public_addresses_are_named(address, kind):
    assert fetch.why_not_public(address) == kind


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8",
                                     "64:ff9b::808:808"])
def test_public_addresses_pass(address):
    assert fetch.why_not_public(address) is None


@pytest.mark.parametrize("address", ["10.0.0.5", "169.254.169.254", "::ffff:127.0.0.1", "fe80::1", "224.0.0.1"])
def test_a_name_resolving_to_a_non_public_address_is_refused_before_connecting(dns, no_connect, address):
    table, _ = dns
    table["feed.example"] = [address]
    with pytest.raises(InputError, match=r"^http://feed\.example/news\.rss: refused: feed\.example is a") as caught:
        feeds.fetch_feed("http://feed.example/news.rss")
    assert address in str(caught.value) and "allow_private_hosts = true" in str(caught.value)


def test_a_name_with_any_non_public_address_among_public_ones_is_refused(dns, no_connect):
    table, _ = dns
    table["feed.example"] = [PUBLIC, "10.0.0.5"]
    with pytest.raises(InputError, match=r"10\.0\.0\.5.*private|private.*10\.0\.0\.5"):
        feeds.fetch_feed("http://feed.example/news.rss")


@pytest.mark.parametrize("url", ["http://2130706433/news.rss", "http://0177.0.0.1/news.rss", "http://0x7f.1/",
                                 "http://127.1/", "http://[::ffff:127.0.0.1]/", "http://[::1]:8080/",
                                 "http://0.0.0.0/", "http://169.254.169.254/latest/meta-data/",
                                 "https://017700000001/"])
def test_numeric_host_tricks_are_resolved_and_refused(dns, no_connect, url):
    with pytest.raises(InputError, match="refused") as caught:
        feeds.fetch_feed(url)
    assert str(caught.value).startswith(url)


def test_the_connection_goes_to_the_address_that_was_checked(serve, dns, public_alias):
    server = serve({"/news.rss": ok()})
    connected, asked = public_alias(server)
    table, _ = dns
    answers = iter([[PUBLIC]])
    table["feed.example"] = lambda: next(answers, ["127.0.0.1"])  # rebinds to loopback if asked again
    (article,) = feeds.fetch_feed("http://feed.example/news.rss")
    assert article.outlet == "Example News"
    assert connected == [(PUBLIC, 80)]
    assert asked.count("feed.example") == 1
    assert server.requests == [("/news.rss", "feed.example")]


def test_a_redirect_from_a_public_host_to_loopback_is_refused(serve, public_alias):
    server = serve({"/secret.rss": ok()})
    secret = server.url("/secret.rss")
    server.routes["/go"] = redirect(secret)
    public_alias(server, loopback_ok=True)
    with pytest.raises(InputError) as caught:
        feeds.fetch_feed("http://feed.example/go")
    message = str(caught.value)
    assert message.startswith(f"http://feed.example/go: redirected to {secret}: ")
    assert "loopback" in message and "allow_private_hosts = true" in message and "\n" not in message
    assert server.paths == ["/go"]
    # the same redirect is followed when private hosts are allowed
    assert feeds.fetch_feed("http://feed.example/go", limits=LOCAL)[0].outlet == "Example News"
    assert server.paths == ["/go", "/go", "/secret.rss"]


# --- redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirects_are_followed_and_relative_locations_resolved(serve, code):
    server = serve({"/a/start": redirect("../feeds/news.rss?x=1", code), "/feeds/news.rss?x=1": ok()})
    (article,) = feeds.fetch_feed(server.url("/a/start"), limits=LOCAL)
    assert article.outlet == "Example News"
    assert server.paths == ["/a/start", "/feeds/news.rss?x=1"]


def test_at_most_max_redirects_are_followed(serve):
    routes = {f"/r/{i}": redirect(f"/r/{i + 1}") for i in range(3)} | {"/r/3": ok()}
    server = serve(routes)
    url = server.url("/r/0")
    assert feeds.fetch_feed(url, limits=Limits(allow_private_hosts=True, max_redirects=3))
    with pytest.raises(InputError) as caught:
        feeds.fetch_feed(url, limits=Limits(allow_private_hosts=True, max_redirects=2))
    message = str(caught.value)
    assert message.startswith(f"{url}: ") and "more than 2 redirects" in message and "limits.max_redirects" in message
    assert server.paths[-3:] == ["/r/0", "/r/1", "/r/2"]


def test_a_redirect_loop_ends(serve):
    server = serve({"/loop": redirect("/loop", 307)})
    with pytest.raises(InputError, match="more than 5 redirects"):
        feeds.fetch_feed(server.url("/loop"), limits=LOCAL)
    assert len(server.requests) == 6


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/feed.rss",
                                      "data:text/xml,<rss></rss>", "gopher://127.0.0.1/"])
def test_a_redirect_to_another_scheme_is_refused(serve, location):
    server = serve({"/go": redirect(location)})
    url = server.url("/go")
    with pytest.raises(InputError) as caught:
        feeds.fetch_feed(url, limits=LOCAL)
    message = str(caught.value)
    assert message.startswith(f"{url}: redirected to {location}: ")
    assert "only http:// and https://" in message


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/feed.rss", "file:///etc/passwd", "http:///news.rss"])
def test_only_http_urls_with_a_host_are_fetched(url, no_connect):
    with pytest.raises(InputError) as caught:
        feeds.fetch_feed(url, limits=LOCAL)
    assert str(caught.value).startswith(f"{url}: ")


# --- HTTPS --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A throw-away CA and a certificate it signed for feed.example (made with openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")

    def run(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=summarize test CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-subj", "/CN=feed.example", "-keyout", "server.key", "-out", "server.csr")
    (folder / "san.cnf").write_text("subjectAltName = DNS:feed.example\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "san.cnf", "-out", "server.pem")
    return folder


@pytest.fixture
def tls_server(serve, certificates, dns):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    server = serve({"/news.rss": ok()}, tls=context)
    table, _ = dns
    table["feed.example"] = ["127.0.0.1"]
    table["other.example"] = ["127.0.0.1"]
    return server


def test_https_verifies_the_certificate_for_the_host_name(tls_server, certificates, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates / "ca.pem"))
    (article,) = feeds.fetch_feed(tls_server.url("/news.rss", host="feed.example"), limits=LOCAL)
    assert article.outlet == "Example News"
    assert tls_server.requests == [("/news.rss", f"feed.example:{tls_server.port}")]
    other = tls_server.url("/news.rss", host="other.example")
    with pytest.raises(InputError, match=r"^https://other\.example:\d+/news\.rss: .*certificate"):
        feeds.fetch_feed(other, limits=LOCAL)


def test_https_refuses_a_certificate_from_an_unknown_authority(tls_server, monkeypatch, tmp_path):
    empty = tmp_path / "none.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    url = tls_server.url("/news.rss", host="feed.example")
    with pytest.raises(InputError, match="certificate") as caught:
        feeds.fetch_feed(url, limits=LOCAL)
    assert str(caught.value).startswith(f"{url}: ")
    assert tls_server.requests == []
