from django.urls import path

from . import programme_views, roster_views, views

app_name = "courses"

urlpatterns = [
    path("programmes/", views.catalogue_view, name="catalogue"),
    path("programmes/<str:code>/", views.programme_detail_view, name="programme_detail"),
    path("programmes/<str:code>/enrol/", views.enrol_view, name="enrol"),
    path("programmes/<str:code>/cancel/", views.cancel_view, name="cancel"),
    path("manage/programmes/", views.manage_list_view, name="manage_list"),
    path("manage/new-programme/", programme_views.programme_create_view, name="programme_create"),
    path("manage/programmes/<str:code>/", views.manage_detail_view, name="manage_detail"),
    path("manage/programmes/<str:code>/edit/", programme_views.programme_edit_view, name="programme_edit"),
    path("manage/programmes/<str:code>/copy/", programme_views.programme_copy_view, name="programme_copy"),
    path("manage/programmes/<str:code>/close/", programme_views.programme_close_view, name="programme_close"),
    path("manage/programmes/<str:code>/sessions/new/", programme_views.session_create_view, name="session_create"),
    path(
        "manage/programmes/<str:code>/sessions/<int:pk>/edit/", programme_views.session_edit_view, name="session_edit"
    ),
    path(
        "manage/programmes/<str:code>/sessions/<int:pk>/delete/",
        programme_views.session_delete_view,
        name="session_delete",
    ),
    path("manage/roster-template.xlsx", roster_views.roster_template_view, name="roster_template"),
    path("manage/programmes/<str:code>/roster/", roster_views.roster_upload_view, name="roster_upload"),
    path("manage/programmes/<str:code>/roster/confirm/", roster_views.roster_confirm_view, name="roster_confirm"),
    path("manage/programmes/<str:code>/roster/cancel/", roster_views.roster_cancel_view, name="roster_cancel"),
    path(
        "manage/programmes/<str:code>/roster/errors/<str:token>.xlsx",
        roster_views.roster_errors_view,
        name="roster_errors",
    ),
    path("manage/programmes/<str:code>/export.xlsx", roster_views.roster_export_view, name="roster_export"),
]
