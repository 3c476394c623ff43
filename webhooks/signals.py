"""A recorded case event becomes webhook deliveries, once its transaction has committed.

on_commit: a transition that is refused or rolled back sends nothing, and the fan-out reads the
committed event. The event is also put in the outbox (FanoutPending) inside its own
transaction: if the broker is down when the transaction commits, the sweeper fans it out later.
`robust=True`: a failure in the fan-out is logged and never turns a recorded
transition into an error for the caseworker who made it.

Bulk inserts (the seed's `bulk_create`, `case_histories_bulk_create`) send no post_save signal
and therefore no webhooks: loading history is not news. Imports that should notify partners
must record events through `cases.services.case_transition`.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from cases.models import CaseEvent


@receiver(post_save, sender=CaseEvent, dispatch_uid="webhooks.case_event_recorded")
def case_event_recorded(sender, instance: CaseEvent, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    from .services import events_announce

    events_announce(event_ids=[instance.pk])
