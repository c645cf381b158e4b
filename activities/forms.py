"""Forms of the authoring pages: an activity (fields by kind), its quiz questions, scheduling,
and copying a library template. They parse and present; the authoring actions decide."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.actions.authoring import MAX_CHOICES, MAX_QUESTIONS, QuestionSpec, TargetSpec
from activities.models import Activity, Question
from activities.sanitize import MAX_BODY_CHARS
from activities.video import VideoLinkError, parse_video_url, watch_url

# Fields that only some kinds have; the others are removed from the form.
KIND_FIELDS = {
    Activity.Kind.QUIZ: {"is_answer_revealed"},
    Activity.Kind.VIDEO: {"video_url", "attachment"},
    Activity.Kind.PICTURE: {"attachment"},
    Activity.Kind.READING: {"body_html", "attachment"},
    Activity.Kind.TASK: {"response"},
}
KIND_ONLY_FIELDS = set().union(*KIND_FIELDS.values())
ATTACHMENT_LABELS = {
    Activity.Kind.VIDEO: _("Or upload a video (MP4 or WebM, up to 200 MB)"),
    Activity.Kind.PICTURE: _("The picture (JPEG, PNG, WebP or HEIC)"),
    Activity.Kind.READING: _("Or attach a PDF (up to 20 MB)"),
}
RESPONSE_CHOICES = [
    (Activity.Response.PHOTO, Activity.Response.PHOTO.label),
    (Activity.Response.TEXT, Activity.Response.TEXT.label),
    (Activity.Response.BOTH, Activity.Response.BOTH.label),
]
DATETIME_WIDGET = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def other_languages() -> list[tuple[str, str]]:
    """The site's languages besides the default one: the variants an author may add."""
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _datetime_field(label, **extra) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs=DATETIME_WIDGET, format=DATETIME_FORMAT),
        **extra,
    )


