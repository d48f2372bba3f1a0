"""Fetch the body of one feed URL: one GET, bounded in time and size, from public hosts only.

The bounds come from :class:`~summarize.options.Limits` (``docs/limits.md``):

* ``feed_deadline_s`` -- the whole fetch of one URL (DNS, every connect, TLS handshake,
  headers and body of every redirect) ends by this deadline. The body is read in chunks
  and the monotonic clock checked after each; every socket operation waits at most the
  time that is left, and a watchdog shuts the connection down at the deadline so that a
  server trickling its headers or its TLS handshake one byte at a time is cut off too.
* ``feed_timeout_s`` -- the longest wait for any one connect or read.
* ``max_feed_bytes`` -- a larger body is refused (not cut).
* ``max_redirects`` -- redirects (301, 302, 303, 307, 308) are followed here, not by
  ``urllib``: a relative ``Location`` is resolved against the current URL; only ``http``
  and ``https`` URLs are fetched, first or redirected to.
* ``allow_private_hosts`` -- off by default: every address a host name resolves to (IPv4 and
  IPv6, IPv4-mapped, 6to4 and NAT64 forms unwrapped) must be public, or the URL is refused
  before any connection is made (:func:`why_not_public`). This is checked on every hop, and
  the connection goes to an address that was checked (it is never resolved again), so DNS
  rebinding cannot slip a private address in between. Numeric tricks like
  ``http://2130706433/`` are resolved by ``getaddrinfo`` like any name, then checked.

HTTPS certificates are verified for the URL's host name (``ssl.create_default_context``,
SNI). Proxies from the environment are not used (a proxy would hide the address checked).
Every failure is an :class:`~summarize.errors.InputError` whose message starts with the
URL given (and the URL redirected to, when there was one).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from summarize.errors import InputError
from summarize.options import Limits

REDIRECTS = frozenset({301, 302, 303, 307, 308})
SCHEMES = {"http": 80, "https": 443}
CHUNK = 64 * 1024
ALLOW_HINT = "to allow it, set allow_private_hosts = true in [summarize.limits]"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_KINDS = ("unspecified", "loopback", "link-local", "site-local", "multicast", "reserved", "private")

AddrInfo = tuple[Any, ...]  # one entry of socket.getaddrinfo


def why_not_public(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """``None`` for a public address, else what it is: ``"loopback"``, ``"private"``,
    ``"link-local"``, ``"site-local"``, ``"multicast"``, ``"reserved"``, ``"unspecified"`` or
    ``"not public"`` (e.g. shared address space 100.64.0.0/10).

    An IPv6 address that carries an IPv4 address (``::ffff:a.b.c.d``, 6to4 ``2002::/16``,
    NAT64 ``64:ff9b::/96``) is judged by the IPv4 address it carries as well.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return why_not_public(ip.ipv4_mapped)
        if ip in _NAT64:
            return why_not_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None and (inner := why_not_public(ip.sixtofour)):
            return inner
    for kind in _KINDS:
        if getattr(ip, "is_" + kind.replace("-", "_"), False):
            return kind
    return None if ip.is_global else "not public"


