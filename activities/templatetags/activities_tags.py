"""Template helpers for activity pages."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language

from activities.models import SubmissionPhoto

register = template.Library()


@register.simple_tag
def localized_title(activity) -> str:
    """The activity's title in the reader's language when the teacher wrote one."""
    return activity.text_for(get_language())["title"]


@register.simple_tag
def family_photo_url(photo, variant: str) -> str:
    """The permission-checked URL of a family's own photo, or "" while it is being prepared."""
    if photo.status != SubmissionPhoto.Status.READY:
        return ""
    try:
        return reverse("files:family_photo", args=[photo.id, variant])
    except NoReverseMatch:
        return ""
