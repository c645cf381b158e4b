"""The family's activity pages, on a phone: a child's feed, one activity, the portfolio.

Every page starts from the guardian's own child (access-checked), so another family's child, an
activity that does not reach the child, or a draft is a 404.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from activities.actions.leaderboards import do_set_leaderboard_choice
from activities.actions.submissions import SubmissionError, do_submit
from activities.family_forms import SubmissionForm
from activities.media import PhotoRejected
from activities.models import Activity, Question
from activities.queries import family as queries
from activities.queries.leaderboards import get_classroom_leaderboard
from guardians.queries import access_child_for_guardian
from privacy.audit import Actor
from tenants.actions import ActionError
from tenants.roles import Cap
from tenants.views_base import scoped_view


@scoped_view(Cap.ACTIVITY_READ)
def child_feed(request, scope, child_id: int):
    """What is open for the child (due soonest first) and what is done."""
    child = access_child_for_guardian(scope, child_id)
    feed = queries.get_child_feed(scope, child)
    return render(request, "activities/family/feed.html", {"child": child, "feed": feed})


@scoped_view({"GET": Cap.ACTIVITY_READ, "POST": Cap.SUBMISSION_WRITE})
def activity_detail(request, scope, child_id: int, activity_id: int):
    """One activity: what to do, then the form (or what was sent and the teacher's feedback)."""
    child, activity = queries.access_child_activity(scope, child_id, activity_id)
    submission = queries.get_own_submission(scope, child, activity)
    language = get_language()
    form = SubmissionForm(
        request.POST or None,
        request.FILES or None,
        activity=activity,
        language=language,
        initial=_initial(submission),
    )
    if request.method == "POST" and form.is_valid():
        try:
            do_submit(
                scope,
                child,
                activity,
                text=form.cleaned_data["text"],
                answers=form.answers(),
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                photos=form.cleaned_data["photos"],
                removed_photo_ids=_ints(request.POST.getlist("remove_photo")),
                actor=Actor.from_request(request),
            )
        except SubmissionError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        except PhotoRejected as error:
            form.add_error("photos", error.messages)
        else:
            messages.success(request, _("Sent! The teacher will have a look."))
            return redirect(
                "family_activities:activity", child_id=child.id, activity_id=activity.id
            )
    return render(
        request,
        "activities/family/activity.html",
        {
            "child": child,
            "activity": activity,
            "text": activity.text_for(language),
            "submission": submission,
            "form": form,
            "is_open": queries.is_open(activity),
            "is_editable": queries.is_open(activity)
            and (submission is None or submission.status != submission.Status.APPROVED),
            "results": _results(activity, submission, language),
            "video_src": _video_src(activity) if request.GET.get("play") == "1" else "",
        },
    )


def _initial(submission) -> dict:
    if submission is None:
        return {}
    initial = {"text": submission.text, "rating": submission.rating, "comment": submission.comment}
    initial.update({f"q{key}": value for key, value in submission.answers.items()})
    return initial


def _ints(values) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _results(activity: Activity, submission, language: str) -> list[dict]:
    """Each question with the family's answer, and the right one when the teacher reveals it."""
    if submission is None:
        return []
    rows = []
    for question in activity.questions.all():
        variant = (question.translations or {}).get(language) or {}
        choices = variant.get("choices") or question.choices
        given = submission.answers.get(str(question.id))
        row = {"prompt": variant.get("prompt") or question.prompt, "answer": given}
        if question.kind == Question.Kind.CHOICE and isinstance(given, int):
            row["answer"] = choices[given] if given < len(choices) else ""
            if activity.is_answer_revealed and question.correct_choice is not None:
                row["right"] = choices[question.correct_choice]
                row["is_right"] = given == question.correct_choice
        rows.append(row)
    return rows


def _video_src(activity: Activity) -> str:
    """The privacy-enhanced player, only once the family pressed play."""
    if activity.video_provider == Activity.VideoProvider.YOUTUBE and activity.video_id:
        return f"https://www.youtube-nocookie.com/embed/{activity.video_id}?autoplay=1&rel=0"
    if activity.video_provider == Activity.VideoProvider.VIMEO and activity.video_id:
        return f"https://player.vimeo.com/video/{activity.video_id}?dnt=1&autoplay=1"
    return ""


@scoped_view(Cap.ACTIVITY_READ)
def portfolio(request, scope, child_id: int):
    """The child's past work with the teacher's feedback, badges and progress."""
    child = access_child_for_guardian(scope, child_id)
    return render(
        request,
        "activities/family/portfolio.html",
        {
            "child": child,
            "submissions": queries.list_portfolio(scope, child),
            "badges": queries.list_badges(scope, child),
            "progress": queries.get_progress(scope, child),
        },
    )


class LeaderboardChoiceForm(forms.Form):
    nickname = forms.CharField(
        label=_lazy("Family nickname (shown if the school uses nicknames)"),
        max_length=40,
        required=False,
    )
    is_on_leaderboard = forms.BooleanField(
        label=_lazy("Show my child on the class leaderboard"), required=False
    )


@scoped_view({"GET": Cap.LEADERBOARD_VIEW, "POST": Cap.LEADERBOARD_VIEW})
def leaderboard(request, scope, child_id: int):
    """Who took part in the child's classes (names only as the school chose; never what anyone
    sent), and the family's own choice to appear or not."""
    child = access_child_for_guardian(scope, child_id)
    progress = queries.get_progress(scope, child)
    form = LeaderboardChoiceForm(
        request.POST or None,
        initial={
            "nickname": progress.nickname if progress else "",
            "is_on_leaderboard": progress.is_on_leaderboard if progress else True,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            do_set_leaderboard_choice(
                child,
                nickname=form.cleaned_data["nickname"],
                is_on_leaderboard=form.cleaned_data["is_on_leaderboard"],
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            form.add_error("nickname", str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("family_activities:leaderboard", child_id=child.id)
    boards = [
        (
            enrollment.classroom,
            get_classroom_leaderboard(enrollment.classroom, viewer_child_ids=[child.id]),
        )
        for enrollment in child.current_enrollments
    ]
    return render(
        request,
        "activities/family/leaderboard.html",
        {"child": child, "boards": boards, "form": form},
    )
