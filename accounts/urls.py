from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("logout/confirm/", views.logout_confirm_view, name="logout_confirm"),
    path("first-login/", views.first_login_view, name="first_login"),
    path("password/", views.set_password_view, name="set_password"),
    path("me/", views.own_details_view, name="own_details"),
]
