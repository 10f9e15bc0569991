import datetime
import random

from django.core.management.base import BaseCommand
from django.utils import timezone

from attendance.demo import seed_programme_attendance
from certificates.facts import facts_refresh
from certificates.models import AttendanceMode, CompletionRule
from certificates.services import certificates_issue_completed
from courses.models import Programme
from exams.demo import seed_quiz_results
from exams.models import Quiz


class Command(BaseCommand):
    help = "为已结束的演示项目生成签到、测试成绩和证书（确定性；已有数据的项目跳过）。在 seed_demo 和 seed_exams 之后运行。"

    def handle(self, *args, **options):
        rng = random.Random(20211204)
        today = timezone.localdate()
        for programme in Programme.objects.filter(end_date__lt=today).order_by("end_date", "code"):
            mode = AttendanceMode.ALL if programme.sessions.count() <= 2 else AttendanceMode.RATIO
            CompletionRule.objects.get_or_create(
                programme=programme, defaults={"attendance_mode": mode, "attendance_ratio": 75, "auto_issue": True}
            )
            checkins = seed_programme_attendance(programme=programme, rng=rng)
            attempts = sum(
                seed_quiz_results(quiz=quiz, rng=rng)
                for quiz in Quiz.objects.filter(programme=programme, closes_at__lt=timezone.now())
            )
            issued_at = timezone.make_aware(
                datetime.datetime.combine(programme.end_date + datetime.timedelta(days=3), datetime.time(10))
            )
            issued = certificates_issue_completed(programme=programme, actor=None, issued_at=issued_at)
            if checkins or attempts or issued:
                self.stdout.write(f"{programme.code}：签到 {checkins} 条，测试 {attempts} 份，证书 {issued} 张")
        facts_refresh()  # the demo's bulk inserts sent no signals
        for programme in Programme.objects.filter(end_date__gte=today):
            CompletionRule.objects.get_or_create(programme=programme, defaults={"auto_issue": True})
