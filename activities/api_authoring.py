"""The authoring API: list, create, read and update activities with their targets and questions;
schedule, publish and close them; read the district library and copy a template.

    POST /api/v1/activities/  {"kind": "quiz", "title": "...", "targets": [{"classroom_id": 12}],
                               "questions": [{"prompt": "2 + 3?", "choices": ["4", "5"],
                                              "correct_choice": 1}]}
    POST /api/v1/activities/41/publish/     (or schedule/ {"publish_at": ...}, unschedule/, close/)

Same scope and capability layer as the pages (activity:write for all of it), same actions: rich
text is sanitised and video links reduced to provider and id by the actions, whoever calls. A
target is named by ids of the caller's district (`classroom_id`, `group_id`, `school_id` with an
optional `grade_level`); whether it is the caller's is the action's check (400, nothing written).
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.serializers import ValidationError

from activities.actions import authoring as actions
from activities.actions.library import do_copy_template
from activities.models import Activity, Question
from activities.queries import authoring as queries
from activities.queries.staff import access_activity
from activities.video import watch_url
from privacy.audit import Actor
from tenants.api_base import PaginatedApi, ScopedApi
from tenants.roles import Cap

WRITE = Cap.ACTIVITY_WRITE


# --- shapes ------------------------------------------------------------------------------------


class AuthoringActivityVariant(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    instructions = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class AuthoringQuestionVariant(serializers.Serializer):
    prompt = serializers.CharField(required=False, allow_blank=True, max_length=500)
    choices = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=200), required=False
    )


class AuthoringTargetInput(serializers.Serializer):
    """Exactly one of classroom_id, group_id, or school_id (with grade_level for a grade)."""

    classroom_id = serializers.IntegerField(required=False, allow_null=True)
    group_id = serializers.IntegerField(required=False, allow_null=True)
    school_id = serializers.IntegerField(required=False, allow_null=True)
    grade_level = serializers.CharField(required=False, allow_blank=True, max_length=8)


class AuthoringTargetOutput(serializers.Serializer):
    id = serializers.IntegerField()
    classroom_id = serializers.IntegerField(allow_null=True)
    group_id = serializers.IntegerField(allow_null=True)
    school_id = serializers.IntegerField(allow_null=True)
    grade_level = serializers.CharField()
    label = serializers.SerializerMethodField()

    def get_label(self, target) -> str:
        return queries.target_label(target)


class AuthoringQuestionInput(serializers.Serializer):
    prompt = serializers.CharField(max_length=500)
    kind = serializers.ChoiceField(choices=Question.Kind.choices, default=Question.Kind.CHOICE)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list
    )
    # The index (from 0) of the right answer of a multiple-choice question.
    correct_choice = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    translations = serializers.DictField(
        child=AuthoringQuestionVariant(), required=False, default=dict
    )


class AuthoringQuestionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.CharField()
    prompt = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())
    correct_choice = serializers.IntegerField(allow_null=True)
    translations = serializers.DictField(child=AuthoringQuestionVariant())


class AuthoringActivityOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    title = serializers.CharField()
    instructions = serializers.CharField()
    translations = serializers.DictField(child=AuthoringActivityVariant())
    points = serializers.IntegerField()
    response = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    publish_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    is_answer_revealed = serializers.BooleanField()
    video_provider = serializers.CharField()
    video_id = serializers.CharField()
    video_url = serializers.SerializerMethodField()
    body_html = serializers.CharField()
    has_attachment = serializers.SerializerMethodField()
    attachment_type = serializers.CharField()
    is_template = serializers.BooleanField()
    template_id = serializers.IntegerField(allow_null=True)
    school_id = serializers.IntegerField(allow_null=True)
    created_by_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    targets = AuthoringTargetOutput(many=True, source="targets.all")

    def get_video_url(self, activity) -> str:
        return watch_url(activity.video_provider, activity.video_id) if activity.video_id else ""

    def get_has_attachment(self, activity) -> bool:
        return bool(activity.attachment)


class AuthoringActivityListOutput(AuthoringActivityOutput):
    submissions_count = serializers.IntegerField()


class AuthoringActivityDetailOutput(AuthoringActivityOutput):
    questions = AuthoringQuestionOutput(many=True, source="questions.all")
    submission_counts = serializers.DictField(child=serializers.IntegerField())
    children_reached = serializers.IntegerField()


class AuthoringActivityInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    translations = serializers.DictField(child=AuthoringActivityVariant(), required=False)
    points = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    response = serializers.ChoiceField(choices=Activity.Response.choices, required=False)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    is_answer_revealed = serializers.BooleanField(required=False)
    video_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    body_html = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    targets = AuthoringTargetInput(many=True, required=False)
    questions = AuthoringQuestionInput(many=True, required=False)
    # District admins: a library template (no school, no targets).
    is_template = serializers.BooleanField(required=False, default=False)


class AuthoringActivityUpdateInput(AuthoringActivityInput):
    """Every field optional; targets and questions, when given, replace the current ones."""

    kind = None
    is_template = None
    title = serializers.CharField(max_length=200, required=False)


class ActivityScheduleInput(serializers.Serializer):
    publish_at = serializers.DateTimeField()


class TemplateCopyInput(serializers.Serializer):
    targets = AuthoringTargetInput(many=True)


# --- helpers -----------------------------------------------------------------------------------


def _refusal(error: actions.AuthoringError) -> Response:
    return Response(
        {error.field or "non_field_errors": [str(error)]}, status=status.HTTP_400_BAD_REQUEST
    )


def _target_specs(scope, raw) -> list[actions.TargetSpec]:
    refs = [queries.TargetRef(**item) for item in raw]
    try:
        found = queries.find_target_objects(scope, refs)
    except LookupError as error:
        message = _("No such %(field)s in your district.") % {"field": error.args[0]}
        raise ValidationError({"targets": [message]}) from error
    return [actions.TargetSpec(**fields) for fields in found]


def _question_specs(raw) -> list[actions.QuestionSpec]:
    return [
        actions.QuestionSpec(
            prompt=item["prompt"],
            kind=item["kind"],
            choices=tuple(item.get("choices") or ()),
            correct_choice=item.get("correct_choice"),
            translations=item.get("translations") or {},
        )
        for item in raw
    ]


def _check_due_at(data: dict, current=None) -> None:
    due_at = data.get("due_at")
    if due_at is not None and due_at != current and due_at <= timezone.now():
        raise ValidationError({"due_at": [_("Choose a due date in the future.")]})


def _detail(activity: Activity) -> dict:
    detail = queries.get_activity_detail(activity)
    activity.submission_counts = detail.counts
    activity.children_reached = detail.children_reached
    return AuthoringActivityDetailOutput(activity).data


CONTENT_FIELDS = (
    "title",
    "instructions",
    "translations",
    "points",
    "response",
    "due_at",
    "is_answer_revealed",
    "video_url",
    "body_html",
)


def _current_content(activity: Activity) -> dict:
    return {
        "title": activity.title,
        "instructions": activity.instructions,
        "translations": activity.translations,
        "points": activity.points,
        "response": activity.response,
        "due_at": activity.due_at,
        "is_answer_revealed": activity.is_answer_revealed,
        "video_url": watch_url(activity.video_provider, activity.video_id)
        if activity.video_id
        else "",
        "body_html": activity.body_html,
    }


# --- endpoints ---------------------------------------------------------------------------------


class ActivityListApi(PaginatedApi):
    """The scope's activities (not library templates), newest first; create a draft."""

    capability = {"GET": WRITE, "POST": WRITE}

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Activity.Status.values, required=False),
        ],
        responses=AuthoringActivityListOutput(many=True),
    )
    def get(self, request):
        wanted = request.query_params.get("status", "")
        activities = queries.list_authoring_activities(
            self.scope, status=wanted if wanted in Activity.Status.values else ""
        )
        return self.paginate(activities, AuthoringActivityListOutput)

    @extend_schema(request=AuthoringActivityInput, responses={201: AuthoringActivityDetailOutput})
    def post(self, request):
        data = AuthoringActivityInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        _check_due_at(values)
        content = {name: values[name] for name in CONTENT_FIELDS if name in values}
        try:
            activity = actions.do_create_activity(
                self.scope,
                kind=values["kind"],
                targets=_target_specs(self.scope, values.get("targets", [])),
                questions=_question_specs(values.get("questions", [])),
                is_template=values["is_template"],
                actor=Actor.from_request(request),
                **content,
            )
        except actions.AuthoringError as error:
            return _refusal(error)
        return Response(_detail(activity), status=status.HTTP_201_CREATED)


