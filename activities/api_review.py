"""API: reviewing submissions, teachers' badges, sharing with consent, leaderboards.

The same scope and capability layer as the pages (tenants.api_base): a teacher reaches their
classrooms' submissions, a school admin their school's; another tenant's id is a 404. District
admins read per-school counts here, and one school's submissions by stating a reason with each
read (audited). A decision someone else took first is a 409.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from activities.actions import review as review_actions
from activities.actions import sharing
from activities.models import Submission
from activities.queries import leaderboards, staff
from activities.queries import review as queries
from privacy.audit import Actor
from tenants import queries as tenant_queries
from tenants.actions import ActionError
from tenants.api_base import PaginatedApi, ScopedApi
from tenants.roles import Cap

# --- output ------------------------------------------------------------------------------------


class AnswerOutput(serializers.Serializer):
    prompt = serializers.CharField()
    answer = serializers.CharField()
    is_correct = serializers.BooleanField(allow_null=True)


class ReviewPhotoOutput(serializers.Serializer):
    id = serializers.IntegerField(source="photo.id")
    status = serializers.CharField(source="photo.status")
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    error = serializers.CharField()

    def get_image_url(self, photo) -> str | None:
        return (photo.urls or {}).get("image")

    def get_thumbnail_url(self, photo) -> str | None:
        return (photo.urls or {}).get("thumbnail")


class NamedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReviewItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(source="submission.status")
    child_id = serializers.IntegerField(source="submission.child_id")
    child_first_name = serializers.CharField()
    activity_id = serializers.IntegerField(source="submission.activity_id")
    activity_title = serializers.CharField()
    classroom = NamedOutput(source="submission.classroom", allow_null=True)
    submitted_at = serializers.DateTimeField(source="submission.submitted_at")
    text = serializers.CharField(source="submission.text")
    answers = AnswerOutput(many=True)
    score = serializers.IntegerField(source="submission.score", allow_null=True)
    max_score = serializers.IntegerField(source="submission.max_score", allow_null=True)
    rating = serializers.IntegerField(source="submission.rating", allow_null=True)
    comment = serializers.CharField(source="submission.comment")
    photos = ReviewPhotoOutput(many=True)
    feedback = serializers.CharField(source="submission.feedback")
    reviewed_at = serializers.DateTimeField(source="submission.reviewed_at", allow_null=True)
    is_shared = serializers.BooleanField(source="submission.is_shared")
    shared_at = serializers.DateTimeField(source="submission.shared_at", allow_null=True)


class BadgeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    label = serializers.CharField()
    child_id = serializers.IntegerField()
    submission_id = serializers.IntegerField(allow_null=True)
    awarded_at = serializers.DateTimeField()


class LeaderboardRowOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    display_name = serializers.CharField()
    completions = serializers.IntegerField()


class ParticipationOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    id = serializers.IntegerField()
    name = serializers.CharField()
    enrolled = serializers.IntegerField()
    active_this_week = serializers.IntegerField()
    active_this_year = serializers.IntegerField()
    week_percent = serializers.IntegerField()
    year_percent = serializers.IntegerField()


class SchoolAggregateOutput(serializers.Serializer):
    school_id = serializers.IntegerField()
    name = serializers.CharField()
    submissions_this_week = serializers.IntegerField()
    enrolled = serializers.IntegerField()
    week_percent = serializers.IntegerField()
    year_percent = serializers.IntegerField()


class ErrorOutput(serializers.Serializer):
    detail = serializers.CharField()


def _refused(error: ActionError) -> Response:
    conflict = isinstance(error, review_actions.AlreadyReviewedError)
    code = status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST
    return Response({"detail": str(error)}, status=code)


def _item(scope, submission_id: int) -> Response:
    item = queries.access_submission_to_review(scope, submission_id)
    return Response(ReviewItemOutput(item).data)


# --- review ------------------------------------------------------------------------------------


class ReviewQueueApi(PaginatedApi):
    capability = {"GET": Cap.SUBMISSION_REVIEW}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=list(queries.STATUSES),
                description="Waiting for review (default), approved or returned.",
            )
        ],
        responses=ReviewItemOutput(many=True),
    )
    def get(self, request):
        wanted = request.query_params.get("status") or Submission.Status.SUBMITTED
        if wanted not in queries.STATUSES:
            return Response({"detail": "Unknown status."}, status=status.HTTP_400_BAD_REQUEST)
        submissions = queries.list_submissions_to_review(self.scope, status=wanted)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(submissions, request, view=self)
        items = queries.build_review_items(page)
        return paginator.get_paginated_response(ReviewItemOutput(items, many=True).data)


class SubmissionDetailApi(ScopedApi):
    capability = {"GET": Cap.SUBMISSION_REVIEW}

    @extend_schema(responses=ReviewItemOutput)
    def get(self, request, submission_id: int):
        return _item(self.scope, submission_id)


class DecisionInput(serializers.Serializer):
    feedback = serializers.CharField(
        default="", allow_blank=True, max_length=review_actions.MAX_FEEDBACK_CHARS
    )
    badge_label = serializers.CharField(
        default="", allow_blank=True, max_length=review_actions.MAX_BADGE_LABEL_CHARS
    )


class _DecisionApi(ScopedApi):
    capability = {"POST": Cap.SUBMISSION_REVIEW}

    def decide(self, request, submission_id: int, action) -> Response:
        submission = staff.access_submission(self.scope, submission_id)
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            action(self.scope, submission, **data.validated_data, actor=Actor.from_request(request))
        except ActionError as error:
            return _refused(error)
        return _item(self.scope, submission_id)


class ApproveApi(_DecisionApi):
    @extend_schema(
        request=DecisionInput,
        responses={200: ReviewItemOutput, 400: ErrorOutput, 409: ErrorOutput},
        description="Approve a waiting submission (optional feedback and teacher's badge).",
    )
    def post(self, request, submission_id: int):
        return self.decide(request, submission_id, review_actions.do_approve_submission)


class ReturnApi(_DecisionApi):
    @extend_schema(
        request=DecisionInput,
        responses={200: ReviewItemOutput, 400: ErrorOutput, 409: ErrorOutput},
        description="Return a waiting submission to the family with feedback (required).",
    )
    def post(self, request, submission_id: int):
        return self.decide(request, submission_id, review_actions.do_return_submission)


class BadgeInput(serializers.Serializer):
    label = serializers.CharField(max_length=review_actions.MAX_BADGE_LABEL_CHARS)


class ShareInput(serializers.Serializer):
    school_holds_permission = serializers.BooleanField(
        help_text="The school confirms it holds permission to share this work."
    )


class BadgeApi(ScopedApi):
    capability = {"POST": Cap.SUBMISSION_REVIEW}

    @extend_schema(request=BadgeInput, responses={201: BadgeOutput, 400: ErrorOutput})
    def post(self, request, submission_id: int):
        submission = staff.access_submission(self.scope, submission_id)
        data = BadgeInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            award = review_actions.do_award_badge(
                self.scope,
                submission,
                label=data.validated_data["label"],
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            return _refused(error)
        return Response(BadgeOutput(award).data, status=status.HTTP_201_CREATED)


class ShareApi(ScopedApi):
    capability = {"POST": Cap.SUBMISSION_SHARE, "DELETE": Cap.SUBMISSION_SHARE}

    @extend_schema(
        request=ShareInput,
        responses={200: ReviewItemOutput, 400: ErrorOutput},
        description="Mark approved work for the school's newsletter or social media: only with "
        "the sending guardian's photo-promotion opt-in and the school's confirmed permission.",
    )
    def post(self, request, submission_id: int):
        submission = staff.access_submission(self.scope, submission_id)
        data = ShareInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            sharing.do_share_submission(
                self.scope,
                submission,
                is_permission_confirmed=data.validated_data["school_holds_permission"],
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            return _refused(error)
        return _item(self.scope, submission_id)

    @extend_schema(responses={200: ReviewItemOutput}, description="Take the sharing mark off.")
    def delete(self, request, submission_id: int):
        submission = staff.access_submission(self.scope, submission_id)
        sharing.do_unshare_submission(self.scope, submission, actor=Actor.from_request(request))
        return _item(self.scope, submission_id)


class SchoolAggregatesApi(ScopedApi):
    """A district admin's per-school counts (no content)."""

    capability = {"GET": Cap.SCHOOL_OPEN}

    @extend_schema(responses=SchoolAggregateOutput(many=True))
    def get(self, request):
        if not self.scope.is_district_wide:
            return Response([])
        rows = queries.list_school_aggregates(self.scope)
        return Response(SchoolAggregateOutput(rows, many=True).data)


