"""The client's address as the deployment defines it, for every rate limit and lockout.

TRUSTED_PROXY_COUNT is how many reverse proxies in front of the app append to X-Forwarded-For.
With 0 (the default: the app is reached directly, or the proxy passes the client as REMOTE_ADDR)
the header is ignored, since anyone can send it; with N the address N entries from the right is the
one the outermost trusted proxy saw. DRF's throttles use the same setting (NUM_PROXIES), so the
site's own limits and the API's agree.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    chosen = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(chosen))
    except ValueError:  # not an address: the proxies are not what the setting says
        return remote
