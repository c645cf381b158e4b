"""Activities, submissions, photos, recognition and the site activity log.

A teacher sets an Activity for families (a quiz, a video, a picture to talk about, a reading, an
at-home task) and targets classrooms, groups, grade levels or the whole school. A family completes
it for a child: one Submission per child and activity, with quiz answers, a short text and up to
five photos. The teacher reviews it (approve, or return with feedback). Progress counters and
badges are kept per child (ChildProgress, BadgeAward) and updated in the submitting transaction
under a row lock, so counts stay right under concurrent submissions. ActivityEvent is the site
activity log (PPE "site activity information") that dashboards read.

Tenancy: every row carries its district (and school, classroom where it belongs to one), copied
from the parent object by the actions. A district library template has no school.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guardians.models import Child
from privacy.classification import Category as C
from tenants.models import Classroom, DistrictScopedModel, Group, School, SchoolScopedModel

MAX_PHOTOS = 5
MAX_TEXT_CHARS = 1000
MAX_COMMENT_CHARS = 500


class Activity(DistrictScopedModel):
    """Something a teacher sets for families to do with their child.

    `school` is empty only for a district library template (`is_template`), which teachers copy
    into their classrooms (`template` names the original). Title and instructions are plain text
    in the author's language; `translations` holds optional variants ({"es": {"title",
    "instructions"}}) and a guardian reads their language when one exists.
    """

    class Kind(models.TextChoices):
        QUIZ = "quiz", _("Quiz")
        VIDEO = "video", _("Video")
        PICTURE = "picture", _("Picture to talk about")
        READING = "reading", _("Reading")
        TASK = "task", _("At-home task")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    class Response(models.TextChoices):
        """What a family sends back (at-home tasks; the other kinds take an optional text)."""

        PHOTO = "photo", _("A photo")
        TEXT = "text", _("A short text")
        BOTH = "both", _("A photo and a short text")
        OPTIONAL = "optional", _("Nothing required")

    class VideoProvider(models.TextChoices):
        NONE = "", _("None")
        YOUTUBE = "youtube", "YouTube"
        VIMEO = "vimeo", "Vimeo"

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    translations = models.JSONField(default=dict, blank=True)
    points = models.PositiveSmallIntegerField(default=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    response = models.CharField(max_length=10, choices=Response.choices, default=Response.OPTIONAL)
    # Quiz: show the right answers once the family has submitted.
    is_answer_revealed = models.BooleanField(default=False)
    # Video link: only the provider and the video id are kept; the page builds the
    # privacy-enhanced player URL (youtube-nocookie.com, Vimeo with dnt=1) when play is pressed.
    video_provider = models.CharField(
        max_length=10, choices=VideoProvider.choices, default=VideoProvider.NONE, blank=True
    )
    video_id = models.CharField(max_length=64, blank=True)
    # Reading: rich text, sanitised by an allow-list (nh3) when saved, never as typed.
    body_html = models.TextField(blank=True)
    # An uploaded video (mp4/webm), picture prompt or PDF reading: private storage only.
    attachment = models.FileField(upload_to="activities/", max_length=255, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    is_template = models.BooleanField(default=False)
    template = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "kind": C.NONE,
        "title": C.NONE,
        "instructions": C.NONE,
        "translations": C.NONE,
        "points": C.NONE,
        "status": C.NONE,
        "publish_at": C.NONE,
        "published_at": C.NONE,
        "due_at": C.NONE,
        "closed_at": C.NONE,
        "reminder_sent_at": C.NONE,
        "response": C.NONE,
        "is_answer_revealed": C.NONE,
        "video_provider": C.NONE,
        "video_id": C.NONE,
        "body_html": C.NONE,
        "attachment": C.NONE,
        "attachment_type": C.NONE,
        "is_template": C.NONE,
        "template": C.NONE,
        "created_by": C.USAGE,
        "created_at": C.NONE,
        "updated_at": C.NONE,
    }

    class Meta:
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["district", "school", "status", "due_at"]),
            models.Index(fields=["status", "publish_at"], name="activity_due_publish_idx"),
            models.Index(fields=["status", "due_at"], name="activity_due_reminder_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def text_for(self, language: str) -> dict:
        """{"title", "instructions"} in `language` when a variant exists, else the original."""
        variant = self.translations.get(language) or {}
        return {
            "title": variant.get("title") or self.title,
            "instructions": variant.get("instructions") or self.instructions,
        }


class ActivityTarget(DistrictScopedModel):
    """Who an activity is for: a classroom, a group, a grade level of a school, or a school.

    Exactly one of classroom, group, grade_level (with school) or school alone is set.
    """

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="targets")
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    classroom = models.ForeignKey(
        Classroom, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    grade_level = models.CharField(max_length=8, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "activity": C.NONE,
        "school": C.NONE,
        "classroom": C.NONE,
        "group": C.NONE,
        "grade_level": C.NONE,
    }

    class Meta:
        indexes = [
            models.Index(fields=["district", "classroom"]),
            models.Index(fields=["district", "school", "grade_level"]),
            models.Index(fields=["district", "group"]),
        ]

    def __str__(self) -> str:
        return f"target of activity {self.activity_id}"


class Question(DistrictScopedModel):
    """A quiz question: multiple choice (auto-scored) or a short answer (the teacher reads it)."""

    class Kind(models.TextChoices):
        CHOICE = "choice", _("Multiple choice")
        SHORT = "short", _("Short answer")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHOICE)
    prompt = models.CharField(max_length=500)
    choices = models.JSONField(default=list, blank=True)
    correct_choice = models.PositiveSmallIntegerField(null=True, blank=True)
    # {"es": {"prompt": "...", "choices": [...]}}
    translations = models.JSONField(default=dict, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "activity": C.NONE,
        "position": C.NONE,
        "kind": C.NONE,
        "prompt": C.NONE,
        "choices": C.NONE,
        "correct_choice": C.NONE,
        "translations": C.NONE,
    }

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.prompt


class Submission(SchoolScopedModel):
    """A family's completion of an activity for one child (one per child and activity).

    `classroom` is the child's classroom for this activity when they submitted (what classroom
    leaderboards and the review queue group by). Editable by the family until reviewed.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned with feedback")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="submissions")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="submissions")
    classroom = models.ForeignKey(
        Classroom, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(blank=True)
    # {"<question id>": <choice index> or "<short answer>"}
    answers = models.JSONField(default=dict, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.CharField(max_length=MAX_COMMENT_CHARS, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    feedback = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Sharing with consent (PROMISES C3): marked for the school's newsletter or social media
    # only when the guardian opted in and an admin confirmed the school holds permission.
    is_shared = models.BooleanField(default=False)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.STUDENT_RECORD,
        "activity": C.STUDENT_RECORD,
        "child": C.STUDENT_RECORD,
        "classroom": C.STUDENT_RECORD,
        "guardian": C.IDENTITY,
        "text": C.CONTENT,
        "answers": C.CONTENT,
        "score": C.STUDENT_RECORD,
        "max_score": C.STUDENT_RECORD,
        "rating": C.CONTENT,
        "comment": C.CONTENT,
        "status": C.STUDENT_RECORD,
        "feedback": C.STUDENT_RECORD,
        "reviewed_by": C.USAGE,
        "reviewed_at": C.USAGE,
        "is_shared": C.PREFERENCE,
        "shared_by": C.SECURITY,
        "shared_at": C.SECURITY,
        "submitted_at": C.USAGE,
        "updated_at": C.USAGE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "child"], name="submission_one_per_child")
        ]
        indexes = [
            models.Index(fields=["district", "classroom", "status", "submitted_at"]),
            # Leaderboards and participation rates read only these columns (an index-only scan).
            models.Index(
                fields=["district", "classroom", "child", "submitted_at"],
                name="submission_leaderboard_idx",
            ),
            models.Index(fields=["district", "school", "submitted_at"]),
            # A school admin's review queue: their school's submissions waiting, oldest first.
            models.Index(
                fields=["district", "school", "status", "submitted_at"],
                name="submission_school_queue_idx",
            ),
            models.Index(fields=["district", "child", "submitted_at"]),
            models.Index(fields=["district", "activity"]),
        ]

    def __str__(self) -> str:
        return f"submission {self.id} of activity {self.activity_id}"


