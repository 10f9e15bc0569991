import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from courses.demo import current_programmes
from courses.models import Programme
from exams.bank import bank_load
from exams.models import Quiz, ReviewPolicy
from exams.question_io import bank_manager_grant
from exams.services import quiz_create


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class Command(BaseCommand):
    @staticmethod
    def _bank_manager() -> None:
        """The demo's keeper of the shared bank (`tiku`): a bureau account holding the bank's permission."""
        from django.contrib.auth.hashers import make_password

        from accounts.models import Role
        from courses.demo import DEMO_PASSWORD

        manager, created = User.objects.get_or_create(
            username="tiku",
            defaults={"name": "题库管理员（教育局）", "role": Role.BUREAU, "is_staff": True,
                      "password": make_password(DEMO_PASSWORD)},
        )  # fmt: skip
        if created:
            bank_manager_grant(manager)

    help = "载入 fixtures/questions/bank/ 题库（按编号新增或更新），并为演示项目创建测试。重复运行不会改变数据。"

    def add_arguments(self, parser):
        parser.add_argument("--no-demo-quizzes", action="store_true", help="只载入题库")

    def handle(self, *args, **options):
        counts = bank_load()
        self.stdout.write(
            f"题库：新增 {counts['new']} 题，更新 {counts['updated']} 题，未变 {counts['unchanged']} 题。"
        )
        admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if options["no_demo_quizzes"] or admin is None:
            return
        current = current_programmes()
        if current:  # the demo's programmes are there: this is a demo site, give it the bank's demo keeper too
            self._bank_manager()
        plan = []
        if online := current.get("online"):  # open now, for the demo teacher
            plan.append(
                (online, f"{online.year}年市培计划 法治知识测试", _at(online.start_date, 8), _at(online.end_date, 22))
            )
        if finished := current.get("finished"):  # closed: seed_activity gives it results
            plan.append((finished, f"{finished.year}年省培计划 结业测试", _at(finished.end_date, 14),
                         _at(finished.end_date + datetime.timedelta(days=7), 22)))  # fmt: skip
        for code, title, opens, closes in [
            ("FZ2021-0914", "法治政府建设专题讲座 课后测试", (2021, 9, 14, 11, 30), (2021, 9, 30, 22)),
            ("SHP2021-01", "2021年市培计划 法治知识测试", (2021, 10, 8, 8), (2021, 11, 30, 22)),
        ]:
            if programme := Programme.objects.filter(code=code).first():
                plan.append((programme, title, _at(datetime.date(*opens[:3]), *opens[3:]),
                             _at(datetime.date(*closes[:3]), *closes[3:])))  # fmt: skip
        for programme, title, opens, closes in plan:
            if Quiz.objects.filter(programme=programme).exists():
                continue
            quiz_create(
                actor=admin, programme=programme, title=title, opens_at=opens, closes_at=closes,
                review_policy=ReviewPolicy.AFTER_SUBMIT,
            )  # fmt: skip
            self.stdout.write(f"测试：{title}")
