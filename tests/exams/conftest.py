import datetime

import pytest
from django.utils import timezone

from courses.services import enrolment_create
from exams.services import question_create, quiz_create


def make_bank(per_kind: int = 6):
    for i in range(per_kind):
        question_create(
            law="教师法", revision="2009年修正", article="第七条", kind="single", difficulty=1,
            stem=f"单选题{i}", explanation="解析：依据《教师法》第七条。",
            options=[(f"对{i}", True), (f"错{i}a", False), (f"错{i}b", False), (f"错{i}c", False)],
        )  # fmt: skip
        question_create(
            law="义务教育法", revision="2018年修正", article="", kind="multiple", difficulty=2,
            stem=f"多选题{i}", explanation="解析：依据《义务教育法》。",
            options=[(f"甲{i}", True), (f"乙{i}", True), (f"丙{i}", True), (f"丁{i}", False)],
        )  # fmt: skip
        question_create(
            law="宪法", revision="2018年修正", article="第五条", kind="truefalse", difficulty=1,
            stem=f"判断题{i}", explanation="解析：依据《宪法》第五条。", options=[("正确", True), ("错误", False)],
        )  # fmt: skip


@pytest.fixture
def bank(db):
    make_bank()


@pytest.fixture
def quiz(bank, programme, organiser):
    now = timezone.now()
    return quiz_create(
        actor=organiser,
        programme=programme,
        title="法治知识测试",
        single_count=2,
        multiple_count=2,
        truefalse_count=2,
        time_limit_minutes=20,
        pass_mark=60,
        max_attempts=2,
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=1),
    )


@pytest.fixture
def student(teacher, programme):
    enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")
    return teacher
