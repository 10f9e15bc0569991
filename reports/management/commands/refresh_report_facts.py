import time

from django.core.management.base import BaseCommand, CommandError

from reports.facts import facts_differences, facts_refresh


class Command(BaseCommand):
    help = (
        "重建数据看板的汇总表（批量导入数据后运行；也可每晚由定时任务运行，以消除任何偏差）。"
        "加 --check 只比较汇总表与原始记录，不写入；有差异时列出并以状态 1 退出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只检查，不重建")
        parser.add_argument("--limit", type=int, default=50, help="--check 时最多列出多少条差异")

    def handle(self, *args, **options):
        started = time.perf_counter()
        if options["check"]:
            differing, lines = facts_differences(limit=options["limit"])
            if differing:
                for line in lines:
                    self.stdout.write(line)
                more = f"（只列出前 {len(lines)} 条）" if differing > len(lines) else ""
                raise CommandError(
                    f"汇总表与原始记录不一致：{differing} 条报名有差异{more}。运行 refresh_report_facts 可重建。"
                )
            self.stdout.write(f"汇总表与原始记录一致（用时 {time.perf_counter() - started:.1f} 秒）。")
            return
        rows = facts_refresh()
        self.stdout.write(f"已重建 {rows} 条报名的完成情况汇总，用时 {time.perf_counter() - started:.1f} 秒。")
