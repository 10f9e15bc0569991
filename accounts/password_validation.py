"""Django's password validators with their messages in Chinese, whatever language is active.

Django's own zh_Hans catalogue lacks the current minimum-length message (it showed "This password is too
short…" beside the Chinese lines), so the project states every rule's words itself.
"""

from django.contrib.auth import password_validation as django_validators
from django.core.exceptions import ValidationError


class MinimumLengthValidator(django_validators.MinimumLengthValidator):
    def get_error_message(self):
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(self.get_error_message(), code="password_too_short")

    def get_help_text(self):
        return f"密码至少 {self.min_length} 个字符。"


class UserAttributeSimilarityValidator(django_validators.UserAttributeSimilarityValidator):
    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError as error:
            raise ValidationError(
                "密码与您的个人信息（姓名、手机号等）太相似。", code="password_too_similar"
            ) from error

    def get_help_text(self):
        return "密码不能与您的个人信息太相似。"


class CommonPasswordValidator(django_validators.CommonPasswordValidator):
    def get_error_message(self):
        return "这个密码太常见，容易被猜到，请换一个。"

    def validate(self, password, user=None):
        if password.lower().strip() in self.passwords:
            raise ValidationError(self.get_error_message(), code="password_too_common")

    def get_help_text(self):
        return "不能使用常见密码。"


class NumericPasswordValidator(django_validators.NumericPasswordValidator):
    def get_error_message(self):
        return "密码不能全是数字。"

    def validate(self, password, user=None):
        if password.isdigit():
            raise ValidationError(self.get_error_message(), code="password_entirely_numeric")

    def get_help_text(self):
        return "密码不能全是数字。"
