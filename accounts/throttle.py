"""Sign-in throttling by account: django-axes for passwords, the cache for first sign-in."""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from .identity import looks_like_id_number, looks_like_mobile, normalise_id_number, normalise_mobile

FIRST_LOGIN_LIMIT = 5
FIRST_LOGIN_WINDOW = 15 * 60


def account_key(identifier: str) -> str:
    """A stable, keyed hash of the account an identifier names (ID number, mobile or username
    all give the same key), or of the normalised identifier when no account matches."""
    from .selectors import user_by_identifier

    text = (identifier or "").strip()
    user = user_by_identifier(identifier=text) if text else None
    if user is not None:
        text = f"user:{user.pk}"
    elif looks_like_id_number(normalise_id_number(text)):
        text = normalise_id_number(text)
    elif looks_like_mobile(normalise_mobile(text)):
        text = normalise_mobile(text)
    digest = hmac.new(settings.SECRET_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()
    return f"acct-{digest[:32]}"


def axes_username(request, credentials) -> str:
    credentials = credentials or {}
    return account_key(credentials.get("username") or request.POST.get("username", ""))


def lockout_response(request, response=None, credentials=None, *args, **kwargs):
    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    return render(
        request,
        "accounts/locked.html",
        {"minutes": minutes},
        status=429,
    )


def first_login_locked(id_number: str) -> bool:
    return cache.get(f"first-login:{account_key(id_number)}", 0) >= FIRST_LOGIN_LIMIT


def first_login_failed(id_number: str) -> None:
    key = f"first-login:{account_key(id_number)}"
    cache.set(key, cache.get(key, 0) + 1, timeout=FIRST_LOGIN_WINDOW)


def first_login_succeeded(id_number: str) -> None:
    cache.delete(f"first-login:{account_key(id_number)}")
