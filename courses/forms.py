from django import forms

from accounts.identity import normalise_id_number


class AddTeacherForm(forms.Form):
    id_number = forms.CharField(label="教师身份证号", max_length=30)

    def clean_id_number(self):
        return normalise_id_number(self.cleaned_data["id_number"])
