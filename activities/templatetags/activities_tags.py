"""Template helpers for activity pages."""

from django import template
from django.utils.translation import get_language

from activities import media

register = template.Library()


@register.simple_tag
def localized_title(activity) -> str:
    """The activity's title in the reader's language when the teacher wrote one."""
    return activity.text_for(get_language())["title"]


@register.simple_tag
def family_photo_url(photo, variant: str) -> str:
    """The permission-checked URL of a family's own photo, or "" while it is being prepared."""
    urls = media.photo_urls(photo, "family")
    return urls[variant] if urls else ""


@register.simple_tag
def photo_problem(photo) -> str:
    """Why a photo could not be used ("" unless it failed)."""
    return media.photo_error_message(photo)
