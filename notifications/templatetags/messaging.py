from django import template

register = template.Library()


@register.filter
def subject_in(message, language: str) -> str:
    """A message's subject in `language` (falling back to its default language)."""
    return message.text_for(language).get("subject") or message.get_kind_display()
