from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("certificates/", views.mine_view, name="mine"),
    path("certificates/<int:pk>/pdf/", views.pdf_view, name="pdf"),
    path("certificates/<int:pk>/revoke/", views.revoke_view, name="revoke"),
    path("certificates/programmes/<str:code>/", views.programme_view, name="programme"),
    path("certificates/programmes/<str:code>/rule/", views.rule_view, name="rule"),
    path("certificates/programmes/<str:code>/style/", views.style_view, name="style"),
    path("certificates/programmes/<str:code>/jobs/", views.job_create_view, name="job_create"),
    path("certificates/jobs/<int:pk>/", views.job_view, name="job"),
    path("certificates/jobs/<int:pk>/download/", views.job_download_view, name="job_download"),
    path("certificates/ledger.xlsx", views.ledger_export_view, name="ledger_export"),
    path("v/<str:code>/", views.verify_code_view, name="verify_code"),
    path("verify/", views.verify_search_view, name="verify"),
]
