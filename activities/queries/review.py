"""Reads for reviewers: submissions as the review pages show them, and the district's aggregates.

Who may see which submission is `activities.queries.staff` (teachers their classrooms, school
admins their school, a district admin only the schools they opened); this module shapes what
those queries return: the answers marked right or wrong, the photos, in a fixed number of
queries per page. District admins without an opened school see only per-school counts.
"""

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils import timezone

from activities import media
from activities.models import Question, Submission
from activities.models import SubmissionPhoto as Photo
from activities.queries import staff
from activities.queries.leaderboards import get_district_leaderboard, list_schools_by_zone
from activities.queries.leaderboards import week_start as get_week_start
from tenants.scope import Scope

STATUSES = tuple(Submission.Status.values)


@dataclass(frozen=True)
class AnswerLine:
    prompt: str
    answer: str
    # True / False for a multiple-choice question with a right answer; None otherwise.
    is_correct: bool | None


@dataclass(frozen=True)
class ReviewPhoto:
    photo: Photo
    # {"image", "thumbnail"} (permission-checked URLs) once processed; None until then.
    urls: dict[str, str] | None
    error: str = ""


@dataclass
class ReviewItem:
    submission: Submission
    child_first_name: str
    activity_title: str
    answers: list[AnswerLine] = field(default_factory=list)
    photos: list[ReviewPhoto] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.submission.id


def list_submissions_to_review(
    scope: Scope,
    *,
    status: str = Submission.Status.SUBMITTED,
    opened_school_ids: frozenset[int] = frozenset(),
) -> QuerySet[Submission]:
    """Submissions of one status in the scope: the waiting ones oldest first, the decided ones
    most recently reviewed first; with everything a review item shows loaded (3 queries)."""
    if status == Submission.Status.SUBMITTED:
        submissions = staff.list_review_queue(scope, opened_school_ids=opened_school_ids)
    else:
        submissions = (
            staff.list_submissions_for_scope(scope, opened_school_ids=opened_school_ids)
            .filter(status=status)
            .select_related("activity", "child", "classroom")
            .prefetch_related("photos")
            .order_by("-reviewed_at", "-id")
        )
    return submissions.prefetch_related("activity__questions")


def access_submission_to_review(
    scope: Scope, submission_id: int, *, opened_school_ids: frozenset[int] = frozenset()
) -> ReviewItem:
    """One submission of the scope as a review item (404 outside it)."""
    submission = staff.access_submission(scope, submission_id, opened_school_ids=opened_school_ids)
    (item,) = build_review_items([submission], audience=_photo_audience(scope))
    return item


def _photo_audience(scope: Scope) -> str:
    return "district" if scope.is_district_wide else "review"


def build_review_items(submissions, *, audience: str = "review") -> list[ReviewItem]:
    """Review items of submissions loaded by list_submissions_to_review (no further query).
    `audience` picks the photo URLs: "review" (teachers, school admins) or "district" (a
    district admin in a school they opened)."""
    return [
        ReviewItem(
            submission=s,
            child_first_name=s.child.preferred_name or s.child.first_name,
            activity_title=s.activity.title,
            answers=_answer_lines(list(s.activity.questions.all()), s.answers or {}),
            photos=[
                ReviewPhoto(p, media.photo_urls(p, audience), media.photo_error_message(p))
                for p in s.photos.all()
            ],
        )
        for s in submissions
    ]


def _answer_lines(questions: list[Question], answers: dict) -> list[AnswerLine]:
    lines = []
    for question in questions:
        value = answers.get(str(question.id))
        if question.kind != Question.Kind.CHOICE:
            lines.append(AnswerLine(question.prompt, "" if value is None else str(value), None))
            continue
        chosen = value if isinstance(value, int) and 0 <= value < len(question.choices) else None
        text = question.choices[chosen] if chosen is not None else ""
        is_correct = None if question.correct_choice is None else chosen == question.correct_choice
        lines.append(AnswerLine(question.prompt, text, is_correct))
    return lines


@dataclass(frozen=True)
class SchoolAggregate:
    """What a district admin sees of a school without opening it: counts, no content."""

    school_id: int
    name: str
    submissions_this_week: int
    enrolled: int
    week_percent: int
    year_percent: int


def list_school_aggregates(scope: Scope, *, now=None) -> list[SchoolAggregate]:
    """Per school of the district: submissions this week (from Monday in the school's time
    zone) and participation. A fixed number of queries (per time zone of its schools)."""
    now = now or timezone.now()
    weekly: dict[int, int] = {}
    for tz_name, school_ids in list_schools_by_zone(scope.district).items():
        rows = (
            Submission.objects.filter(
                district_id=scope.district.id,
                school_id__in=school_ids,
                submitted_at__gte=get_week_start(now, tz_name),
            )
            .order_by()
            .values("school_id")
            .annotate(n=Count("id"))
            .values_list("school_id", "n")
        )
        weekly |= dict(rows)
    board = sorted(get_district_leaderboard(scope.district, now=now), key=lambda r: r.name)
    return [
        SchoolAggregate(
            school_id=row.id,
            name=row.name,
            submissions_this_week=weekly.get(row.id, 0),
            enrolled=row.enrolled,
            week_percent=row.week_percent,
            year_percent=row.year_percent,
        )
        for row in board
    ]
