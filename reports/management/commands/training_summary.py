from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from reports.selectors import report_filter, summary


class Command(BaseCommand):
    help = "在终端打印某年度的培训完成情况（全部项目），供撰写年度报告使用。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)

    def handle(self, *args, **options):
        reader = (
            User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
            or User.objects.filter(role="bureau").first()
        )
        if reader is None:
            raise CommandError("需要一个教育局或超级管理员账号来读取全部数据。")
        data = summary(user=reader, f=report_filter(reader, {"year": options["year"]}))
        write = self.stdout.write
        write(f"{data['year']}年，全年累计培训教师 {data['distinct_teachers']} 人（{data['enrolments']} 人次），"
              f"结业 {data['completions']} 人次，结业率 {data['completion_rate']}%，颁发有效证书 {data['certificates']} 张、"
              f"学时 {data['credit_hours']:.0f}；出勤率 {data['attendance_rate']}%，测试通过率 {data['quiz_pass_rate']}%。")  # fmt: skip
        write("\n按级别：")
        for row in data["by_level"]:
            write(
                f"  {row['level_display']}：{row['teachers']} 人，{row['enrolments']} 人次，结业率 {row['completion_rate']}%"
            )
        write("\n按区县：")
        for row in data["by_district"]:
            write(f"  {row['teacher__district'] or '未填'}：{row['teachers']} 人，结业率 {row['completion_rate']}%")
        write("\n按项目：")
        for row in data["by_programme"]:
            write(
                f"  {row['programme__code']} {row['programme__title']}：{row['enrolments']} 人次，结业率 {row['completion_rate']}%"
            )
