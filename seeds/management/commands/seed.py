"""`manage.py seed`: the gazetteer, offices, aid programmes, the published-figures ledger and the
synthetic population. Idempotent: reference data and the ledger are upserted; the population is
written once (`--reset` replaces it, `--copies N` writes N independent copies).

`--scale N` is the load-test path (seeds.scale): N more synthetic cases with their timelines,
families, graves and feed entries written with COPY in one transaction, added on top of those
already loaded (and said so), instead of the figure-matching population; it prints the rate in
cases/s, and whether the tables' indexes were dropped for the load and created again."""

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
            "--copies",
            type=int,
            default=1,
            help="Write N copies of the figure-matching population; default 1.",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=None,
            metavar="N",
            help="Load tests: add N synthetic cases with their related records (COPY), "
            "instead of the figure-matching population.",
        )
        parser.add_argument(
            "--audit-per-case",
            type=int,
            default=0,
            metavar="K",
            help="With --scale: also append K audit entries (views) per case to the chain.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--demo-login",
            action="store_true",
            help="Give the demo personas the README's password (development settings only).",
        )

    def handle(
        self,
        *args,
        reset=False,
        copies=1,
        scale=None,
        audit_per_case=0,
        no_progress=False,
        demo_login=False,
        **options,
    ):
        if copies < 1:
            raise CommandError("--copies must be 1 or more")
        if scale is not None and scale < 1:
            raise CommandError("--scale must be 1 or more")
        if audit_per_case < 0 or (audit_per_case and scale is None):
            raise CommandError("--audit-per-case is a number of entries, and goes with --scale")
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
        if scale is not None:
            self._scale(scale, audit_per_case, no_progress)
            return
        if not reset and Case.objects.filter(is_synthetic=True).exists():
            self.stdout.write(
                "Synthetic records already loaded; nothing more to do "
                "(use --reset to load them again)."
            )
            return
        bar = tqdm(
            total=copies * STEPS_PER_COPY,
            desc="Seeding",
            unit="step",
            disable=True if no_progress else None,
            leave=False,
        )
        with bar:
            for copy in range(copies):
                population = loader.generate_population(copy)
                bar.update(1)
                loader.write_population(population, bar.update)
        count = Case.objects.filter(is_synthetic=True).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {count:,} synthetic cases in {time.monotonic() - started:.1f}s."
            )
        )

    def _scale(self, count: int, audit_per_case: int, no_progress: bool) -> None:
        from seeds.scale import ScaleLoader, scale_cases_loaded

        already = scale_cases_loaded()
        if already:
            self.stdout.write(f"Adding {count:,} scale cases on top of the {already:,} loaded.")
        loader = ScaleLoader(audit_per_case=audit_per_case)
        bar = tqdm(
            total=count,
            desc="Scale load",
            unit="case",
            disable=True if no_progress else None,
            leave=False,
        )
        with bar:
            result = loader.load(count, bar.update)
        rows = ", ".join(f"{label} {number:,}" for label, number in result.rows.items())
        self.stdout.write(f"Rows: {rows}.")
        if result.rebuilt:
            self.stdout.write(
                f"Indexes of {len(result.rebuilt)} tables dropped for the load and created again "
                f"after it: {result.rebuild_seconds:.1f}s of the time below."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {result.cases:,} scale cases in {result.seconds:.1f}s: "
                f"{result.cases_per_second:,.0f} cases/s."
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