class SubmissionPhoto(SchoolScopedModel):
    """A photo a family sent, re-encoded (no EXIF, no GPS), at most 1600 px, with a thumbnail.

    The upload is kept only until a worker has processed it (`status` PROCESSING shows a
    placeholder); the files live in private storage and are served only through a view that
    checks who is asking (or a short-lived signed S3 URL). Never a public URL.
    """

    class Status(models.TextChoices):
        PROCESSING = "processing", _("Processing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Could not be processed")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)
    upload = models.FileField(upload_to="uploads/", max_length=255, blank=True)
    image = models.FileField(upload_to="photos/", max_length=255, blank=True)
    thumbnail = models.FileField(upload_to="thumbnails/", max_length=255, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    bytes = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "submission": C.STUDENT_RECORD,
        "position": C.NONE,
        "status": C.NONE,
        "upload": C.CONTENT,
        "image": C.CONTENT,
        "thumbnail": C.CONTENT,
        "width": C.NONE,
        "height": C.NONE,
        "bytes": C.NONE,
        "error": C.NONE,
        "created_at": C.USAGE,
    }

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["district", "submission"])]

    def __str__(self) -> str:
        return f"photo {self.id} of submission {self.submission_id}"


class ChildProgress(SchoolScopedModel):
    """A child's running totals in a district, for badges, streaks and the leaderboard.

    Updated by the submitting transaction with the row locked (select_for_update), so concurrent
    submissions for one child never lose a count or award a badge twice. `nickname` and
    `is_on_leaderboard` are the family's choices for the classroom leaderboard.
    """

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    completions = models.PositiveIntegerField(default=0)
    points = models.PositiveIntegerField(default=0)
    streak_weeks = models.PositiveSmallIntegerField(default=0)
    best_streak_weeks = models.PositiveSmallIntegerField(default=0)
    # The Monday of the last week with a completion; a streak forgives one missed week.
    last_week = models.DateField(null=True, blank=True)
    nickname = models.CharField(max_length=40, blank=True)
    is_on_leaderboard = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "child": C.STUDENT_RECORD,
        "completions": C.USAGE,
        "points": C.USAGE,
        "streak_weeks": C.USAGE,
        "best_streak_weeks": C.USAGE,
        "last_week": C.USAGE,
        "nickname": C.PREFERENCE,
        "is_on_leaderboard": C.PREFERENCE,
        "updated_at": C.USAGE,
    }

    class Meta:
        verbose_name_plural = "children's progress"
        constraints = [
            models.UniqueConstraint(fields=["district", "child"], name="childprogress_unique")
        ]

    def __str__(self) -> str:
        return f"progress of child {self.child_id}"


