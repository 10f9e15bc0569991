from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import fields_for_model
from django.utils import timezone

from accounts.identity import normalise_id_number

from .models import Programme, Session


class AddTeacherForm(forms.Form):
    id_number = forms.CharField(label="教师身份证号", max_length=30)

    def clean_id_number(self):
        return normalise_id_number(self.cleaned_data["id_number"])


PROGRAMME_FORM_FIELDS = [
    "code", "title", "level", "kind", "start_date", "end_date", "credit_hours", "capacity",
    "self_enrol_open", "allow_walk_in", "audience", "description",
]  # fmt: skip
SESSION_FORM_FIELDS = [
    "title", "delivery", "starts_at", "ends_at", "venue", "lecturer", "lecturer_title",
    "material_title", "material_url", "material_file",
]  # fmt: skip
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal shown on the form: by field where the form has that field, above it otherwise."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ProgrammeForm(forms.Form):
    """The programme's own fields; the unit is the organiser's and the year follows the start date."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            fields_for_model(
                Programme,
                fields=PROGRAMME_FORM_FIELDS,
                widgets={
                    "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                    "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                    "description": forms.Textarea(attrs={"rows": 3}),
                },
            )
        )

    @classmethod
    def initial_from(cls, programme: Programme) -> dict:
        return {name: getattr(programme, name) for name in PROGRAMME_FORM_FIELDS}


def _https_by_default(field, **kwargs):
    """A link typed without its scheme (www.example.org/x) is read as https, as a browser would."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class MaterialFileInput(forms.ClearableFileInput):
    """The stored file by its name, not a link: materials are served to the programme's teachers through the
    study page, never from MEDIA_URL."""

    template_name = "courses/widgets/material_file.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["file_name"] = (getattr(value, "name", "") or "").rsplit("/", 1)[-1]
        return context


class SessionForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE)
        self.fields.update(
            fields_for_model(
                Session,
                fields=SESSION_FORM_FIELDS,
                widgets={"starts_at": widget, "ends_at": widget, "material_file": MaterialFileInput},
                formfield_callback=_https_by_default,
            )
        )
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = [LOCAL_MINUTE, "%Y-%m-%d %H:%M"]

        self.fields["material_url"].widget.attrs["placeholder"] = "https://"
        self.fields["delivery"].required = False  # a form that does not say is an in-person session

    def clean_delivery(self):
        return self.cleaned_data["delivery"] or Session._meta.get_field("delivery").default

    @classmethod
    def initial_from(cls, session: Session) -> dict:
        initial = {name: getattr(session, name) for name in SESSION_FORM_FIELDS}
        initial["starts_at"] = timezone.localtime(session.starts_at)
        initial["ends_at"] = timezone.localtime(session.ends_at)
        return initial

    def service_fields(self) -> dict:
        """The fields for session_create/session_update: a file left unchanged is not sent, a cleared one is ''."""
        fields = dict(self.cleaned_data)
        if fields["material_file"] is None:
            del fields["material_file"]
        elif fields["material_file"] is False:
            fields["material_file"] = ""
        return fields


class ProgrammeCopyForm(forms.Form):
    code = forms.CharField(label="新项目编号", max_length=32, help_text="如 FZ2022-0914；字母、数字和连字符。")
    years = forms.IntegerField(label="推后年数", min_value=1, max_value=5, initial=1)

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()
