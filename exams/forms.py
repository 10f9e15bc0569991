"""The organiser's quiz set-up form: the laws as checkboxes of the bank's laws, the draw counts beside them."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model
from django.utils import timezone

from .models import Law, Quiz

QUIZ_FORM_FIELDS = [
    "title", "laws", "single_count", "multiple_count", "truefalse_count", "avoid_seen", "time_limit_minutes",
    "pass_mark", "max_attempts", "score_policy", "opens_at", "closes_at", "shuffle_questions", "shuffle_options",
    "review_policy", "multiple_rule",
]  # fmt: skip
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class QuizSetupForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE)
        fields = fields_for_model(
            Quiz,
            fields=[name for name in QUIZ_FORM_FIELDS if name != "laws"],
            widgets={"opens_at": widget, "closes_at": widget},
        )
        fields["laws"] = forms.MultipleChoiceField(
            label="限定法律",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            choices=[(law.name, law.title) for law in Law.objects.all()],
            help_text="不选表示全部法律。",
        )
        for name in ("opens_at", "closes_at"):
            fields[name].input_formats = [LOCAL_MINUTE, "%Y-%m-%d %H:%M"]
        self.fields.update({name: fields[name] for name in QUIZ_FORM_FIELDS})

    @classmethod
    def initial_from(cls, quiz: Quiz) -> dict:
        initial = {name: getattr(quiz, name) for name in QUIZ_FORM_FIELDS}
        initial["opens_at"] = timezone.localtime(quiz.opens_at)
        initial["closes_at"] = timezone.localtime(quiz.closes_at)
        return initial


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
