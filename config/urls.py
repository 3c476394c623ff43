from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from access.views import MeApi
from audit.api import AuditEntryListApi, CaseAccessHistoryApi
from audit.views import audit_list
from cases import views as case_pages
from cases.api.views import CaseDetailApi, CaseEventListApi, CaseListApi
from sync.import_urls import web_urlpatterns as csv_import_web_urlpatterns

urlpatterns = [
    path("", case_pages.root, name="root"),
    # The language switcher (templates/base.html) posts to set_language, which sets the cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("cases/", include("cases.urls")),
    # One login for the whole site: the admin's own form knows nothing of the second factor
    # that supervisors, auditors and administrators must give.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True, permanent=False),
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("access.urls")),
    path("audit/", audit_list, name="audit-list"),
    path("exports/", include("exports.urls")),
    path("graves/", include("graves.urls")),
    path("aid/", include("aid.urls")),
    path("reports/", include("reports.urls")),
    path("imports/", include(csv_import_web_urlpatterns)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/pfif/", include("pfif.urls")),
    path("api/v1/webhooks/", include("webhooks.urls")),
    path("api/v1/exports/", include("exports.api.urls")),
    path("api/v1/imports/", include("sync.import_urls")),
    path("api/v1/me/", MeApi.as_view(), name="api-me"),
    path("api/v1/audit/", AuditEntryListApi.as_view(), name="api-audit"),
    path("api/v1/cases/", CaseListApi.as_view(), name="api-case-list"),
    path("api/v1/cases/<uuid:pk>/", CaseDetailApi.as_view(), name="api-case-detail"),
    path("api/v1/cases/<uuid:pk>/events/", CaseEventListApi.as_view(), name="api-case-events"),
    path("api/v1/reports/", include("reports.api_urls")),
    path("api/v1/", include("sync.urls")),
    path(
        "api/v1/cases/<uuid:pk>/access-history/",
        CaseAccessHistoryApi.as_view(),
        name="api-case-access-history",
    ),
]
