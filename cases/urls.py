"""The caseworker's pages (cases.views), under /cases/."""

from django.urls import path

from . import correction_views, views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("list/", views.case_list, name="list"),
    path("new/", views.case_create, name="create"),
    path("<uuid:pk>/", views.case_detail, name="detail"),
    path("<uuid:pk>/edit/", views.case_edit, name="edit"),
    path("<uuid:pk>/events/<slug:event_type>/", views.case_event_create, name="event-create"),
    path("<uuid:pk>/relatives/new/", views.relative_create, name="relative-create"),
    path(
        "<uuid:pk>/events/<uuid:event_pk>/correct/",
        correction_views.event_correct,
        name="event-correct",
    ),
    path(
        "<uuid:pk>/corrections/<uuid:correction_pk>/decide/",
        correction_views.correction_decide,
        name="correction-decide",
    ),
]
