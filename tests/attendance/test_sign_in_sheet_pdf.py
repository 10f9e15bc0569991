"""打印签到单 is a PDF list of the session's enrolled teachers (name, school, masked ID) with a signature
column, plus the QR and the 6-digit code for those with phones."""

import io

from django.urls import reverse

from attendance import tokens
from courses.services import enrolment_create
from tests.factories import make_teacher


def test_the_sheet_lists_enrolled_teachers_masked_with_a_signature_column(client, organiser, programme):
    from pdfminer.high_level import extract_text

    session = programme.sessions.get()
    teachers = [make_teacher(name=name, school="许昌市第一中学") for name in ("王永浩", "李芳")]
    for teacher in teachers:
        enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    client.force_login(organiser)
    response = client.get(reverse("attendance:sheet_pdf", args=[session.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = extract_text(io.BytesIO(response.content)).replace("\n", " ")
    for expected in (
        "签名",
        "王永浩",
        "李芳",
        "许昌市第一中学",
        teachers[0].masked_id_number,
        tokens.session_code(session.pk),
    ):
        assert expected in text, expected
    assert teachers[0].id_number not in text
