"""Included by config/urls.py at api/v1/pfif/: the paths Person Finder's own API uses."""

from django.urls import path

from .views import NoteFeedApi, PersonFeedApi, WriteApi

urlpatterns = [
    path("feeds/person", PersonFeedApi.as_view(), name="pfif-feed-person"),
    path("feeds/note", NoteFeedApi.as_view(), name="pfif-feed-note"),
    path("write", WriteApi.as_view(), name="pfif-write"),
]
