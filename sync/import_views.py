"""The caseworkers' CSV import page: upload, see each row's errors by line, import.

"Import the valid rows" re-submits the file the user just reviewed. The file is carried only in
the page itself (compressed, in a hidden field) and its SHA-256 is checked on the way back, so
what is imported is exactly what was reviewed; it is never kept on the server, on disk or in the
database. A file too large to carry in a form field is chosen again instead (same checksum).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from audit.services import audit_log

from . import csv_import
from .api_imports import CappedMemoryUploadHandler, upload_too_large
from .csv_import import ALL, CASES, MAX_BYTES, RELATIVES, VALID_ROWS, VALIDATE, ImportTooLarge

KIND_LABELS = {CASES: _("Cases"), RELATIVES: _("Relatives of existing cases")}
MODE_CHOICES = [
    (ALL, _("Import all rows, only if no row has an error")),
    (VALIDATE, _("Check the file only; write nothing")),
    (VALID_ROWS, _("Import the valid rows and list the others")),
]


def _carry_limit() -> int:
    # The hidden field must fit in what Django accepts as form data, with room for the rest.
    return (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440) - 64 * 1024


def carry(data: bytes) -> str | None:
    """The file as text for a hidden field, or None if it would not fit in one."""
    packed = base64.b64encode(zlib.compress(data, 9)).decode("ascii")
    return packed if len(packed) <= _carry_limit() else None


def uncarry(packed: str) -> bytes:
    raw = base64.b64decode(packed, validate=True)
    inflater = zlib.decompressobj()
    data = inflater.decompress(raw, MAX_BYTES + 1)  # never inflate past the cap
    if inflater.unconsumed_tail or len(data) > MAX_BYTES:
        raise ValueError("over the cap")
    return data


class CsvImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    mode = forms.ChoiceField(label=_("What to do"), choices=MODE_CHOICES, initial=ALL)
    file = forms.FileField(
        label=_("CSV file"),
        required=False,
        help_text=_("UTF-8 CSV from the template, at most 5 MB and 20,000 rows."),
    )
    carried = forms.CharField(required=False, widget=forms.HiddenInput)
    sha256 = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, KIND_LABELS[kind]) for kind in kinds]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            data = upload.read()
        elif cleaned.get("carried"):
            try:
                data = uncarry(cleaned["carried"])
            except (binascii.Error, ValueError, zlib.error) as error:
                raise forms.ValidationError(
                    _("The file could not be carried over; choose it again."), code="carried"
                ) from error
        else:
            raise forms.ValidationError(_("Choose a CSV file."), code="required")
        expected = cleaned.get("sha256")
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise forms.ValidationError(
                _("This is not the file you checked. Check it again before importing."),
                code="changed",
            )
        cleaned["data"] = data
        return cleaned


def _kinds_for(user: Any) -> list[str]:
    return [kind for kind in (CASES, RELATIVES) if csv_import.import_permitted(user, kind)]


@csrf_exempt
@login_required
def csv_import_page(request: HttpRequest) -> HttpResponse:
    # The upload handlers can be changed only before the body is read, and the CSRF check reads
    # it: so exempt here, then protect the view proper (Django's documented pattern).
    request.upload_handlers = [CappedMemoryUploadHandler(request)]
    return _csv_import_page(request)


@csrf_protect
@never_cache  # the page may hold the file and its error list: no copy in any cache
def _csv_import_page(request: HttpRequest) -> HttpResponse:
    kinds = _kinds_for(request.user)
    if not kinds:
        audit_log(action="denied", subject_type="cases.case", actor=request.user)
        raise PermissionDenied
    context: dict[str, Any] = {"max_mb": MAX_BYTES // 2**20}
    if request.method != "POST":
        context["form"] = CsvImportForm(kinds=kinds)
        return render(request, "sync/csv_import.html", context)

    files = request.FILES  # reads the body through the capped handler
    if upload_too_large(request):
        context["form"] = CsvImportForm(kinds=kinds)
        context["file_error"] = _("The file is over %(mb)d MB.") % {"mb": MAX_BYTES // 2**20}
        return render(request, "sync/csv_import.html", context, status=413)
    form = CsvImportForm(request.POST, files, kinds=kinds)
    context["form"] = form
    if not form.is_valid():
        return render(request, "sync/csv_import.html", context, status=400)
    kind, mode, data = (
        form.cleaned_data["kind"],
        form.cleaned_data["mode"],
        form.cleaned_data["data"],
    )
    try:
        result = csv_import.csv_import(kind=kind, data=data, user=request.user, mode=mode)
    except ImportTooLarge as error:
        context["file_error"] = error.message
        return render(request, "sync/csv_import.html", context, status=413)

    if result.applied:
        messages.success(request, _created_message(kind, result.created))
        if not result.errors:
            return redirect("csv-import")
    context.update(result=result, kind_label=KIND_LABELS[kind])
    # What the user may do next with the same file: import its valid rows after a refused or
    # checked file, or import it whole after a clean check.
    next_mode = None
    if not result.applied and not result.file_error and result.valid_rows:
        next_mode = VALID_ROWS if result.errors else ALL
    if next_mode:
        packed = carry(data)
        context["next"] = {
            "mode": next_mode,
            "kind": kind,
            "carried": packed,
            "sha256": result.sha256,
            "count": result.valid_rows,
        }
    return render(request, "sync/csv_import.html", context)


def _created_message(kind: str, count: int) -> str:
    if kind == CASES:
        return ngettext("Imported %(count)d case.", "Imported %(count)d cases.", count) % {
            "count": count
        }
    return ngettext("Imported %(count)d relative.", "Imported %(count)d relatives.", count) % {
        "count": count
    }
