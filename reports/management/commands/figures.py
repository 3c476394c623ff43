"""`manage.py figures`: every published figure against the value computed from our records."""

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from reports.models import PublishedFigure
from reports.selectors import EXPLAINED, figures_reconcile

RELATION_SIGN = {
    PublishedFigure.Relation.EXACTLY: "",
    PublishedFigure.Relation.MORE_THAN: ">",
    PublishedFigure.Relation.FEWER_THAN: "<",
    PublishedFigure.Relation.AT_LEAST: ">=",
    PublishedFigure.Relation.AT_MOST: "<=",
    PublishedFigure.Relation.ABOUT: "~",
}


def _published_text(value, relation) -> str:
    return "not published" if value is None else f"{RELATION_SIGN[relation]}{value:,}"


class Command(BaseCommand):
    help = (
        "Compute every published figure from the records as of the figure's date and compare. "
        "Exit status 0 when every figure matches or is an explained conflict, 1 otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="Only the figures published for this day (YYYY-MM-DD).")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args, **options):
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as error:
                raise CommandError(f"--as-of: {error}") from error
        results = figures_reconcile(as_of=as_of)
        if options["json"]:
            figures = [result.as_json() for result in results]
            self.stdout.write(json.dumps({"figures": figures}, ensure_ascii=False, indent=2))
        else:
            self._table(results)
        failures = [r for r in results if r.status not in EXPLAINED]
        if not results:
            self.stderr.write("No published figures in the ledger: run `manage.py seed` first.")
            sys.exit(1)
        if failures:
            self.stderr.write(
                f"{len(failures)} figure(s) do not match: " + ", ".join(r.ref for r in failures)
            )
            sys.exit(1)

    def _table(self, results) -> None:
        header = ("as of", "key", "published", "computed", "status", "publisher / source")
        rows = [
            (
                r.as_of.isoformat()
                if not r.window_start
                else f"{r.window_start.isoformat()}..{r.as_of.isoformat()}",
                r.key,
                _published_text(r.published, r.relation),
                "-" if r.computed is None else f"{r.computed:,}",
                r.status,
                r.publisher + (f" <{r.source_url}>" if r.source_url else ""),
            )
            for r in results
        ]
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(5)]
        line = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
        self.stdout.write(line.format(*header))
        for r, row in zip(results, rows, strict=True):
            self.stdout.write(line.format(*row))
            if r.status in {"conflict", "mismatch"} and r.note:
                self.stdout.write(" " * (sum(widths) + 10) + f"-> {r.note}")
        counts: dict[str, int] = {}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        self.stdout.write("\n" + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
