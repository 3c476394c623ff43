"""Login, logout, password change, the account page, and the API's "who am I"."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Office

from .forms import LoginForm
from .models import Role
from .policy import roles_of


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Set by SessionTimeoutMiddleware's redirect; only changes a sentence on the page.
        context["session_expired"] = self.request.GET.get("expired") == "1"
        return context


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView): a link or an image on another site cannot log you out."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "access/password_change_form.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "access/password_change_done.html"


def _offices_of(user) -> list[Office]:
    return list(Office.objects.filter(members__user=user).order_by("code"))


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """Where login lands: who you are, your role and offices, and the account's actions."""
    return render(
        request,
        "access/account.html",
        {
            "roles": [Role(name).label for name in sorted(roles_of(request.user))],
            "offices": _offices_of(request.user),
        },
    )


class MeApi(APIView):
    """GET /api/v1/me/: the authenticated account's username, roles and offices."""

    class OfficeOutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        name = serializers.CharField()

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        offices = serializers.ListField(child=serializers.DictField())

    @extend_schema(operation_id="me", responses={200: OutputSerializer}, tags=["me"])
    def get(self, request: Request) -> Response:
        user = request.user
        offices = self.OfficeOutputSerializer(_offices_of(user), many=True).data
        data = {
            "username": user.get_username(),
            "roles": sorted(roles_of(user)),
            "offices": offices,
        }
        return Response(self.OutputSerializer(data).data)
