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


class CertificateStyleForm(forms.Form):
    issuer = forms.CharField(label="颁发机关署名", max_length=100, help_text="证书右下方的署名，如“许昌市教育局”。")
    signatory = forms.CharField(
        label="签发人", max_length=50, required=False, help_text="如“局长 某某某”；留空不打印。"
    )
    seal = forms.FileField(label="公章图片（PNG，透明背景，不超过 512 KB）", required=False)
    remove_seal = forms.BooleanField(label="删除已上传的公章", required=False)
