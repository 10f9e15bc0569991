import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from courses.models import Programme
from exams.bank import bank_load
from exams.models import Quiz, ReviewPolicy


class Command(BaseCommand):
    help = "载入 fixtures/questions/bank/ 题库（按编号新增或更新），并为演示项目创建测试。重复运行不会改变数据。"

    def add_arguments(self, parser):
        parser.add_argument("--no-demo-quizzes", action="store_true", help="只载入题库")

    def handle(self, *args, **options):
        counts = bank_load()
        self.stdout.write(
            f"题库：新增 {counts['new']} 题，更新 {counts['updated']} 题，未变 {counts['unchanged']} 题。"
        )
        if options["no_demo_quizzes"]:
            return
        for code, title, opens, closes in [
            (
                "SHP2026-01",
                "2026年市培计划 法治知识测试",
                datetime.datetime(2026, 11, 2, 8),
                datetime.datetime(2026, 12, 31, 22),
            ),
            (
                "FZ2021-0914",
                "法治政府建设专题讲座 课后测试",
                datetime.datetime(2021, 9, 14, 11, 30),
                datetime.datetime(2021, 9, 30, 22),
            ),
            (
                "SHP2021-01",
                "2021年市培计划 法治知识测试",
                datetime.datetime(2021, 10, 8, 8),
                datetime.datetime(2021, 11, 30, 22),
            ),
        ]:
            programme = Programme.objects.filter(code=code).first()
            if programme is None or Quiz.objects.filter(programme=programme).exists():
                continue
            quiz = Quiz(
                programme=programme,
                title=title,
                opens_at=timezone.make_aware(opens),
                closes_at=timezone.make_aware(closes),
                review_policy=ReviewPolicy.AFTER_SUBMIT,
            )
            quiz.full_clean()
            quiz.save()
            self.stdout.write(f"测试：{title}")
