"""Places: the administrative hierarchy (governorate > district > sub-district > village).

Kept apart from cases because grave sites, burials and abductions all point at the same places,
and reports break figures down along the hierarchy.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Place(models.Model):
    class Kind(models.TextChoices):
        GOVERNORATE = "governorate", _("Governorate")
        DISTRICT = "district", _("District")
        SUBDISTRICT = "subdistrict", _("Sub-district")
        VILLAGE = "village", _("Village or complex")

    # Which kind of place may sit directly under which: a village under a sub-district, etc.
    PARENT_KIND = {
        Kind.GOVERNORATE: None,
        Kind.DISTRICT: Kind.GOVERNORATE,
        Kind.SUBDISTRICT: Kind.DISTRICT,
        Kind.VILLAGE: Kind.SUBDISTRICT,
    }

    # UUIDs like every other record, so partners can mirror places by id; the seed derives them
    # from the code (uuid5) so that the same place has the same id in every installation.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name_latn = models.CharField(_("name (Latin script)"), max_length=200)
    name_ar = models.CharField(_("name (Arabic script)"), max_length=200, blank=True)
    alternate_names = models.CharField(
        _("alternate names"), max_length=400, blank=True, help_text=_("Comma-separated spellings.")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )

    class Meta:
        ordering = ["kind", "name_latn"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="governorate", parent__isnull=True)
                | (~Q(kind="governorate") & Q(parent__isnull=False)),
                name="place_parent_required_below_governorate",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name_latn

    def ancestor(self, kind: str) -> "Place | None":
        place: Place | None = self
        while place is not None and place.kind != kind:
            place = place.parent
        return place
