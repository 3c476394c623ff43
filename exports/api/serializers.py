from __future__ import annotations

from rest_framework import serializers

from sync.serializers import StrictSerializer

from ..models import ExportJob


class ExportRequestInput(StrictSerializer):
    dataset = serializers.CharField(
        max_length=64,
        help_text="`cases`, `cases_crosstab` or `report:<key>`, as your role allows.",
    )
    format = serializers.ChoiceField(choices=ExportJob.Format.choices)
    params = serializers.DictField(
        required=False,
        default=dict,
        help_text=(
            "cases: the case list's filters (status, sex, office_code, abducted_year, age_min, "
            "age_max...); cases_crosstab: rows, columns, as_of; reports: as_of."
        ),
    )
    language = serializers.ChoiceField(
        choices=["en", "ar", "ckb"],
        required=False,
        help_text="Labels' language; ar and ckb give right-to-left XLSX sheets.",
    )


class ExportJobOutput(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(
        help_text="A link valid for a few minutes once the export is done; null before."
    )

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "dataset",
            "params",
            "format",
            "language",
            "deidentified",
            "status",
            "progress",
            "row_count",
            "size_bytes",
            "created_at",
            "finished_at",
            "expires_at",
            "error",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, job: ExportJob) -> str | None:
        from django.urls import reverse

        from ..services import download_token

        if not job.is_downloadable:
            return None
        path = reverse("api-export-download", kwargs={"pk": job.pk})
        url = f"{path}?token={download_token(job)}"
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url
