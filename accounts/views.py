from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from .forms import FirstLoginForm, IdentifierLoginForm, NewPasswordForm, OwnDetailsForm
from .services import OWN_DETAIL_FIELDS, teacher_update_own_details, user_set_password


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


@login_required
@require_http_methods(["GET", "POST"])
def own_details_view(request):
    """我的信息: a teacher keeps their own mobile, school and district up to date (a roster cannot)."""
    teacher = request.user
    if not teacher.is_teacher:
        raise PermissionDenied("“我的信息”供教师使用；组织者和教育局账号的信息由系统管理员维护。")
    initial = {key: getattr(teacher, key) or "" for key in OWN_DETAIL_FIELDS}
    form = OwnDetailsForm(teacher, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            teacher_update_own_details(teacher=teacher, **{key: form.cleaned_data[key] for key in OWN_DETAIL_FIELDS})
        except ValidationError as error:
            for field, messages_ in getattr(error, "message_dict", {"__all__": error.messages}).items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            messages.success(request, "个人信息已保存。")
            return redirect("accounts:own_details")
    return render(request, "accounts/own_details.html", {"form": form})


@login_required
@require_http_methods(["GET"])
def logout_confirm_view(request):
    """退出 asks first: a page with one button, so a stray tap next to 报名 does not sign anyone out."""
    return render(request, "accounts/logout_confirm.html")
