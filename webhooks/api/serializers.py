"""Input and output of the webhooks API: one serializer per direction keeps the schema honest
(the secret appears only in the answer to a creation)."""

from rest_framework import serializers

from cases.lifecycle import EventType

from ..destinations import MAX_URL_LENGTH
from ..models import Delivery, DeliveryAttempt, Subscription


class SubscriptionInputSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=MAX_URL_LENGTH,
        help_text="https URL that receives the POSTs (http only to localhost in development).",
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        allow_empty=False,
        max_length=len(EventType.values),
    )
    active = serializers.BooleanField(default=True)


class SubscriptionOutputSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), read_only=True
    )

    class Meta:
        model = Subscription
        fields = ["id", "url", "event_types", "active", "created_at"]
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionOutputSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The HMAC-SHA256 signing key. Shown this once: store it now.",
    )

    class Meta(SubscriptionOutputSerializer.Meta):
        fields = [*SubscriptionOutputSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class DeliveryAttemptOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "error", "succeeded"]
        read_only_fields = fields


class DeliveryOutputSerializer(serializers.ModelSerializer):
    """A delivery as its subscriber sees it in the log: what happened, not the payload (the
    receiver has that; reading it here would be one more disclosure to audit)."""

    attempt_log = DeliveryAttemptOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "case_id",
            "state",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "updated_at",
            "delivered_at",
            "attempt_log",
        ]
        read_only_fields = fields