class ActivityDetailApi(ScopedApi):
    """One activity with its questions and counts; PATCH changes what is given."""

    capability = {"GET": WRITE, "PATCH": WRITE}

    @extend_schema(responses=AuthoringActivityDetailOutput)
    def get(self, request, activity_id: int):
        return Response(_detail(access_activity(self.scope, activity_id)))

    @extend_schema(request=AuthoringActivityUpdateInput, responses=AuthoringActivityDetailOutput)
    def patch(self, request, activity_id: int):
        activity = queries.access_activity_for_write(self.scope, activity_id)
        data = AuthoringActivityUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        _check_due_at(values, current=activity.due_at)
        content = _current_content(activity)
        content.update({name: values[name] for name in CONTENT_FIELDS if name in values})
        targets = values.get("targets")
        questions = values.get("questions")
        try:
            activity = actions.do_update_activity(
                self.scope,
                activity,
                targets=None if targets is None else _target_specs(self.scope, targets),
                questions=None if questions is None else _question_specs(questions),
                actor=Actor.from_request(request),
                **content,
            )
        except actions.AuthoringError as error:
            return _refusal(error)
        return Response(_detail(activity))


class AttachmentInput(serializers.Serializer):
    file = serializers.FileField()


class ActivityAttachmentApi(ScopedApi):
    """PUT a file (multipart `file`: an MP4/WebM video, a picture, a PDF reading), DELETE it."""

    capability = {"PUT": WRITE, "DELETE": WRITE}
    parser_classes = [MultiPartParser]

    @extend_schema(request=AttachmentInput, responses=AuthoringActivityDetailOutput)
    def put(self, request, activity_id: int):
        activity = queries.access_activity_for_write(self.scope, activity_id)
        data = AttachmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._replace(request, activity, data.validated_data["file"])

    @extend_schema(request=None, responses=AuthoringActivityDetailOutput)
    def delete(self, request, activity_id: int):
        activity = queries.access_activity_for_write(self.scope, activity_id)
        return self._replace(request, activity, None)

    def _replace(self, request, activity, upload) -> Response:
        try:
            activity = actions.do_replace_activity_attachment(
                activity, upload, actor=Actor.from_request(request)
            )
        except actions.AuthoringError as error:
            return _refusal(error)
        return Response(_detail(activity))