@dataclass(frozen=True)
class _Hop:
    """One URL to GET, split; ``where`` names it in messages."""

    where: str
    url: str
    tls: bool
    host: str
    port: int
    target: str  # path and query

    @classmethod
    def parse(cls, where: str, url: str) -> _Hop:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise InputError(f"{where}: not a usable URL ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            raise InputError(f"{where}: only http:// and https:// URLs are fetched, not {scheme or 'no scheme'}:")
        if not parts.hostname:
            raise InputError(f"{where}: the URL names no host")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(where, url, scheme == "https", parts.hostname, port or SCHEMES[scheme], target)


class _Clock:
    """The deadline of one URL, and the wait allowed for the next socket operation."""

    def __init__(self, url: str, limits: Limits) -> None:
        self.url = url
        self.limits = limits
        self.end = time.monotonic() + limits.feed_deadline_s

    def left(self) -> float:
        return self.end - time.monotonic()

    def wait(self) -> float:
        """Seconds the next connect or read may take (raises once the deadline is past)."""
        left = self.left()
        if left <= 0:
            raise self.expired()
        return min(self.limits.feed_timeout_s, left)

    def expired(self) -> InputError:
        return InputError(f"{self.url}: gave up after {self.limits.feed_deadline_s:g} s "
                          "(limits.feed_deadline_s): the server is too slow")

    def timed_out(self, where: str) -> InputError:
        if self.left() <= 0.05:
            return self.expired()
        return InputError(f"{where}: no answer within {self.limits.feed_timeout_s:g} s (limits.feed_timeout_s)")


class _Watchdog:
    """Shuts the current connection down when the deadline passes, which ends any read
    blocked in it (a server can keep each single read short and still never finish)."""

    def __init__(self, clock: _Clock) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(max(clock.left(), 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        # A duplicate of the descriptor: it stays valid when ``sock`` is wrapped in TLS, and
        # shutting it down shuts the one connection down for both.
        with self._lock:
            self._release()
            self._sock = sock.dup()
            if self.fired:
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _release(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._release()


class _Connection(http.client.HTTPConnection):
    """HTTP(S) to the checked ``addresses`` of ``hop.host``: never resolves the name again;
    the ``Host`` header, SNI and certificate check use the name."""

    def __init__(self, hop: _Hop, addresses: list[AddrInfo], clock: _Clock, watchdog: _Watchdog) -> None:
        super().__init__(hop.host, hop.port, timeout=clock.wait())
        self.default_port = SCHEMES["https" if hop.tls else "http"]  # no ":443" in the Host header
        self._hop = hop
        self._addresses = addresses
        self._clock = clock
        self._watchdog = watchdog

    def connect(self) -> None:
        sock = self._dial()
        if self._hop.tls:
            sock.settimeout(self._clock.wait())
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self._hop.host)
        self.sock = sock

    def _dial(self) -> socket.socket:
        error: OSError | None = None
        for family, kind, proto, _, address in self._addresses:
            sock = socket.socket(family, kind, proto)
            try:
                self._watchdog.watch(sock)
                sock.settimeout(self._clock.wait())
                sock.connect(address)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
            except BaseException:
                sock.close()
                raise
        raise error or OSError(f"no address for {self._hop.host}")

    def pace(self) -> None:
        """Let the next read wait only as long as the deadline allows."""
        if self.sock is not None:
            self.sock.settimeout(self._clock.wait())


def _resolve(hop: _Hop, limits: Limits, clock: _Clock) -> list[AddrInfo]:
    """The addresses of ``hop.host``; all of them must be public unless private hosts are
    allowed. The lookup runs aside so that a slow resolver cannot outlast the deadline."""
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            found["infos"] = socket.getaddrinfo(hop.host, hop.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            found["error"] = exc

    resolver = threading.Thread(target=lookup, daemon=True)
    resolver.start()
    resolver.join(max(clock.left(), 0.0))
    if resolver.is_alive():
        raise clock.expired()
    if "error" in found or not found.get("infos"):
        raise InputError(f"{hop.where}: cannot resolve {hop.host} ({found.get('error', 'no address')})")
    infos = [info for info in found["infos"] if info[0] in (socket.AF_INET, socket.AF_INET6)]
    if not infos:
        raise InputError(f"{hop.where}: {hop.host} has no IPv4 or IPv6 address")
    if not limits.allow_private_hosts:
        for info in infos:
            address = str(info[4][0]).split("%", 1)[0]
            kind = why_not_public(address)
            if kind is not None:
                what = f"{hop.host} is a {kind} address" + ("" if hop.host == address else f" ({address})")
                raise InputError(f"{hop.where}: refused: {what}; feeds are fetched from public hosts only; "
                                 f"{ALLOW_HINT}")
    return infos


def _read_body(response: http.client.HTTPResponse, connection: _Connection, hop: _Hop,
               limits: Limits, clock: _Clock) -> bytes:
    too_large = InputError(f"{hop.where}: the feed is larger than {limits.max_feed_bytes} bytes "
                           "(limits.max_feed_bytes); not read")
    length = response.getheader("Content-Length", "").strip()
    chunked = "chunked" in response.getheader("Transfer-Encoding", "").lower()
    expected = int(length) if length.isdigit() and not chunked else None
    if expected is not None and expected > limits.max_feed_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        connection.pace()
        chunk = response.read1(CHUNK)
        if clock.left() <= 0:
            raise clock.expired()
        if not chunk:
            if expected is not None and size < expected:
                raise InputError(f"{hop.where}: the server closed the connection after {size} of {expected} bytes")
            return b"".join(chunks)
        size += len(chunk)
        if size > limits.max_feed_bytes:
            raise too_large
        chunks.append(chunk)


def _get(hop: _Hop, limits: Limits, clock: _Clock, watchdog: _Watchdog, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """``(status, location, body)`` of one GET (no body for a redirect)."""
    addresses = _resolve(hop, limits, clock)
    connection = _Connection(hop, addresses, clock, watchdog)
    try:
        connection.request("GET", hop.target, headers=headers)
        connection.pace()
        response = connection.getresponse()
        if response.status in REDIRECTS:
            return response.status, response.getheader("Location", "") or "", b""
        if not 200 <= response.status < 300:
            raise InputError(f"{hop.where}: the server answered HTTP {response.status} {response.reason}")
        return response.status, "", _read_body(response, connection, hop, limits, clock)
    finally:
        connection.close()


def fetch_url(url: str, limits: Limits | None = None, headers: dict[str, str] | None = None) -> bytes:
    """The body of ``url`` after at most ``limits.max_redirects`` redirects.

    Raises:
        InputError: the URL is not http(s), names a host that is not public (unless
            ``limits.allow_private_hosts``), cannot be fetched (DNS, connection, TLS,
            HTTP status), takes longer than ``limits.feed_timeout_s`` for one read or
            ``limits.feed_deadline_s`` in all, redirects too often or elsewhere than
            http(s), or is larger than ``limits.max_feed_bytes``. The message starts with
            ``url``.
    """
    limits = limits or Limits()
    clock = _Clock(url, limits)
    watchdog = _Watchdog(clock)
    try:
        hop = _Hop.parse(url, url)
        redirects = 0
        while True:
            status, location, body = _get_one(hop, limits, clock, watchdog, headers or {})
            if status not in REDIRECTS:
                return body
            if not location.strip():
                raise InputError(f"{hop.where}: the server answered HTTP {status} without a Location")
            following = urljoin(hop.url, location.strip())
            if redirects == limits.max_redirects:
                raise InputError(f"{url}: more than {limits.max_redirects} redirects (limits.max_redirects); "
                                 f"the last one to {following}")
            redirects += 1
            hop = _Hop.parse(f"{url}: redirected to {following}", following)
    finally:
        watchdog.stop()


def _get_one(hop: _Hop, limits: Limits, clock: _Clock, watchdog: _Watchdog,
             headers: dict[str, str]) -> tuple[int, str, bytes]:
    """:func:`_get`, its failures turned into ``InputError`` naming the hop."""
    try:
        return _get(hop, limits, clock, watchdog, dict(headers))
    except InputError:
        if watchdog.fired:
            raise clock.expired() from None
        raise
    except TimeoutError:
        raise clock.timed_out(hop.where) from None
    except ssl.SSLCertVerificationError as exc:
        if watchdog.fired:
            raise clock.expired() from None
        raise InputError(f"{hop.where}: the certificate of {hop.host} is not valid "
                         f"({exc.verify_message or exc.reason})") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if watchdog.fired or clock.left() <= 0:
            raise clock.expired() from None
        raise InputError(f"{hop.where}: cannot fetch the feed ({str(exc) or type(exc).__name__})") from None
