"""Run one export job in this process: what a Celery worker does with `export_run`, for
operators (re-run a job by hand) and for `bench_export`, which measures this process."""

from django.core.management.base import BaseCommand, CommandError

from exports import services
from exports.models import ExportJob


class Command(BaseCommand):
    help = "Run the export job with this id (idempotent: a finished job is left alone)."

    def add_arguments(self, parser):
        parser.add_argument("job_id")

    def handle(self, *args, job_id: str, **options):
        if not ExportJob.objects.filter(pk=job_id).exists():
            raise CommandError("No such export job.")
        job = services.export_run(job_id=job_id)
        if job is None or job.status != ExportJob.Status.DONE:
            raise CommandError(f"export {job_id} did not finish: {job.status if job else '-'}")
        self.stdout.write(f"{job.pk} {job.status} rows={job.row_count} bytes={job.size_bytes}")
