"""`manage.py seed`: the gazetteer, offices, aid programmes, the published-figures ledger and the
synthetic population. Idempotent: reference data and the ledger are upserted; the population is
written once (`--reset` replaces it, `--scale N` writes N independent copies)."""

import os
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cases.models import Case
from seeds import loader

STEPS_PER_COPY = 5  # generate + 4 write stages
DEMO_USERNAME = "demo-admin"
DEMO_PASSWORD = "sinjar-demo-2014"  # noqa: S105 - documented local demo login, DEBUG only


class Command(BaseCommand):
    help = "Load the reference data, the published-figures ledger and the synthetic records."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the synthetic records (only those) and load them again.",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Write N copies of the population (load tests); default 1.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--demo-login",
            action="store_true",
            help="Give the demo personas the README's password (development settings only).",
        )

    def handle(self, *args, reset=False, scale=1, no_progress=False, demo_login=False, **options):
        if scale < 1:
            raise CommandError("--scale must be 1 or more")
        started = time.monotonic()
        loader.load_gazetteer()
        loader.load_offices()
        loader.load_programmes()
        figures = loader.load_ledger()
        self.stdout.write(f"Ledger: {figures} published figures.")
        self._personas(demo_login)
        if reset:
            loader.delete_synthetic()
            self.stdout.write("Removed the synthetic records.")
        elif Case.objects.filter(is_synthetic=True).exists():
            self.stdout.write(
                "Synthetic records already loaded; nothing more to do "
                "(use --reset to load them again)."
            )
            return
        bar = tqdm(
            total=scale * STEPS_PER_COPY,
            desc="Seeding",
            unit="step",
            disable=True if no_progress else None,
            leave=False,
        )
        with bar:
            for copy in range(scale):
                population = loader.generate_population(copy)
                bar.update(1)
                loader.write_population(population, bar.update)
        count = Case.objects.filter(is_synthetic=True).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {count:,} synthetic cases in {time.monotonic() - started:.1f}s."
            )
        )

    def _personas(self, demo_login: bool) -> None:
        """One persona per role (and a caseworker of another office). Only with --demo-login,
        which development settings alone accept, do they get the known demo password, and is
        the development superuser made: production can never get them by accident."""
        from seeds.personas import personas_create

        password = None
        if demo_login:
            if not settings.DEBUG:
                raise CommandError("--demo-login is for local development (DJANGO_DEBUG=1) only")
            password = os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD)
            user, created = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
            if created:
                user.is_staff = user.is_superuser = True
                user.set_password(password)
                user.save()
        made = personas_create(password=password)
        if made:
            how = "password in the README" if password else "no password: use --demo-login"
            self.stdout.write(f"Demo personas ({how}): {', '.join(made)}")
