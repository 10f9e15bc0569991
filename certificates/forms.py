"""The organiser's forms for a programme's 结业与证书 page."""

from django import forms
from django.forms.models import fields_for_model

from .models import CompletionRule

RULE_FORM_FIELDS = ["attendance_mode", "attendance_ratio", "minimum_minutes", "quiz_required", "auto_issue"]


class CompletionRuleForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = fields_for_model(CompletionRule, fields=RULE_FORM_FIELDS)
        mode = fields["attendance_mode"]
        mode.widget = forms.RadioSelect(choices=[(value, label) for value, label in mode.choices if value])
        self.fields.update(fields)

    @classmethod
    def initial_from(cls, rule: CompletionRule) -> dict:
        return {name: getattr(rule, name) for name in RULE_FORM_FIELDS}
