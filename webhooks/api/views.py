"""The webhooks API: a caller manages only its own subscriptions; anyone else's do not exist
(404). Writes go through webhooks.services, which audits them."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from .serializers import (
    DeliveryOutputSerializer,
    SubscriptionCreatedSerializer,
    SubscriptionInputSerializer,
    SubscriptionOutputSerializer,
)

TAG = "webhooks"


class NewestFirstPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _field_errors(error: DjangoValidationError) -> ValidationError:
    """A service's ValidationError as DRF's 400, keyed by the field at fault."""
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"non_field_errors": error.messages})


class SubscriptionListApi(APIView):
    # Set so that the schema describes the paged answer (next, previous, results).
    pagination_class = NewestFirstPagination

    @extend_schema(
        tags=[TAG],
        summary="Your webhook subscriptions",
        responses=SubscriptionOutputSerializer(many=True),
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.subscriptions_of(owner=request.user), request, view=self
        )
        return paginator.get_paginated_response(SubscriptionOutputSerializer(page, many=True).data)

    @extend_schema(
        tags=[TAG],
        summary="Subscribe a URL to case events",
        description=(
            "Deliveries are POSTed as JSON and signed with HMAC-SHA256 (see docs/webhooks.md). "
            "The answer holds the signing secret, shown this once."
        ),
        request=SubscriptionInputSerializer,
        responses={
            201: SubscriptionCreatedSerializer,
            400: OpenApiResponse(description="Field errors, keyed by field."),
            403: OpenApiResponse(description="The caller's role receives no case events."),
        },
    )
    def post(self, request):
        given = SubscriptionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            subscription = services.subscription_create(owner=request.user, **given.validated_data)
        except DjangoValidationError as error:
            raise _field_errors(error) from error
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        return Response(
            SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


class SubscriptionDetailApi(APIView):
    @extend_schema(tags=[TAG], summary="One subscription", responses=SubscriptionOutputSerializer)
    def get(self, request, pk):
        subscription = selectors.subscription_get_for(owner=request.user, pk=pk)
        return Response(SubscriptionOutputSerializer(subscription).data)

    @extend_schema(
        tags=[TAG],
        summary="Delete a subscription and its delivery log",
        responses={204: None},
    )
    def delete(self, request, pk):
        subscription = selectors.subscription_get_for(owner=request.user, pk=pk)
        services.subscription_delete(subscription=subscription, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionDeliveryListApi(APIView):
    pagination_class = NewestFirstPagination

    @extend_schema(
        tags=[TAG],
        summary="The delivery log of a subscription",
        description="Newest first, each delivery with its attempts. Payloads are not shown.",
        responses=DeliveryOutputSerializer(many=True),
    )
    def get(self, request, pk):
        subscription = selectors.subscription_get_for(owner=request.user, pk=pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.deliveries_of(subscription=subscription), request, view=self
        )
        return paginator.get_paginated_response(DeliveryOutputSerializer(page, many=True).data)
