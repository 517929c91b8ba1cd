"""Webhook URL checks: http(s) only, and no private, loopback, link-local or reserved address unless a
configured network allows it (so a job cannot be used to reach the service's own network)."""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from shared.config import get_settings
from shared.errors import ParameterError


def _addresses(host: str, port: int) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ParameterError(f"webhook_url host {host!r} does not resolve") from exc
    return {ipaddress.ip_address(info[4][0]) for info in infos}


def check_webhook_url(url: str) -> str:
    """The URL if it may be called; `ParameterError` (422) otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParameterError("webhook_url must be an http:// or https:// URL with a host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allowed = [ipaddress.ip_network(n, strict=False) for n in get_settings().webhook_allow]
    for ip in _addresses(parts.hostname, port):
        internal = ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
        if internal and not any(ip in net for net in allowed):
            raise ParameterError(f"webhook_url resolves to {ip}, a private or local address: refused")
    return url


async def check_webhook_url_async(url: str | None) -> str | None:
    """Resolution blocks, so it runs in a thread, off the event loop."""
    return None if not url else await asyncio.to_thread(check_webhook_url, url)
