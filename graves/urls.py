"""The forensic pages under /graves/."""

from django.urls import path

from . import views

app_name = "graves"

urlpatterns = [
    path("", views.site_list, name="site-list"),
    path("sites/new/", views.site_report, name="site-report"),
    path("sites/<uuid:pk>/", views.site_detail, name="site-detail"),
    path("sites/<uuid:pk>/confirm/", views.site_confirm, name="site-confirm"),
    path("sites/<uuid:pk>/exhumations/new/", views.exhumation_new, name="exhumation-new"),
    path("exhumations/<uuid:pk>/remains/new/", views.remains_new, name="remains-new"),
    path("remains/", views.remains_worklist, name="remains-list"),
    path("remains/<uuid:pk>/", views.remains_detail, name="remains-detail"),
    path("remains/<uuid:pk>/identify/", views.identification_new, name="identification-new"),
    path(
        "identifications/<uuid:pk>/",
        views.identification_detail,
        name="identification-detail",
    ),
    path(
        "identifications/<uuid:pk>/confirm/",
        views.identification_confirm_view,
        name="identification-confirm",
    ),
    path(
        "identifications/<uuid:pk>/withdraw/",
        views.identification_withdraw_view,
        name="identification-withdraw",
    ),
    path("identifications/<uuid:pk>/handover/", views.handover_new, name="handover-new"),
]
