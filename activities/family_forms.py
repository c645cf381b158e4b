"""The family's submission form: built from the activity (its questions, what it asks back)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from activities.models import MAX_COMMENT_CHARS, MAX_PHOTOS, MAX_TEXT_CHARS, Activity, Question


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; the checks by content happen in activities.media."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


RATING_CHOICES = [("", _("No rating")), *[(str(n), "★" * n) for n in range(1, 6)]]


class SubmissionForm(forms.Form):
    """Quiz answers (one field per question, `q<id>`), a short text, photos, a rating."""

    text = forms.CharField(
        label=_("A few words (optional)"),
        max_length=MAX_TEXT_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = MultipleFileField(
        label=_("Photos (up to %(max)d)") % {"max": MAX_PHOTOS}, required=False
    )
    rating = forms.TypedChoiceField(
        label=_("How did you like this activity? (optional)"),
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    comment = forms.CharField(
        label=_("A comment for the teacher (optional)"),
        max_length=MAX_COMMENT_CHARS,
        required=False,
    )

    def __init__(self, *args, activity: Activity, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity = activity
        self.question_fields = []
        for question in activity.questions.all():
            name = f"q{question.id}"
            variant = (question.translations or {}).get(language) or {}
            prompt = variant.get("prompt") or question.prompt
            if question.kind == Question.Kind.CHOICE:
                labels = variant.get("choices") or question.choices
                self.fields[name] = forms.TypedChoiceField(
                    label=prompt,
                    choices=[(str(i), label) for i, label in enumerate(labels)],
                    coerce=int,
                    widget=forms.RadioSelect,
                )
            else:
                self.fields[name] = forms.CharField(label=prompt, max_length=500)
            self.question_fields.append(name)
        if activity.response in (Activity.Response.TEXT, Activity.Response.BOTH):
            self.fields["text"].required = True
            self.fields["text"].label = _("Your answer")
        if activity.response in (Activity.Response.PHOTO, Activity.Response.BOTH):
            self.fields["photos"].label = _("Your photo (up to %(max)d)") % {"max": MAX_PHOTOS}
        self.order_fields([*self.question_fields, "text", "photos", "rating", "comment"])

    def answers(self) -> dict:
        return {
            name[1:]: self.cleaned_data[name]
            for name in self.question_fields
            if name in self.cleaned_data
        }
