"""`manage.py audit_verify`: check the whole audit chain (audit.chain).

Exits 0 and prints "audit chain intact: N entries" when every entry is where it was written and
unchanged; exits 1 naming the first entry that was changed, removed or reordered.
"""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand

from audit.chain import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 at the first entry that was tampered with."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the result as JSON."
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=5000,
            help="Entries fetched per round trip (default 5000).",
        )

    def handle(self, *args, as_json: bool = False, chunk_size: int = 5000, **options):
        started = time.monotonic()
        report = verify_chain(chunk_size=chunk_size)
        seconds = time.monotonic() - started
        if as_json:
            self.stdout.write(json.dumps({**report.as_dict(), "seconds": round(seconds, 3)}))
        elif report.intact:
            self.stdout.write(f"audit chain intact: {report.entries} entries")
            if options["verbosity"] >= 1:
                # The last hash is what to write down or publish: a chain rewritten from some
                # entry onwards, hashes and all, no longer ends with it.
                self.stdout.write(f"last hash: {report.last_hash} ({seconds:.2f} s)")
        else:
            self.stderr.write(
                f"audit chain BROKEN at entry {report.first_broken_sequence}: {report.problem} "
                f"({report.entries} entries before it are intact)"
            )
        if not report.intact:
            sys.exit(1)
