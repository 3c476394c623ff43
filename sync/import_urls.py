"""CSV imports. `urlpatterns` is the API, included at api/v1/imports/ by config/urls.py;
`web_urlpatterns` is the caseworkers' page, to be included at imports/."""

from django.urls import path

from . import api_imports, import_views

urlpatterns = [
    path("cases/", api_imports.CaseImportApi.as_view(), name="api-import-cases"),
    path("relatives/", api_imports.RelativeImportApi.as_view(), name="api-import-relatives"),
    path(
        "templates/cases.csv",
        api_imports.CaseTemplateApi.as_view(),
        name="api-import-template-cases",
    ),
    path(
        "templates/relatives.csv",
        api_imports.RelativeTemplateApi.as_view(),
        name="api-import-template-relatives",
    ),
]

web_urlpatterns = [
    path("", import_views.csv_import_page, name="csv-import"),
]
