"""A family's copy of their data (PROMISES R6), built end to end.

export_family_s: the median wall time of `privacy.export.build_family_export` over the run's
rounds (every query, each photo read from storage and copied into the archive, data.json and
summary.html rendered and compressed, the ZIP spooled to a temporary file), for a guardian of
three children with SUBMISSIONS submissions between them (a quarter of them two-question
quizzes, all with a text, the teacher's feedback and one processed photo each: a real
PHOTO_SIZE JPEG in storage), after one untimed build.
export_family_max_s: the slowest round. export_family_mb: the archive's size.
export_family_peak_mb: the most memory Python held at once during one more build (tracemalloc;
the archive spools to disk past 8 MB and photos are copied in 64 KB blocks, so this stays far
below the archive's size). export_family_queries: the queries of one build (a fixed number).

The family lives in the bench district for the run only: it is written in a transaction that is
rolled back at the end, with its photos in the run's scratch directory (a FileSystemStorage), so
the bench data stays as seeded.
"""

import io
import statistics
import time
import tracemalloc

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from PIL import Image, ImageChops

from activities.models import Activity, Question, Submission, SubmissionPhoto
from engage.bench.registry import BenchContext, BenchError, Metrics, benchmark
from engage.bench.seed import EMAIL_DOMAIN, SYSTEM
from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from privacy.export import build_family_export
from tenants.actions import do_create_user
from tenants.models import Classroom, Membership, Role
from tenants.scope import list_scopes_for_user

SUBMISSIONS = {"tiny": 30}
DEFAULT_SUBMISSIONS = 500
CHILDREN = 3
PHOTO_SIZE = (640, 480)


class _RolledBack(Exception):
    """Raised to roll the run's family back once it is measured."""


@benchmark("export")
def export(context: BenchContext) -> Metrics:
    """A three-child family's data export with 500 photos: the ZIP built end to end, in s."""
    data = context.data
    submissions = SUBMISSIONS.get(context.scale, DEFAULT_SUBMISSIONS)
    media = context.run_dir / "export-media"
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    storage["OPTIONS"] = {"location": str(media)}
    metrics: Metrics = {}
    with override_settings(STORAGES={**settings.STORAGES, "default": storage}):
        try:
            with transaction.atomic():
                scope = _seed_family(data.district, submissions)
                metrics = _measure(context, scope, submissions)
                raise _RolledBack
        except _RolledBack:
            pass
    return metrics


def _measure(context: BenchContext, scope, submissions: int) -> Metrics:
    connection = connections[context.database]
    with CaptureQueriesContext(connection) as queries:
        out, built = build_family_export(scope)  # untimed: templates and imports warmed
    size = len(out.read())
    out.close()
    if built.counts["submissions"] != submissions or built.counts["photos"] != submissions:
        raise BenchError(f"export: the archive holds {built.counts}, not {submissions} of each")
    timings = []
    for _ in range(context.rounds):
        started = time.perf_counter()
        out, _built = build_family_export(scope)
        out.close()
        timings.append(time.perf_counter() - started)
    peak = _peak_python_memory(scope)
    context.write(
        f"export: {submissions} submissions and photos of {CHILDREN} children, "
        f"{size / 1e6:.1f} MB, {len(queries.captured_queries)} queries, peak Python memory "
        f"{peak / 1e6:.1f} MB; rounds " + " ".join(f"{t:.2f}" for t in timings) + " s"
    )
    return {
        "export_family_s": round(statistics.median(timings), 3),
        "export_family_max_s": round(max(timings), 3),
        "export_family_mb": round(size / 1e6, 2),
        "export_family_peak_mb": round(peak / 1e6, 1),
        "export_family_queries": len(queries.captured_queries),
    }


