from django.core.management.base import BaseCommand

from courses.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "载入种子文件中的培训项目，并生成确定性的演示数据（3000 多名教师及各角色演示账号）。重复运行不会改变数据。"

    def handle(self, *args, **options):
        counts = seed_demo()
        self.stdout.write(
            f"演示数据就绪：教师 {counts['teachers']} 人，培训项目 {counts['programmes']} 个，报名 {counts['enrolments']} 条。"
        )
        self.stdout.write(
            f"演示账号（密码均为 {DEMO_PASSWORD}）：教师 13900000001；组织者 organiser、organiser2；教育局 bureau；管理员 admin。"
            "首次登录演示：身份证号 411023199007010045 + 手机 13900000002。"
        )
