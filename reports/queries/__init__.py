"""The report queries: each takes (user, as_of, **params) and returns a reports.tables.Table,
aggregating in the database (never loading records into Python). Aggregates are national:
`user` matters only to reports that list cases (the worklist), which go through the policy."""

from .aid import aid_disbursed
from .families import dna_coverage, dna_worklist
from .graves import (
    grave_site_map,
    grave_sites_by_district,
    grave_sites_over_time,
    grave_sites_unopened,
    reburial_batches,
    remains_awaiting_identification,
    remains_over_time,
)
from .people import (
    breakdown_by_age_group,
    breakdown_by_office,
    breakdown_by_place,
    lifecycle_funnel,
    rescues_over_time,
)

__all__ = [
    "aid_disbursed",
    "breakdown_by_age_group",
    "breakdown_by_office",
    "breakdown_by_place",
    "dna_coverage",
    "dna_worklist",
    "grave_site_map",
    "grave_sites_by_district",
    "grave_sites_over_time",
    "grave_sites_unopened",
    "lifecycle_funnel",
    "reburial_batches",
    "remains_awaiting_identification",
    "remains_over_time",
    "rescues_over_time",
]
