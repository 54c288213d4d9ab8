"""Which addresses a webhook may reach: public unicast only, checked at registration and at
every delivery, on the address the connection will actually use.

A URL's host is resolved once per attempt (``resolve``, which tests replace to play DNS
rebinding); every address it resolves to must be public, and the connection is then made to
that address (the URL is rewritten to the IP, the ``Host`` header and the TLS server name keep
the hostname), so a second lookup can never hand the socket another address.

Refused: private, loopback, link-local (169.254.169.254, the cloud metadata address, among
them), multicast, reserved, unspecified and shared (100.64/10) addresses, in IPv4 and IPv6,
IPv4 embedded in IPv6 (mapped ``::ffff:a.b.c.d``, NAT64, 6to4, Teredo), and the decimal, octal
and hex spellings of IPv4 that C resolvers accept (``2130706433``, ``0177.0.0.1``), which resolve
to the address they spell and are judged as it. ``allow_loopback`` (tests only) lets 127/8 and
``::1`` through, nothing else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_CHARS = 2048
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Names that are metadata services whatever they resolve to.
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "instance-data"})


class AddressRefused(Exception):
    """The URL may not be called; ``reason`` says why, in words safe to show its owner."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Target:
    """Where one attempt connects: the URL rewritten to a checked address, and the names."""

    url: str  # scheme://<ip>:<port>/path?query
    host: str  # the hostname as written (Host header, TLS server name)
    host_header: str
    address: str
    tls: bool


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to now (replaced in tests to play DNS rebinding)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why ``address`` may not be reached, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            return refusal(embedded, allow_loopback=allow_loopback)
        if address.scope_id:
            return "a scoped IPv6 address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        return "a private address"
    return None


def parse_url(url: str) -> SplitResult:
    """The URL's parts, when it is an absolute http(s) URL with a host and no credentials."""
    if len(url) > MAX_URL_CHARS:
        raise AddressRefused(f"URLs are at most {MAX_URL_CHARS} characters")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise AddressRefused("the URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise AddressRefused("not a valid URL") from None
    if parts.scheme not in {"http", "https"}:
        raise AddressRefused("the URL must start with https:// or http://")
    if not parts.hostname:
        raise AddressRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("the URL may not carry credentials")
    if parts.fragment:
        raise AddressRefused("the URL may not have a fragment")
    return parts


async def check(url: str, *, allow_loopback: bool) -> Target:
    """Resolve ``url``'s host once and return where to connect.

    Raises:
        AddressRefused: the URL is malformed, does not resolve, or reaches an address that is
            not public unicast (any one of its addresses).
    """
    parts = parse_url(url)
    host = parts.hostname or ""
    if host.rstrip(".").lower() in METADATA_NAMES:
        raise AddressRefused("a cloud metadata service")
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = await resolve(host, port)
        except (OSError, UnicodeError):
            raise AddressRefused("the host does not resolve") from None
        if not addresses:
            raise AddressRefused("the host does not resolve")
    checked: list[IPAddress] = []
    for raw in addresses:
        try:
            address = ipaddress.ip_address(raw.split("%", 1)[0])
        except ValueError:
            raise AddressRefused("the host resolves to something that is not an address") from None
        why = refusal(address, allow_loopback=allow_loopback)
        if why is not None:
            raise AddressRefused(f"the host resolves to {why}")
        checked.append(address)
    pinned = checked[0]
    netloc_ip = f"[{pinned}]" if pinned.version == 6 else str(pinned)
    default_port = (tls and port == 443) or (not tls and port == 80)
    host_header = parts.netloc.rsplit("@", 1)[-1] if not default_port else _bracketed(host)
    return Target(
        url=urlunsplit(parts._replace(netloc=f"{netloc_ip}:{port}")),
        host=host,
        host_header=host_header,
        address=str(pinned),
        tls=tls,
    )


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
