from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.dashboard_view, name="dashboard"),
    path("reports/export.xlsx", views.dashboard_export_view, name="dashboard_export"),
]
