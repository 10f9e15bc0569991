import datetime
import random

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from attendance.demo import open_current_sessions, seed_programme_attendance
from certificates.models import AttendanceMode, CompletionRule
from certificates.services import certificates_issue_completed, completion_rule_set
from courses.models import Programme
from exams.demo import seed_quiz_results
from exams.models import Quiz


class Command(BaseCommand):
    help = (
        "为已结束的演示项目生成签到、测试成绩和证书，并让今天的演示课次可以签到（确定性；已有数据的项目跳过）。"
        "在 seed_demo 和 seed_exams 之后运行。"
    )

    def handle(self, *args, **options):
        admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if admin is None:
            self.stdout.write("没有管理员账号：请先运行 seed_demo。")
            return
        rng = random.Random(20211204)
        today = timezone.localdate()
        for programme in Programme.objects.filter(end_date__lt=today).order_by("end_date", "code"):
            if not CompletionRule.objects.filter(programme=programme).exists():
                mode = AttendanceMode.ALL if programme.sessions.count() <= 2 else AttendanceMode.RATIO
                completion_rule_set(actor=admin, programme=programme, attendance_mode=mode, attendance_ratio=75)
            checkins = seed_programme_attendance(programme=programme, actor=admin, rng=rng)
            attempts = sum(
                seed_quiz_results(quiz=quiz, rng=rng)
                for quiz in Quiz.objects.filter(programme=programme, closes_at__lt=timezone.now()).order_by("pk")
            )
            issued_at = timezone.make_aware(
                datetime.datetime.combine(programme.end_date + datetime.timedelta(days=3), datetime.time(10))
            )
            issued = certificates_issue_completed(programme=programme, actor=None, issued_at=issued_at)
            if checkins or attempts or issued:
                self.stdout.write(f"{programme.code}：签到 {checkins} 条，测试 {attempts} 份，证书 {issued} 张")
        if opened := open_current_sessions(actor=admin, today=today):
            self.stdout.write(f"今天的演示课次已开放签到：{opened} 个")
