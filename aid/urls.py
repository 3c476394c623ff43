"""The aid pages under /aid/."""

from django.urls import path

from . import views

app_name = "aid"

urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/<uuid:pk>/", views.programme_detail, name="programme"),
    path("programmes/<uuid:pk>/disburse/", views.disburse, name="disburse"),
    path("disbursements/<uuid:pk>/paid/", views.mark_paid, name="mark-paid"),
    path("disbursements/<uuid:pk>/reverse/", views.reverse_payment, name="reverse"),
]
