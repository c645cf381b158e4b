"""The families' activities API: a child's feed, one activity, submitting, the portfolio.

The same scope and capability layer as the pages (tenants.api_base); every object is reached
from the guardian's own child, so another family's child or an activity that does not reach the
child is a 404.
"""

from django.urls import reverse
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from activities.actions.submissions import SubmissionError, do_submit
from activities.media import PhotoRejected
from activities.models import MAX_COMMENT_CHARS, MAX_TEXT_CHARS
from activities.queries import family as queries
from guardians.queries import access_child_for_guardian
from privacy.audit import Actor
from tenants.api_base import PaginatedApi, ScopedApi
from tenants.roles import Cap


class QuestionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    prompt = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())


class ActivityOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.SerializerMethodField()
    instructions = serializers.SerializerMethodField()
    points = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    response = serializers.CharField()
    is_open = serializers.SerializerMethodField()

    def get_title(self, activity) -> str:
        return activity.text_for(get_language())["title"]

    def get_instructions(self, activity) -> str:
        return activity.text_for(get_language())["instructions"]

    def get_is_open(self, activity) -> bool:
        return queries.is_open(activity)


class ActivityDetailOutput(ActivityOutput):
    questions = serializers.SerializerMethodField()
    video_provider = serializers.CharField()
    video_id = serializers.CharField()
    body_html = serializers.CharField()

    @extend_schema_field(QuestionOutput(many=True))
    def get_questions(self, activity):
        language = get_language()
        rows = []
        for question in activity.questions.all():
            variant = (question.translations or {}).get(language) or {}
            rows.append(
                {
                    "id": question.id,
                    "kind": question.kind,
                    "prompt": variant.get("prompt") or question.prompt,
                    "choices": variant.get("choices") or question.choices,
                }
            )
        return QuestionOutput(rows, many=True).data


class PhotoOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_image_url(self, photo) -> str | None:
        return _api_photo_url(photo, "image")

    def get_thumbnail_url(self, photo) -> str | None:
        return _api_photo_url(photo, "thumbnail")


def _api_photo_url(photo, variant: str) -> str | None:
    """The API address of a ready photo (None while it is being prepared)."""
    if photo.status != photo.Status.READY:
        return None
    return reverse("api_family_activities:photo", args=[photo.id, variant])


class SubmissionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    activity_id = serializers.IntegerField()
    status = serializers.CharField()
    text = serializers.CharField()
    answers = serializers.DictField()
    score = serializers.IntegerField(allow_null=True)
    max_score = serializers.IntegerField(allow_null=True)
    rating = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()
    feedback = serializers.CharField()
    photos = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(PhotoOutput(many=True))
    def get_photos(self, submission):
        return PhotoOutput(submission.photos.all(), many=True).data


class FeedOutput(serializers.Serializer):
    open = ActivityOutput(many=True)
    done = SubmissionOutput(many=True)


class ChildFeedApi(ScopedApi):
    capability = {"GET": Cap.ACTIVITY_READ}

    @extend_schema(responses=FeedOutput, operation_id="family_child_feed_retrieve")
    def get(self, request, child_id: int):
        child = access_child_for_guardian(self.scope, child_id)
        feed = queries.get_child_feed(self.scope, child)
        data = {
            "open": [item.activity for item in feed.open],
            "done": [item.submission for item in feed.done],
        }
        return Response(FeedOutput(data).data)


class ChildActivityApi(ScopedApi):
    """GET: the activity and the child's submission; POST: submit (multipart for photos)."""

    capability = {"GET": Cap.ACTIVITY_READ, "POST": Cap.SUBMISSION_WRITE}
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class SubmitInput(serializers.Serializer):
        answers = serializers.DictField(required=False, default=dict)
        text = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=MAX_TEXT_CHARS
        )
        rating = serializers.IntegerField(required=False, allow_null=True, default=None)
        comment = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=MAX_COMMENT_CHARS
        )
        photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)
        remove_photo_ids = serializers.ListField(
            child=serializers.IntegerField(), required=False, default=list
        )

    class ChildActivityOutput(serializers.Serializer):
        activity = ActivityDetailOutput()
        submission = SubmissionOutput(allow_null=True)

    @extend_schema(responses=ChildActivityOutput, operation_id="family_child_activity_retrieve")
    def get(self, request, child_id: int, activity_id: int):
        child, activity = queries.access_child_activity(self.scope, child_id, activity_id)
        submission = queries.get_own_submission(self.scope, child, activity)
        output = self.ChildActivityOutput({"activity": activity, "submission": submission})
        return Response(output.data)

    @extend_schema(
        request=SubmitInput,
        responses={200: SubmissionOutput},
        operation_id="family_child_activity_submit",
    )
    def post(self, request, child_id: int, activity_id: int):
        child, activity = queries.access_child_activity(self.scope, child_id, activity_id)
        data = self.SubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            submission = do_submit(
                self.scope,
                child,
                activity,
                text=values["text"],
                answers=values["answers"],
                rating=values["rating"],
                comment=values["comment"],
                photos=values["photos"],
                removed_photo_ids=values["remove_photo_ids"],
                actor=Actor.from_request(request),
            )
        except SubmissionError as error:
            return Response(
                {error.field or "non_field_errors": [str(error)]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except PhotoRejected as error:
            return Response({"photos": error.messages}, status=status.HTTP_400_BAD_REQUEST)
        return Response(SubmissionOutput(submission).data)


class PortfolioApi(PaginatedApi):
    capability = {"GET": Cap.ACTIVITY_READ}

    @extend_schema(responses=SubmissionOutput(many=True))
    def get(self, request, child_id: int):
        child = access_child_for_guardian(self.scope, child_id)
        return self.paginate(queries.list_portfolio(self.scope, child), SubmissionOutput)
