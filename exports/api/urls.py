from django.urls import path

from .views import ExportDetailApi, ExportDownloadApi, ExportListApi

urlpatterns = [
    path("", ExportListApi.as_view(), name="api-exports"),
    path("<uuid:pk>/", ExportDetailApi.as_view(), name="api-export-detail"),
    path("<uuid:pk>/download/", ExportDownloadApi.as_view(), name="api-export-download"),
]
