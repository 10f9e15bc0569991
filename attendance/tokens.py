"""Signed check-in tokens for the rotating QR, and the fallback 6-digit session code.

A token names a session, a kind (in / out / sheet) and, for the projector QR, a
time step; it is signed with an HMAC of the server's secret. The current and the
previous step are accepted, so a photo forwarded to someone at home stops working
within one or two rotations. Nothing guessable is in clear and no password is in it.
"""

import base64
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac

KINDS = ("in", "out", "sheet")


class TokenInvalid(Exception):
    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class Token:
    session_id: int
    kind: str
    step: int | None


def rotation_seconds() -> int:
    return settings.ATTENDANCE_QR_ROTATION_SECONDS


def step_at(moment) -> int:
    return int(moment.timestamp()) // rotation_seconds()


def _signature(payload: str) -> str:
    digest = salted_hmac("attendance.qr-token", payload, algorithm="sha256").digest()[:12]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_token(*, session_id: int, kind: str, moment=None) -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    step = "" if kind == "sheet" else str(step_at(moment))
    payload = f"{session_id}.{kind}.{step}"
    return f"{payload}.{_signature(payload)}"


def read_token(token: str, *, moment) -> Token:
    """The token's content if the signature holds and its step is current or previous."""
    parts = (token or "").split(".")
    if len(parts) != 4:
        raise TokenInvalid("二维码内容不完整或已损坏，请重新扫描投影上的二维码。")
    session_part, kind, step_part, signature = parts
    payload = f"{session_part}.{kind}.{step_part}"
    if kind not in KINDS or not session_part.isdigit() or not hmac.compare_digest(signature, _signature(payload)):
        raise TokenInvalid("二维码无效（不是本系统生成的签到码，或已被改动），请扫描现场投影上的二维码。")
    step = None
    if kind != "sheet":
        if not step_part.isdigit():
            raise TokenInvalid("二维码无效，请重新扫描。")
        step = int(step_part)
        now_step = step_at(moment)
        if step not in (now_step, now_step - 1):
            raise TokenInvalid(
                "二维码已过期（投影上的二维码每隔几秒更新一次），请扫描现场屏幕上最新的二维码。", expired=True
            )
    return Token(session_id=int(session_part), kind=kind, step=step)


def session_code(session_id: int) -> str:
    """A 6-digit code for the printed fallback sheet, derived from the secret."""
    digest = salted_hmac("attendance.session-code", str(session_id), algorithm="sha256").digest()
    return f"{int.from_bytes(digest[:5], 'big') % 1_000_000:06d}"
