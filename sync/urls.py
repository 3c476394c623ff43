"""Routes of the resources in the registry, the change feed and batch sync (under /api/v1/).
Cases have their own views (cases.api.views) for their writes; the rest are read here."""

from django.urls import path

from .api import DETAIL_VIEWS, LIST_VIEWS, ChangeFeedApi, SyncBatchApi

urlpatterns = [
    path("changes/", ChangeFeedApi.as_view(), name="api-changes"),
    path("sync/<slug:resource>/", SyncBatchApi.as_view(), name="api-sync"),
]

for _name in LIST_VIEWS:
    if _name == "cases":
        continue
    urlpatterns += [
        path(f"{_name}/", LIST_VIEWS[_name].as_view(), name=f"api-{_name}-list"),
        path(f"{_name}/<uuid:pk>/", DETAIL_VIEWS[_name].as_view(), name=f"api-{_name}-detail"),
    ]
