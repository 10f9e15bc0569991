"""The organiser's form for a session's check-in rule (window, lateness, check-out, same-phone check)."""

from django import forms
from django.forms.models import fields_for_model

from .models import AttendanceRule

RULE_FORM_FIELDS = [
    "opens_before_minutes", "closes_after_start_minutes", "late_after_minutes", "requires_checkout",
    "same_device_rule", "same_device_minutes", "allowed_networks",
]  # fmt: skip


class AttendanceRuleForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = fields_for_model(AttendanceRule, fields=RULE_FORM_FIELDS)
        fields["allowed_networks"].widget = forms.Textarea(attrs={"rows": 2})
        self.fields.update(fields)

    @classmethod
    def initial_from(cls, rule: AttendanceRule) -> dict:
        return {name: getattr(rule, name) for name in RULE_FORM_FIELDS}