class _ActivityActionApi(ScopedApi):
    capability = {"POST": WRITE}
    run_action = None

    def _run(self, request, activity: Activity, **extra) -> Response:
        try:
            activity = self.run_action(activity, actor=Actor.from_request(request), **extra)
        except actions.AuthoringError as error:
            return _refusal(error)
        return Response(_detail(activity))


class ActivityPublishApi(_ActivityActionApi):
    """Publish now; the targeted families are told (once)."""

    run_action = staticmethod(actions.do_publish_activity)

    @extend_schema(request=None, responses=AuthoringActivityDetailOutput)
    def post(self, request, activity_id: int):
        return self._run(request, queries.access_activity_for_write(self.scope, activity_id))


class ActivityScheduleApi(_ActivityActionApi):
    """Publish at `publish_at` (the beat task publishes it then)."""

    run_action = staticmethod(actions.do_schedule_activity)

    @extend_schema(request=ActivityScheduleInput, responses=AuthoringActivityDetailOutput)
    def post(self, request, activity_id: int):
        activity = queries.access_activity_for_write(self.scope, activity_id)
        data = ActivityScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(request, activity, publish_at=data.validated_data["publish_at"])


class ActivityUnscheduleApi(_ActivityActionApi):
    """Back to draft: a scheduled activity that should not go out after all."""

    run_action = staticmethod(actions.do_unschedule_activity)

    @extend_schema(request=None, responses=AuthoringActivityDetailOutput)
    def post(self, request, activity_id: int):
        return self._run(request, queries.access_activity_for_write(self.scope, activity_id))


class ActivityCloseApi(_ActivityActionApi):
    """Stop taking submissions."""

    run_action = staticmethod(actions.do_close_activity)

    @extend_schema(request=None, responses=AuthoringActivityDetailOutput)
    def post(self, request, activity_id: int):
        return self._run(request, queries.access_activity_for_write(self.scope, activity_id))


class LibraryListApi(PaginatedApi):
    """The district library's templates."""

    capability = {"GET": WRITE}

    @extend_schema(responses=AuthoringActivityOutput(many=True))
    def get(self, request):
        templates = queries.list_library_templates(self.scope).prefetch_related("targets")
        return self.paginate(templates, AuthoringActivityOutput)


class LibraryCopyApi(ScopedApi):
    """Copy a template into the caller's school as a draft aimed at `targets`."""

    capability = {"POST": WRITE}

    @extend_schema(request=TemplateCopyInput, responses={201: AuthoringActivityDetailOutput})
    def post(self, request, template_id: int):
        template = queries.access_template(self.scope, template_id)
        data = TemplateCopyInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            copy = do_copy_template(
                self.scope,
                template,
                targets=_target_specs(self.scope, data.validated_data["targets"]),
                actor=Actor.from_request(request),
            )
        except actions.AuthoringError as error:
            return _refusal(error)
        return Response(_detail(copy), status=status.HTTP_201_CREATED)
