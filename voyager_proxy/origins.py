"""
Which hosts and browser origins the daemon answers (pure): the Host check
against DNS rebinding, and the daemon's own origin, which a page it serves
itself sends.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import attrs

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
ANY = "*"


def host_name(host: str) -> str:
    """The name in a C{Host} header, without its port, brackets or final dot, lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, _ = host[1:].partition("]")
    elif host.count(":") == 1:
        name = host.partition(":")[0]
    else:
        name = host
    return name.rstrip(".")


def _is_wildcard(interface: str) -> bool:
    try:
        return ipaddress.ip_address(interface).is_unspecified
    except ValueError:
        return False


def default_hosts(interface: str) -> tuple[str, ...]:
    """The loopback names, and the interface listened on unless it is a wildcard address (0.0.0.0, ::)."""
    own = () if not interface or _is_wildcard(interface) else (host_name(interface),)
    return tuple(dict.fromkeys((*LOOPBACK_NAMES, *own)))


@attrs.frozen
class Hosts:
    """The names a request's C{Host} may give (L{ANY} for every name)."""

    names: frozenset[str]

    @classmethod
    def of(cls, configured: Iterable[str], interface: str) -> Hosts:
        """C{http.allowed_hosts}, or when empty L{default_hosts} of C{http.interface}."""
        names = [host_name(name) if name != ANY else ANY for name in configured] or default_hosts(interface)
        return cls(frozenset(names))

    def allow(self, host: str | None) -> bool:
        """A request without C{Host} (HTTP/1.0 tools) is allowed: browsers always send one."""
        return host is None or ANY in self.names or host_name(host) in self.names


def own_origins(host: str | None) -> frozenset[str]:
    """The origins of a page served by the daemon at C{Host} (behind a TLS proxy, https)."""
    if not host:
        return frozenset()
    host = host.strip().lower()
    return frozenset({f"http://{host}", f"https://{host}"})


def origin_allowed(origin: str, allowed: Iterable[str], host: str | None) -> bool:
    """Whether C{origin} is listed exactly, or is the daemon's own origin; C{*} is not an answer here."""
    return origin in set(allowed) - {ANY} or origin.lower() in own_origins(host)
