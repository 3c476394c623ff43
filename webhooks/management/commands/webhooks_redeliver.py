"""Send a dead letter again, or sweep the overdue deliveries once (what Celery beat does every
minute; useful when tasks run eagerly, without a broker)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from webhooks.models import Delivery
from webhooks.services import deliveries_due_enqueue, delivery_requeue


class Command(BaseCommand):
    help = "Queue a dead or cancelled webhook delivery again (by id), or --due: sweep once."

    def add_arguments(self, parser):
        parser.add_argument("delivery_ids", nargs="*", metavar="DELIVERY_ID")
        parser.add_argument(
            "--due", action="store_true", help="Enqueue every overdue open delivery."
        )

    def handle(self, *args, delivery_ids, due, **options):
        if not delivery_ids and not due:
            raise CommandError("Give delivery ids, or --due.")
        for delivery_id in delivery_ids:
            try:
                delivery = Delivery.objects.get(pk=delivery_id)
            except (Delivery.DoesNotExist, ValidationError, ValueError) as error:
                raise CommandError(f"No delivery {delivery_id}.") from error
            try:
                delivery_requeue(delivery=delivery, actor=None)
            except ValidationError as error:
                raise CommandError(f"{delivery_id}: {' '.join(error.messages)}") from error
            self.stdout.write(f"{delivery.pk} queued again")
        if due:
            count = deliveries_due_enqueue()
            self.stdout.write(f"{count} overdue deliveries enqueued")
