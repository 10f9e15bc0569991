"""The site's own address, for the QR codes and PDFs that must point back at it."""

from django.conf import settings

DEVELOPMENT_ADDRESS = "http://127.0.0.1:8000"


def site_url(request=None) -> str:
    """SITE_URL when it is set; otherwise the address the triggering request came to (so `make run
    PORT=8101` or a LAN address prints itself); without either, the development server's default.
    Batch jobs record this when they are created, and use the recorded value."""
    if settings.SITE_URL:
        return settings.SITE_URL
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return DEVELOPMENT_ADDRESS