# --- leaderboards ------------------------------------------------------------------------------


class ClassroomLeaderboardApi(ScopedApi):
    capability = {"GET": Cap.LEADERBOARD_VIEW}

    @extend_schema(responses=LeaderboardRowOutput(many=True))
    def get(self, request, classroom_id: int):
        classroom = leaderboards.access_classroom_for_leaderboard(self.scope, classroom_id)
        rows = leaderboards.get_classroom_leaderboard(classroom, is_staff_view=True)
        return Response(LeaderboardRowOutput(rows, many=True).data)


class SchoolLeaderboardApi(ScopedApi):
    capability = {"GET": Cap.LEADERBOARD_VIEW}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "school", int, description="Required for a district-wide role: which school."
            )
        ],
        responses=ParticipationOutput(many=True),
    )
    def get(self, request):
        serializer = serializers.IntegerField(required=False, min_value=1)
        raw = request.query_params.get("school")
        school_id = serializer.run_validation(raw) if raw else None
        school = leaderboards.access_school_for_leaderboard(self.scope, school_id)
        rows = leaderboards.get_school_leaderboard(school)
        return Response(ParticipationOutput(rows, many=True).data)


class DistrictLeaderboardApi(ScopedApi):
    capability = {"GET": Cap.LEADERBOARD_VIEW}

    @extend_schema(responses=ParticipationOutput(many=True))
    def get(self, request):
        if self.scope.is_family:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        rows = leaderboards.get_district_leaderboard(self.scope.district)
        return Response(ParticipationOutput(rows, many=True).data)


class OpenSchoolInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    status = serializers.ChoiceField(
        choices=list(queries.STATUSES), default=Submission.Status.SUBMITTED
    )


class DistrictSchoolSubmissionsApi(ScopedApi):
    """A district admin reads one school's submissions, stating the reason each time (audited as
    "school.opened"): an API client holds no session, so every read is an opening of its own."""

    capability = {"POST": Cap.SCHOOL_OPEN}

    @extend_schema(
        request=OpenSchoolInput,
        responses=ReviewItemOutput(many=True),
        operation_id="review_district_school_submissions",
    )
    def post(self, request, school_id: int):
        if not self.scope.is_district_wide:
            raise Http404
        school = get_object_or_404(tenant_queries.list_schools_for_scope(self.scope), id=school_id)
        data = OpenSchoolInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            review_actions.do_open_school(
                self.scope,
                school,
                reason=data.validated_data["reason"],
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            return _refused(error)
        submissions = queries.list_submissions_to_review(
            self.scope,
            status=data.validated_data["status"],
            opened_school_ids=frozenset({school.id}),
        )[:200]
        items = queries.build_review_items(submissions, audience="district")
        return Response(ReviewItemOutput(items, many=True).data)
