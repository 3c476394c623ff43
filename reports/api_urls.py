"""API routes of the reports, included under /api/v1/reports/ (before the resource routes of
sync, whose catch-all would otherwise take them)."""

from django.urls import path

from .api import FiguresApi, ReportDetailApi, ReportListApi

urlpatterns = [
    path("", ReportListApi.as_view(), name="api-report-list"),
    path("figures/", FiguresApi.as_view(), name="api-report-figures"),
    path("<slug:key>/", ReportDetailApi.as_view(), name="api-report-detail"),
]
