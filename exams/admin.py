"""Back office: the question bank (organisers edit, the bureau reads) and quizzes per programme."""

from django import forms
from django.contrib import admin

from accounts.admin import RoleAccessMixin
from courses.models import Programme
from courses.selectors import programme_can_manage, programmes_visible_to

from .models import Option, Question, Quiz
from .services import question_problems


class OptionInlineFormSet(forms.BaseInlineFormSet):
    """The same rules as the import: one correct for single choice, at least two for multiple, 正确/错误 for true/false."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        options = [
            (form.cleaned_data.get("text", ""), form.cleaned_data.get("is_correct", False))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        problems = question_problems(
            law=self.instance.law,
            kind=self.instance.kind,
            options=options,
            stem=self.instance.stem,
            explanation=self.instance.explanation,
        )
        if problems:
            raise forms.ValidationError(problems)


class OptionInline(admin.TabularInline):
    model = Option
    formset = OptionInlineFormSet
    extra = 4
    fields = ["position", "text", "is_correct"]

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser or request.user.is_organiser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or request.user.is_organiser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser or request.user.is_organiser


@admin.register(Question)
class QuestionAdmin(RoleAccessMixin, admin.ModelAdmin):
    list_display = ["stem", "law", "revision", "article", "kind", "difficulty", "is_active"]
    list_filter = ["law", "kind", "difficulty", "is_active"]
    search_fields = ["stem", "article"]
    inlines = [OptionInline]


@admin.register(Quiz)
class QuizAdmin(RoleAccessMixin, admin.ModelAdmin):
    list_display = ["title", "programme", "opens_at", "closes_at", "max_attempts", "pass_mark"]
    list_filter = ["programme__year"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(programme__in=programmes_visible_to(user=request.user).values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "programme":
            visible = programmes_visible_to(user=request.user)
            if not request.user.is_superuser:
                visible = visible.filter(unit_id=request.user.unit_id)
            kwargs["queryset"] = Programme.objects.filter(pk__in=visible.values("pk"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return programme_can_manage(user=request.user, programme=obj.programme)
