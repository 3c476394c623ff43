"""URLs of the bench settings (config.settings.bench): the whole site, plus the raw-SQL
comparison views of the benchmark under /bench/raw/ (bench.raw_views). Production never mounts
them: they skip the audit trail by design."""

from django.urls import include, path

from bench import raw_views

urlpatterns = [
    path("bench/raw/cases/", raw_views.case_list, name="bench-raw-case-list"),
    path("bench/raw/cases/<uuid:pk>/", raw_views.case_detail, name="bench-raw-case-detail"),
    path("bench/raw/changes/", raw_views.change_feed, name="bench-raw-changes"),
    path("", include("config.urls")),
]
