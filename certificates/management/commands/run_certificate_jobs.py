from django.core.management.base import BaseCommand

from certificates.models import CertificateJob, JobStatus
from certificates.services import job_run, pending_issues_drain


class Command(BaseCommand):
    help = "运行排队中的证书批处理和自动颁发（CERTIFICATE_JOBS_MODE=none 时由定时任务或工作进程调用）。"

    def handle(self, *args, **options):
        handled = 0
        while drained := pending_issues_drain():
            handled += drained
        if handled:
            self.stdout.write(f"自动颁发：处理了 {handled} 条结业检查。")
        for job_id in (
            CertificateJob.objects.filter(status=JobStatus.PENDING).order_by("created_at").values_list("pk", flat=True)
        ):
            job = job_run(job_id=job_id)
            self.stdout.write(f"{job}: {job.message}")
