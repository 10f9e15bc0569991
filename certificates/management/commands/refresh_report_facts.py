import time

from django.core.management.base import BaseCommand

from certificates.facts import facts_refresh


class Command(BaseCommand):
    help = "重建数据看板的汇总表（批量导入数据后运行；也可每晚由定时任务运行，以消除任何偏差）。"

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = facts_refresh()
        self.stdout.write(f"已重建 {rows} 条报名的完成情况汇总，用时 {time.perf_counter() - started:.1f} 秒。")
