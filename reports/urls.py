from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("figures/", views.figures, name="figures"),
    path("figures/<slug:ref>/cases/", views.figure_cases, name="figure-cases"),
    path("<slug:key>/", views.report_detail, name="detail"),
]
