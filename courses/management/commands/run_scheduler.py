import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

logger = logging.getLogger("training.tasks")


class Command(BaseCommand):
    help = (
        "定时任务的唯一来源：按 settings.PERIODIC_TASKS 的间隔把周期性任务（过期作答评分、证书批处理巡检、"
        "清理未确认的上传、看板汇总核对）放入任务队列，由工作进程执行。整个部署只运行一个。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="每个周期性任务各放入一次后退出（可用于 cron）")

    def handle(self, *args, **options):
        tasks = [(import_string(path), path, seconds) for path, seconds in settings.PERIODIC_TASKS]
        running = {"on": True}

        def stop(signum, frame):
            running["on"] = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        due = dict.fromkeys((path for _task, path, _seconds in tasks), 0.0)  # all due at start
        while running["on"]:
            now = time.monotonic()
            for task, path, seconds in tasks:
                if now >= due[path]:
                    try:
                        task.enqueue()
                    except Exception:  # the queue unreachable: try again next round, keep the others
                        logger.exception("could not enqueue %s", path)
                        continue
                    due[path] = now + seconds
                    if options["verbosity"] > 1:
                        self.stdout.write(f"enqueued {path}")
            if options["once"]:
                return
            time.sleep(min(1.0, max(0.05, min(due.values()) - time.monotonic())))
