"""Photos through the API, for clients signed in with a token (an app, an information system).

The same checks and the same private responses as the /files/ pages (activities.views.media):
a family reaches only its own children's photos, staff only those they may review.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema

from activities.queries.family import access_family_photo
from activities.queries.staff import access_staff_photo
from activities.views.media import photo_response
from tenants.api_base import ScopedApi
from tenants.roles import Cap

PHOTO_RESPONSE = {(200, "image/jpeg"): OpenApiTypes.BINARY}


class FamilyPhotoApi(ScopedApi):
    capability = {"GET": Cap.FAMILY_VIEW}

    @extend_schema(responses=PHOTO_RESPONSE, operation_id="family_photo_file")
    def get(self, request, photo_id: int, variant: str):
        return photo_response(access_family_photo(self.scope, photo_id), variant)


class ReviewPhotoApi(ScopedApi):
    capability = {"GET": Cap.SUBMISSION_REVIEW}

    @extend_schema(responses=PHOTO_RESPONSE, operation_id="review_photo_file")
    def get(self, request, photo_id: int, variant: str):
        return photo_response(access_staff_photo(self.scope, photo_id), variant)
