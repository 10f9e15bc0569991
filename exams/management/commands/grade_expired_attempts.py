from django.core.management.base import BaseCommand

from exams.services import attempts_grade_expired


class Command(BaseCommand):
    help = "按已保存的答案为超过截止时间仍未交卷的作答评分（可由定时任务每分钟运行）。"

    def handle(self, *args, **options):
        self.stdout.write(f"已自动交卷并评分 {attempts_grade_expired()} 份作答。")
