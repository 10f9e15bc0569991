from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("programmes/", views.catalogue_view, name="catalogue"),
    path("programmes/<str:code>/", views.programme_detail_view, name="programme_detail"),
    path("programmes/<str:code>/enrol/", views.enrol_view, name="enrol"),
    path("programmes/<str:code>/cancel/", views.cancel_view, name="cancel"),
    path("manage/programmes/", views.manage_list_view, name="manage_list"),
    path("manage/programmes/<str:code>/", views.manage_detail_view, name="manage_detail"),
]
