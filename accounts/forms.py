from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from .identity import id_number_error, mobile_error, normalise_id_number, normalise_mobile
from .services import first_login_candidate
from .throttle import first_login_failed, first_login_locked, first_login_succeeded


class IdentifierLoginForm(AuthenticationForm):
    username = forms.CharField(
        label="身份证号 / 手机号 / 用户名",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
        error_messages={"required": "请输入身份证号、手机号或用户名。"},
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "请输入密码。"},
    )

    error_messages = {
        "invalid_login": "账号或密码不正确。首次登录的教师请点击下方“首次登录”。",
        "inactive": "该账号已停用，请联系培训组织者。",
    }


class FirstLoginForm(forms.Form):
    id_number = forms.CharField(
        label="身份证号",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "请输入身份证号。"},
    )
    mobile = forms.CharField(
        label="报名时登记的手机号",
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        error_messages={"required": "请输入手机号。"},
    )

    def clean_id_number(self):
        number = normalise_id_number(self.cleaned_data["id_number"])
        if error := id_number_error(number):
            raise forms.ValidationError(f"身份证号无效：{error}")
        return number

    def clean_mobile(self):
        mobile = normalise_mobile(self.cleaned_data["mobile"])
        if error := mobile_error(mobile):
            raise forms.ValidationError(f"手机号无效：{error}")
        return mobile

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if first_login_locked(cleaned["id_number"]):
            raise forms.ValidationError("该身份证号验证失败次数过多，请15分钟后再试，或联系培训组织者。")
        teacher = first_login_candidate(id_number=cleaned["id_number"], mobile=cleaned["mobile"])
        if teacher is None:
            first_login_failed(cleaned["id_number"])
            raise forms.ValidationError(
                "未找到可首次登录的账号：请核对身份证号和手机号；已设置过密码的请直接登录；"
                "名单中没有手机号的请联系培训组织者。"
            )
        first_login_succeeded(cleaned["id_number"])
        cleaned["teacher"] = teacher
        return cleaned


class NewPasswordForm(forms.Form):
    new_password1 = forms.CharField(
        label="新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请输入新密码。"},
    )
    new_password2 = forms.CharField(
        label="再次输入新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请再次输入新密码。"},
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if user.has_usable_password():
            # Changing a password asks for the current one: a session left open on a shared
            # computer must not be enough to take the account. First sign-in (no password yet)
            # has just proved the ID number and mobile instead.
            self.fields = {
                "old_password": forms.CharField(
                    label="当前密码",
                    strip=False,
                    error_messages={"required": "请输入当前密码。"},
                    widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
                ),
                **self.fields,
            }

    def clean_old_password(self):
        password = self.cleaned_data["old_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("当前密码不正确，请重新输入。忘记密码请联系系统管理员重置。")
        return password

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "两次输入的密码不一致。")
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned


class OwnDetailsForm(forms.Form):
    """我的信息: what the teacher may change of their own record, confirmed with the password."""

    mobile = forms.CharField(
        label="手机号", max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    school = forms.CharField(label="学校/单位", max_length=100, required=False)
    district = forms.ChoiceField(label="区县", required=False)
    subject = forms.CharField(label="学科", max_length=30, required=False)
    title = forms.CharField(label="职称", max_length=30, required=False)
    password = forms.CharField(
        label="当前密码（确认是本人修改）",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        from .models import District

        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", "（未填写）"), *District.choices]

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("当前密码不正确，请重新输入。")
        return password
