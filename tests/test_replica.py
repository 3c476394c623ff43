"""The read replica (config.routers): reports and exports read from it when one is configured,
everything else (accounts, the audit trail, every write) stays on the primary.

Test settings declare "replica" as a TEST MIRROR of the default database, so these tests check
which alias each query goes to; the data is the same either way. The mirror is a second
connection to the same database, which sees only committed rows: hence transactional tests.
"""

import datetime as dt

import pytest
from django.db import connections, router
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from access.models import OfficeMembership, Role
from access.services import user_create
from audit.models import AuditEntry
from cases.models import Case
from config.routers import reading_from_replica, replica_alias
from exports.datasets import dataset_get_for
from reports.registry import REPORTS

BOTH = ["default", "replica"]
with_replica = override_settings(DATABASE_READ_REPLICA="replica")


def _tables(captured: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"] for query in captured.captured_queries)


def test_without_a_replica_reports_read_the_primary():
    assert replica_alias() == "default"
    with reading_from_replica() as alias:
        assert alias == "default"
        assert router.db_for_read(Case) == "default"


@with_replica
def test_only_record_reads_inside_the_block_go_to_the_replica():
    assert router.db_for_read(Case) == "default"  # outside the block
    with reading_from_replica() as alias:
        assert alias == "replica"
        assert router.db_for_read(Case) == "replica"
        # Who may see what, and the trail, are never read stale; writes go to the primary.
        assert router.db_for_read(OfficeMembership) == "default"
        assert router.db_for_read(AuditEntry) == "default"
        assert router.db_for_write(Case) == "default"
    assert router.db_for_read(Case) == "default"
    assert router.allow_migrate("replica", "cases") is False


@with_replica
@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_a_report_is_computed_on_the_replica_and_audited_on_the_primary(make_case):
    make_case()
    analyst = user_create(username="analyst-replica", role=Role.ANALYST)
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_default,
    ):
        REPORTS["lifecycle_funnel"].compute(analyst, dt.date(2024, 12, 3))
    assert '"cases_case"' in _tables(on_replica)
    assert '"cases_case"' not in _tables(on_default)
    assert '"audit_auditentry"' not in _tables(on_replica)


@with_replica
@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_the_case_export_reads_its_rows_on_the_replica(make_case):
    make_case()
    caseworker = user_create(username="caseworker-replica", role=Role.CASEWORKER, offices=["DHK"])
    dataset = dataset_get_for(caseworker, "cases")
    assert dataset is not None
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_default,
    ):
        prepared = dataset.prepare(caseworker, dataset.clean(caseworker, {}))
        list(prepared.table.iter_rows())
    assert '"cases_case"' in _tables(on_replica)
    assert '"cases_case"' not in _tables(on_default)
    # The user's offices were read on the primary, before the rows.
    assert '"access_officemembership"' in _tables(on_default)


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_without_a_replica_the_same_report_reads_the_primary(make_case):
    make_case()
    analyst = user_create(username="analyst-primary", role=Role.ANALYST)
    with CaptureQueriesContext(connections["default"]) as on_default:
        REPORTS["lifecycle_funnel"].compute(analyst, dt.date(2024, 12, 3))
    assert '"cases_case"' in _tables(on_default)


@with_replica
@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_the_figures_reconciliation_counts_on_the_replica(make_case):
    from reports.selectors import figures_reconcile
    from seeds.loader import load_ledger

    make_case()
    load_ledger()
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_default,
    ):
        results = figures_reconcile()
    assert results
    assert '"cases_case"' in _tables(on_replica)
    assert '"cases_case"' not in _tables(on_default)
