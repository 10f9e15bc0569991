from django.conf import settings
from django.core.management.base import BaseCommand

from courses.uploads import pending_uploads_remove_stale


class Command(BaseCommand):
    help = "删除上传后未确认导入、已超过保留时间的名单和题库文件（含个人信息）。计划任务进程（run_scheduler）每小时自动执行；也可手动运行。"

    def handle(self, *args, **options):
        removed = pending_uploads_remove_stale()
        hours = settings.PENDING_UPLOAD_MAX_AGE_SECONDS / 3600
        self.stdout.write(f"已删除 {removed} 个超过 {hours:g} 小时未确认的上传文件。")
