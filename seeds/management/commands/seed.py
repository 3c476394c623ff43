"""`manage.py seed`: the gazetteer, offices, aid programmes, the published-figures ledger and the
synthetic population. Idempotent: reference data and the ledger are upserted; the population is
written once (`--reset` replaces it, `--scale N` writes N independent copies)."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cases.models import Case
from seeds import loader

STEPS_PER_COPY = 5  # generate + 4 write stages


class Command(BaseCommand):
    help = "Load the reference data, the published-figures ledger and the synthetic records."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true",
                            help="Delete the synthetic records (only those) and load them again.")
        parser.add_argument("--scale", type=int, default=1,
                            help="Write N copies of the population (load tests); default 1.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, reset=False, scale=1, no_progress=False, **options):
        if scale < 1:
            raise CommandError("--scale must be 1 or more")
        started = time.monotonic()
        loader.load_gazetteer()
        loader.load_offices()
        loader.load_programmes()
        figures = loader.load_ledger()
        self.stdout.write(f"Ledger: {figures} published figures.")
        if reset:
            loader.delete_synthetic()
            self.stdout.write("Removed the synthetic records.")
        elif Case.objects.filter(is_synthetic=True).exists():
            self.stdout.write("Synthetic records already loaded; nothing more to do "
                              "(use --reset to load them again).")
            return
        bar = tqdm(total=scale * STEPS_PER_COPY, desc="Seeding", unit="step",
                   disable=True if no_progress else None, leave=False)
        with bar:
            for copy in range(scale):
                population = loader.generate_population(copy)
                bar.update(1)
                loader.write_population(population, bar.update)
        count = Case.objects.filter(is_synthetic=True).count()
        self.stdout.write(self.style.SUCCESS(
            f"Seeded {count:,} synthetic cases in {time.monotonic() - started:.1f}s."
        ))