def _peak_python_memory(scope) -> int:
    """Bytes: the most Python held at once during one more (untimed) build, traced."""
    tracemalloc.start()
    try:
        out, _built = build_family_export(scope)
        out.close()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _seed_family(district, submissions: int):
    """A guardian and three children in three classrooms of the bench district, their
    activities, submissions (bulk-inserted) and photos (files in storage). Returns the
    guardian's scope."""
    classrooms = list(
        Classroom.objects.filter(district_id=district.id, is_active=True)
        .select_related("school")
        .order_by("id")[:CHILDREN]
    )
    guardian = do_create_user(
        email=f"export-family@{EMAIL_DOMAIN}", first_name="Erin", last_name="Export", actor=SYSTEM
    )
    children = []
    for number, classroom in enumerate(classrooms):
        child = do_create_child(
            classroom.school,
            first_name=f"Kid{number}",
            last_name="Export",
            pupil_number=f"EXP-{number}",
            actor=SYSTEM,
        )
        do_enroll_child(child, classroom, actor=SYSTEM)
        do_link_guardian(child, guardian, actor=SYSTEM)
        children.append((child, classroom))
    teachers = dict(
        Membership.objects.filter(
            district_id=district.id,
            role=Role.TEACHER,
            classroom_id__in=[c.id for _, c in children],
        ).values_list("classroom_id", "user_id")
    )
    photo = _photo_bytes()
    now = timezone.now()
    for number, (child, classroom) in enumerate(children):
        count = submissions // CHILDREN + (1 if number < submissions % CHILDREN else 0)
        _seed_work(
            district, child, classroom, teachers.get(classroom.id), guardian, count, photo, now
        )
    scope = next(s for s in list_scopes_for_user(guardian) if s.district.id == district.id)
    return scope


def _seed_work(district, child, classroom, teacher_id, guardian, count: int, photo, now) -> None:
    activities = Activity.objects.bulk_create(
        [
            Activity(
                district=district,
                school_id=classroom.school_id,
                kind=Activity.Kind.QUIZ if n % 4 == 0 else Activity.Kind.TASK,
                title=f"Export bench activity {n}",
                status=Activity.Status.PUBLISHED,
                published_at=now,
            )
            for n in range(count)
        ]
    )
    questions = Question.objects.bulk_create(
        [
            Question(
                district=district,
                activity=activity,
                position=position,
                kind=kind,
                prompt=prompt,
                choices=choices,
                correct_choice=1 if choices else None,
            )
            for activity in activities
            if activity.kind == Activity.Kind.QUIZ
            for position, (kind, prompt, choices) in enumerate(
                [
                    (Question.Kind.CHOICE, "2 + 3?", ["4", "5", "6"]),
                    (Question.Kind.SHORT, "Favourite number?", []),
                ]
            )
        ]
    )
    answers: dict[int, dict] = {}
    for question in questions:
        answers.setdefault(question.activity_id, {})[str(question.id)] = (
            1 if question.kind == Question.Kind.CHOICE else "seven"
        )
    done = Submission.objects.bulk_create(
        [
            Submission(
                district=district,
                school_id=classroom.school_id,
                classroom=classroom,
                activity=activity,
                child=child,
                guardian=guardian,
                text=f"What we did for activity {n}, in a few words.",
                answers=answers.get(activity.id, {}),
                status=Submission.Status.APPROVED,
                feedback="Lovely work, thank you!",
                reviewed_by_id=teacher_id,
                reviewed_at=now,
                submitted_at=now,
            )
            for n, activity in enumerate(activities)
        ]
    )
    SubmissionPhoto.objects.bulk_create(
        [
            SubmissionPhoto(
                district=district,
                school_id=classroom.school_id,
                submission=submission,
                status=SubmissionPhoto.Status.READY,
                image=default_storage.save(
                    f"photos/{district.id}/export-{submission.id}.jpg", ContentFile(photo)
                ),
                width=PHOTO_SIZE[0],
                height=PHOTO_SIZE[1],
                bytes=len(photo),
            )
            for submission in done
        ]
    )


def _photo_bytes() -> bytes:
    """A JPEG that compresses like a processed photo (gradients and noise, quality 82)."""
    gradient = Image.linear_gradient("L").resize(PHOTO_SIZE)
    noise = Image.effect_noise(PHOTO_SIZE, 24)
    channels = [ImageChops.add(gradient, noise, offset=-128), gradient.rotate(180), noise]
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, format="JPEG", quality=82)
    return out.getvalue()
