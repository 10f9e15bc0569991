"""Excel exports of programme data, masked unless full ID numbers are explicitly asked for."""

import logging

from django.utils import timezone

from accounts.identity import mask_id_number, mask_mobile
from accounts.models import User
from common.excel import build_workbook

from .models import Programme
from .selectors import programme_can_manage, programme_roster

logger = logging.getLogger("training.exports")

ROSTER_HEADERS = ["姓名", "身份证号", "手机号", "学校/单位", "区县", "学科", "职称", "来源", "状态", "报名时间"]


def may_export_full_ids(user: User) -> bool:
    return user.is_active and user.has_perm("accounts.export_full_id_number")


def roster_export(*, actor: User, programme: Programme, full_ids: bool = False) -> bytes:
    """The programme's roster as .xlsx. Full ID numbers only on request, with the permission, and logged;
    full mobiles only for the programme's own unit (the bureau reads them masked, as everywhere)."""
    full_mobiles = programme_can_manage(user=actor, programme=programme)
    if full_ids:
        # Who and what, never the numbers themselves.
        logger.warning("完整身份证号导出 user_id=%s programme=%s", actor.pk, programme.code)
    rows = (
        [
            e.teacher.name,
            e.teacher.id_number if full_ids else mask_id_number(e.teacher.id_number),
            (e.teacher.mobile or "") if full_mobiles else mask_mobile(e.teacher.mobile),
            e.teacher.school,
            e.teacher.district,
            e.teacher.subject,
            e.teacher.title,
            e.get_source_display(),
            e.get_status_display(),
            timezone.localtime(e.enrolled_at).strftime("%Y-%m-%d %H:%M"),
        ]
        for e in programme_roster(programme=programme).iterator(chunk_size=2000)
    )
    return build_workbook([("学员名单", ROSTER_HEADERS, rows)], text_columns=["身份证号", "手机号"])
