"""Which URLs a delivery may go to.

A destination URL is chosen by a partner, and the delivery is a POST made from inside our
network, so an unchecked URL would let a partner make our workers talk to our own services
(Redis, the database, cloud metadata at 169.254.169.254). Hence:

- https only; plain http only to the loopback interface, and only when WEBHOOKS_ALLOW_HTTP is
  on (default: when DEBUG is; the test settings turn it on for the local receiver);
- no user name or password in the URL (they would sit in the database and in logs), no fragment;
- the host must not be, or resolve to, a private, loopback, link-local or reserved address,
  unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS is on (a partner reached over a VPN).

Creating a subscription checks the URL's form and literal addresses without any DNS lookup (no
network calls in a request; the partner's host may not be live yet). Each delivery attempt also
resolves the host and checks every address it gets. The HTTP client resolves the name again
when it connects, so a hostile DNS server could still answer differently in between (DNS
rebinding); closing that gap needs an egress proxy, which is the deployment's job (see
docs/webhooks.md).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
MAX_URL_LENGTH = 500


def http_allowed() -> bool:
    configured = getattr(settings, "WEBHOOKS_ALLOW_HTTP", None)
    return bool(settings.DEBUG if configured is None else configured)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    address = _address(host)
    return host.lower() in LOOPBACK_NAMES if address is None else address.is_loopback


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _refuse(message: str) -> ValidationError:
    return ValidationError({"url": ValidationError(message, code="destination")})


def destination_check(url: str, *, resolve: bool = False) -> None:
    """Refuse a URL a delivery may not go to, with a ValidationError on "url"."""
    if not isinstance(url, str) or not url:
        raise _refuse(_("Give the destination URL."))
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(_("The URL is longer than %(max)d characters.") % {"max": MAX_URL_LENGTH})
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as error:
        raise _refuse(_("Enter a valid http(s) URL.")) from error
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None:
        raise _refuse(_("Put no user name or password in the URL; requests are signed instead."))
    if parts.fragment:
        raise _refuse(_("A destination URL has no #fragment."))
    loopback = _is_loopback(host)
    if parts.scheme == "http":
        if not (http_allowed() and loopback):
            raise _refuse(_("Deliveries go over https only."))
        return  # plain http is only ever allowed to this machine
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False):
        return
    if loopback and not http_allowed():
        raise _refuse(_("Deliveries may not go to this machine."))
    address = _address(host)
    if address is not None and not _is_public(address) and not loopback:
        raise _refuse(_("Deliveries may not go to private or reserved network addresses."))
    if loopback or not resolve:
        return
    try:
        resolved = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise _refuse(_("The destination host does not resolve.")) from error
    for *_rest, sockaddr in resolved:
        found = _address(str(sockaddr[0]).split("%")[0])
        if found is None or not _is_public(found):
            raise _refuse(_("The destination host resolves to a private or reserved address."))
