from django.urls import path

from .api.views import SubscriptionDeliveryListApi, SubscriptionDetailApi, SubscriptionListApi

urlpatterns = [
    path("subscriptions/", SubscriptionListApi.as_view(), name="api-webhook-subscriptions"),
    path(
        "subscriptions/<uuid:pk>/",
        SubscriptionDetailApi.as_view(),
        name="api-webhook-subscription",
    ),
    path(
        "subscriptions/<uuid:pk>/deliveries/",
        SubscriptionDeliveryListApi.as_view(),
        name="api-webhook-deliveries",
    ),
]
