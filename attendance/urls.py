from django.urls import path

from . import views

app_name = "attendance"

urlpatterns = [
    path("a/<str:token>/", views.scan_view, name="scan"),
    path("attendance/complete/", views.complete_view, name="complete"),
    path("attendance/code/", views.code_view, name="code"),
    path("attendance/sessions/<int:pk>/", views.session_view, name="session"),
    path("attendance/sessions/<int:pk>/projector/", views.projector_view, name="projector"),
    path("attendance/sessions/<int:pk>/live.json", views.live_view, name="live"),
    path("attendance/sessions/<int:pk>/sheet/", views.sheet_view, name="sheet"),
    path("attendance/sessions/<int:pk>/sheet.pdf", views.sheet_pdf_view, name="sheet_pdf"),
    path("attendance/sessions/<int:pk>/rule/", views.rule_view, name="rule"),
    path("attendance/sessions/<int:pk>/export.xlsx", views.session_export_view, name="session_export"),
    path("study/<int:pk>/", views.study_view, name="study"),
    path("study/<int:pk>/material/", views.study_material_view, name="study_material"),
    path("attendance/programmes/<str:code>/", views.programme_view, name="programme"),
    path("attendance/programmes/<str:code>/export.xlsx", views.programme_export_view, name="programme_export"),
]
