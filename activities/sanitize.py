"""Rich text of readings, sanitised by an allow-list before it is stored.

Teachers paste or type a reading; what is kept is a small set of tags (paragraphs, line breaks,
bold, italic, lists, two heading levels, quotes) and links to http, https or mailto addresses,
which open with rel="noopener". Everything else is dropped: script and style elements with their
content, event attributes, images, frames, relative and `javascript:` links. Sanitising happens
in the authoring actions, so the database never holds HTML as typed; pages may then mark
`Activity.body_html` safe. Text typed without any markup is escaped and kept as paragraphs.
"""

import re

import nh3
from django.utils.html import escape, linebreaks

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "blockquote", "a"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_BODY_CHARS = 20_000
# A tag, closing tag, comment or doctype: the text is HTML (a "<3" or "a < b" is not).
LOOKS_LIKE_MARKUP = re.compile(r"<[A-Za-z/!]")


def sanitize_rich_text(text: str) -> str:
    """The allow-listed HTML of `text` ("" for blank input); plain text becomes paragraphs."""
    text = (text or "").strip()
    if not text:
        return ""
    if not LOOKS_LIKE_MARKUP.search(text):
        text = linebreaks(escape(text))
    cleaned = nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        url_relative="deny",
        link_rel="noopener",
    )
    return cleaned.strip()
