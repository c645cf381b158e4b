"""The roster API: an information system pushes its nightly roster and reads the report.

    curl -H "Authorization: Token $TOKEN" -F file=@roster.zip -F format=oneroster \\
         https://engage.example.org/api/v1/roster/imports/
    -> 202 {"id": 41, "status": "queued", "url": ".../api/v1/roster/imports/41/"}

The token is a school or district admin's (with two-factor set up); `X-Engage-Context` picks
which of their roles. The import runs in a worker, as an upload does (tenants.roster.uploads).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from privacy.audit import Actor
from tenants.actions import ActionError
from tenants.api_base import PaginatedApi, ScopedApi
from tenants.models import RosterImportRun
from tenants.roles import Cap
from tenants.roster import queries
from tenants.roster.actions import PARSERS
from tenants.roster.uploads import do_queue_roster_import


class RunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    outcome = serializers.CharField()
    trigger = serializers.CharField()
    file_name = serializers.CharField()
    file_sha256 = serializers.CharField()
    is_dry_run = serializers.BooleanField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    counts = serializers.DictField()
    error_count = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, run) -> str:
        return reverse("api_roster_import", args=[run.id], request=self.context.get("request"))


class RunDetailOutput(RunOutput):
    progress = serializers.DictField()
    errors = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.DictField())
    skipped = serializers.ListField(child=serializers.DictField())
    changed_by_families = serializers.ListField(child=serializers.DictField())


class RosterImportListApi(PaginatedApi):
    capability = {"GET": Cap.ROSTER_MANAGE, "POST": Cap.ROSTER_MANAGE}
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        format = serializers.ChoiceField(choices=sorted(PARSERS), default="oneroster")
        dry_run = serializers.BooleanField(default=False)
        valid_rows_only = serializers.BooleanField(default=False)

    @extend_schema(responses=RunOutput(many=True))
    def get(self, request):
        runs = queries.list_import_runs_for_scope(self.scope)
        paginator_response = self.paginate(runs, RunOutput)
        return paginator_response

    @extend_schema(request=InputSerializer, responses={202: RunOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            run = do_queue_roster_import(
                self.scope,
                values["file"],
                source_format=values["format"],
                is_dry_run=values["dry_run"],
                is_valid_rows_only=values["valid_rows_only"],
                trigger=RosterImportRun.Trigger.API,
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            return Response({"file": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        output = RunOutput(run, context={"request": request})
        return Response(output.data, status=status.HTTP_202_ACCEPTED)


class RosterImportDetailApi(ScopedApi):
    capability = {"GET": Cap.ROSTER_MANAGE}

    @extend_schema(responses=RunDetailOutput)
    def get(self, request, run_id: int):
        run = queries.access_import_run(self.scope, run_id)
        run.progress = queries.get_run_progress(run)
        for name in ("errors", "warnings", "skipped", "changed_by_families"):
            setattr(run, name, run.report.get(name, []))
        return Response(RunDetailOutput(run, context={"request": request}).data)