class TargetsField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class ActivityForm(forms.Form):
    """One activity's content. `target_choices` (queries.authoring.list_target_choices) are the
    scope's; with `are_targets_locked` (published already) they show but cannot change."""

    title = forms.CharField(label=_("Title"), max_length=200)
    instructions = forms.CharField(
        label=_("Instructions for families"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    video_url = forms.CharField(
        label=_("YouTube or Vimeo link"),
        required=False,
        max_length=500,
        help_text=_("Families watch it in the privacy-enhanced player, after pressing play."),
    )
    body_html = forms.CharField(
        label=_("The reading"),
        required=False,
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Type or paste the text; blank lines start new paragraphs. Bold, italic, lists, "
            "headings (h2, h3), quotes and web links are kept, anything else is removed."
        ),
    )
    attachment = forms.FileField(label=_("File"), required=False)
    response = forms.ChoiceField(
        label=_("What the family sends back"),
        choices=RESPONSE_CHOICES,
        initial=Activity.Response.BOTH,
    )
    is_answer_revealed = forms.BooleanField(
        label=_("Show the right answers once the family has submitted"), required=False
    )
    points = forms.IntegerField(label=_("Points"), min_value=0, max_value=1000, initial=10)
    due_at = _datetime_field(_("Due (optional)"))
    targets = TargetsField(label=_("Who it is for"), required=False)

    def __init__(
        self,
        *args,
        kind: str,
        target_choices=(),
        is_template: bool = False,
        are_targets_locked: bool = False,
        has_attachment: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.is_template = is_template
        self.choices_by_key = {choice.key: choice for choice in target_choices}
        for name in KIND_ONLY_FIELDS - KIND_FIELDS[kind]:
            del self.fields[name]
        if "attachment" in self.fields:
            self.fields["attachment"].label = ATTACHMENT_LABELS[kind]
            if has_attachment:
                self.fields["remove_attachment"] = forms.BooleanField(
                    label=_("Remove the current file"), required=False
                )
        if is_template:
            del self.fields["targets"]
        else:
            self.fields["targets"].choices = [(c.key, c.label) for c in target_choices]
            self.fields["targets"].disabled = are_targets_locked
        for code, name in other_languages():
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title in %(language)s (optional)") % {"language": name},
                required=False,
                max_length=200,
            )
            self.fields[f"instructions_{code}"] = forms.CharField(
                label=_("Instructions in %(language)s (optional)") % {"language": name},
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def clean_video_url(self) -> str:
        url = self.cleaned_data["video_url"].strip()
        if url:
            try:
                parse_video_url(url)
            except VideoLinkError as error:
                raise forms.ValidationError(str(error)) from error
        return url

    def clean_due_at(self):
        """A new due date must lie ahead; an unchanged one (shown to the minute) is kept as
        saved, even once it has passed."""
        due_at = self.cleaned_data["due_at"]
        saved = self.initial.get("due_at")
        if due_at is None:
            return None
        if saved is not None and due_at == saved.replace(second=0, microsecond=0):
            return saved
        if due_at <= timezone.now():
            raise forms.ValidationError(_("Choose a due date in the future."))
        return due_at

    def clean_targets(self) -> list[str]:
        keys = self.cleaned_data.get("targets") or []
        if not self.is_template and not keys:
            raise forms.ValidationError(_("Choose who the activity is for."))
        return keys

    def target_specs(self) -> list[TargetSpec]:
        return [
            TargetSpec(**self.choices_by_key[key].target_fields())
            for key in self.cleaned_data.get("targets") or []
        ]

    def translations(self) -> dict:
        data = self.cleaned_data
        return {
            code: {
                "title": data.get(f"title_{code}", ""),
                "instructions": data.get(f"instructions_{code}", ""),
            }
            for code, _name in other_languages()
        }

    def content(self) -> dict:
        """Keyword arguments of do_create_activity / do_update_activity (but targets)."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "instructions": data["instructions"],
            "translations": self.translations(),
            "points": data["points"],
            "due_at": data["due_at"],
            "response": data.get("response") or Activity.Response.OPTIONAL,
            "is_answer_revealed": data.get("is_answer_revealed", False),
            "video_url": data.get("video_url", ""),
            "body_html": data.get("body_html", ""),
        }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(forms.Form):
    """One quiz question; a form left without a prompt is no question."""

    prompt = forms.CharField(label=_("Question"), max_length=500, required=False)
    kind = forms.ChoiceField(
        label=_("Answered by"), choices=Question.Kind.choices, initial=Question.Kind.CHOICE
    )
    choices = forms.CharField(
        label=_("Answers, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Two to six answers (multiple choice only)."),
    )
    correct_choice = forms.TypedChoiceField(
        label=_("Right answer"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(n, str(n)) for n in range(1, MAX_CHOICES + 1)],
        help_text=_("Its number in the list above."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, name in other_languages():
            self.fields[f"prompt_{code}"] = forms.CharField(
                label=_("Question in %(language)s (optional)") % {"language": name},
                max_length=500,
                required=False,
            )
            self.fields[f"choices_{code}"] = forms.CharField(
                label=_("Answers in %(language)s, in the same order (optional)")
                % {"language": name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def clean(self):
        data = super().clean()
        if not (data.get("prompt") or "").strip():
            return data
        if data.get("kind") == Question.Kind.CHOICE:
            answers = _lines(data.get("choices"))
            if not 2 <= len(answers) <= MAX_CHOICES:
                self.add_error("choices", _("Give two to six answers, one per line."))
            elif data.get("correct_choice") is None or data["correct_choice"] > len(answers):
                self.add_error("correct_choice", _("Mark one of the answers as right."))
            for code, _name in other_languages():
                translated = _lines(data.get(f"choices_{code}"))
                if translated and len(translated) != len(answers):
                    self.add_error(f"choices_{code}", _("Translate every answer, in order."))
        return data

    def is_question(self) -> bool:
        return bool((self.cleaned_data.get("prompt") or "").strip())

    def spec(self) -> QuestionSpec:
        data = self.cleaned_data
        is_choice = data["kind"] == Question.Kind.CHOICE
        correct = data.get("correct_choice")
        return QuestionSpec(
            prompt=data["prompt"],
            kind=data["kind"],
            choices=tuple(_lines(data["choices"])) if is_choice else (),
            correct_choice=correct - 1 if is_choice and correct else None,
            translations={
                code: {
                    "prompt": data.get(f"prompt_{code}", ""),
                    "choices": _lines(data.get(f"choices_{code}")) if is_choice else [],
                }
                for code, _name in other_languages()
            },
        )


class BaseQuestionFormSet(forms.BaseFormSet):
    def specs(self) -> list[QuestionSpec]:
        return [form.spec() for form in self.forms if form.is_question()]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.specs():
            raise forms.ValidationError(_("Write at least one question."))


def question_formset(data=None, *, questions=(), extra: int = 2, is_locked: bool = False):
    """The quiz's questions as a formset: the saved ones, then `extra` blank ones. Locked
    (families answered already) shows them without letting them change."""
    formset_class = forms.formset_factory(
        QuestionForm,
        formset=BaseQuestionFormSet,
        extra=0 if is_locked else extra,
        max_num=MAX_QUESTIONS,
        validate_max=True,
    )
    formset = formset_class(data, initial=[question_initial(q) for q in questions], prefix="q")
    if is_locked:
        for form in formset.forms:
            for field in form.fields.values():
                field.disabled = True
    return formset


def question_initial(question: Question) -> dict:
    initial = {
        "prompt": question.prompt,
        "kind": question.kind,
        "choices": "\n".join(question.choices),
        "correct_choice": question.correct_choice + 1
        if question.correct_choice is not None
        else None,
    }
    for code, _name in other_languages():
        variant = question.translations.get(code) or {}
        initial[f"prompt_{code}"] = variant.get("prompt", "")
        initial[f"choices_{code}"] = "\n".join(variant.get("choices") or [])
    return initial


def activity_initial(activity: Activity, target_keys: list[str]) -> dict:
    initial = {
        "title": activity.title,
        "instructions": activity.instructions,
        "video_url": watch_url(activity.video_provider, activity.video_id)
        if activity.video_id
        else "",
        "body_html": activity.body_html,
        "response": activity.response,
        "is_answer_revealed": activity.is_answer_revealed,
        "points": activity.points,
        "due_at": activity.due_at,
        "targets": target_keys,
    }
    for code, _name in other_languages():
        variant = activity.translations.get(code) or {}
        initial[f"title_{code}"] = variant.get("title", "")
        initial[f"instructions_{code}"] = variant.get("instructions", "")
    return initial


class ScheduleForm(forms.Form):
    publish_at = _datetime_field(_("Publish at"))

    def clean_publish_at(self):
        publish_at = self.cleaned_data["publish_at"]
        if publish_at is None or publish_at <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return publish_at


class CopyTemplateForm(forms.Form):
    targets = TargetsField(label=_("Who it is for"))

    def __init__(self, *args, target_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.choices_by_key = {choice.key: choice for choice in target_choices}
        self.fields["targets"].choices = [(c.key, c.label) for c in target_choices]

    def target_specs(self) -> list[TargetSpec]:
        return [
            TargetSpec(**self.choices_by_key[key].target_fields())
            for key in self.cleaned_data["targets"]
        ]
