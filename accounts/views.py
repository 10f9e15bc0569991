from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from .forms import FirstLoginForm, IdentifierLoginForm, NewPasswordForm
from .services import user_set_password


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = IdentifierLoginForm
    redirect_authenticated_user = True


def _safe_next(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_http_methods(["GET", "POST"])
def first_login_view(request):
    """ID number + mobile on the roster, then a new password before anything else."""
    form = FirstLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        teacher = form.cleaned_data["teacher"]
        teacher.must_change_password = True
        teacher.save(update_fields=["must_change_password"])
        login(request, teacher, backend="accounts.backends.IdentifierBackend")
        return redirect(f"{reverse('accounts:set_password')}?next={_safe_next(request, '/')}")
    return render(request, "accounts/first_login.html", {"form": form, "next": _safe_next(request, "")})


@login_required
@require_http_methods(["GET", "POST"])
def set_password_view(request):
    form = NewPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_set_password(user=request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, "密码已设置，以后请用身份证号或手机号加新密码登录。")
        return redirect(_safe_next(request))
    return render(request, "accounts/set_password.html", {"form": form, "next": _safe_next(request, "")})
