"""The API's scope and capability layer: the same as the HTML views' (`views_base`).

    class ClassroomListApi(ScopedApi):
        capability = {"GET": Cap.ROSTER_VIEW}

Session-authenticated requests use the context chosen in the role switcher; token-authenticated
ones (information-system pushes) may name a context in the `X-Engage-Context` header, else the
token holder's first context is used.
"""

from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from tenants.scope import Scope


class ScopedApi(APIView):
    """Base for every API view: declare `capability`; use `self.scope` in handlers."""

    capability: dict[str, str] = {}
    scope: Scope


class PaginatedApi(ScopedApi):
    """Base for a list answered one page at a time: `pagination_class` also tells the OpenAPI
    schema that its `many=True` response comes in the pagination envelope (count, next,
    previous, results), not as a bare array."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    def paginate(self, queryset, serializer_class) -> Response:
        """One page of `queryset` in the project's pagination envelope."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)