class BadgeAward(SchoolScopedModel):
    """A milestone a child reached: first activity, 5 / 10 / 25 completions, a streak."""

    class Kind(models.TextChoices):
        FIRST = "first", _("First activity")
        FIVE = "five", _("5 activities")
        TEN = "ten", _("10 activities")
        TWENTY_FIVE = "twenty_five", _("25 activities")
        STREAK_4 = "streak_4", _("4-week streak")
        STREAK_10 = "streak_10", _("10-week streak")
        TEACHER = "teacher", _("Teacher's award")

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    submission = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A teacher's award names what it is for; milestones do not.
    label = models.CharField(max_length=80, blank=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    awarded_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "child": C.STUDENT_RECORD,
        "kind": C.STUDENT_RECORD,
        "submission": C.STUDENT_RECORD,
        "label": C.STUDENT_RECORD,
        "awarded_by": C.USAGE,
        "awarded_at": C.USAGE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "child", "kind"],
                condition=~Q(kind="teacher"),
                name="badge_milestone_once",
            )
        ]
        indexes = [models.Index(fields=["district", "child", "awarded_at"])]

    def __str__(self) -> str:
        return f"{self.kind} badge of child {self.child_id}"


class SchoolActivitySettings(SchoolScopedModel):
    """A school's choices for recognition: how families appear on classroom leaderboards."""

    class NameStyle(models.TextChoices):
        NICKNAME = "nickname", _("Family nickname")
        FIRST_NAME_INITIAL = "first_initial", _("Child's first name and last initial")

    leaderboard_name_style = models.CharField(
        max_length=20, choices=NameStyle.choices, default=NameStyle.FIRST_NAME_INITIAL
    )
    is_leaderboard_shown = models.BooleanField(default=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "leaderboard_name_style": C.NONE,
        "is_leaderboard_shown": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school"], name="schoolactivitysettings_unique")
        ]

    def __str__(self) -> str:
        return f"activity settings of school {self.school_id}"


class ActivityEvent(DistrictScopedModel):
    """The site activity log: completions and interactions, for dashboards (retention by the
    privacy engine). Written by actions, in their transaction; never holds content."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("Published")
        VIEWED = "viewed", _("Viewed")
        SUBMITTED = "submitted", _("Submitted")
        EDITED = "edited", _("Edited")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")
        BADGE = "badge", _("Badge awarded")
        SHARED = "shared", _("Shared")

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    classroom = models.ForeignKey(
        Classroom, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    activity = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    child = models.ForeignKey(
        Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "classroom": C.NONE,
        "kind": C.USAGE,
        "activity": C.USAGE,
        "child": C.USAGE,
        "actor": C.USAGE,
        "created_at": C.USAGE,
    }

    class Meta:
        indexes = [
            models.Index(fields=["district", "school", "created_at"]),
            models.Index(fields=["district", "classroom", "created_at"]),
            models.Index(fields=["created_at"], name="activityevent_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"
