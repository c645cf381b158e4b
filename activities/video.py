"""Video links: a YouTube or Vimeo address, reduced to (provider, video id).

Only the providers' own hosts are accepted (youtube.com, m.youtube.com, youtu.be,
youtube-nocookie.com; vimeo.com, player.vimeo.com, each also with "www."), over http or https,
without credentials or an unusual port. Nothing of the address but the id is kept, so a page
can only ever build the privacy-enhanced player (`embed_url`: youtube-nocookie.com, Vimeo with
dnt=1), whatever was pasted. An unlisted Vimeo video keeps its hash: "<id>:<hash>".
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext as _

YOUTUBE = "youtube"
VIMEO = "vimeo"

YOUTUBE_HOSTS = frozenset(
    {
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "youtube-nocookie.com",
        "www.youtube-nocookie.com",
    }
)
YOUTU_BE_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIMEO_ID = re.compile(r"^[0-9]{1,12}$")
VIMEO_HASH = re.compile(r"^[0-9a-f]{6,20}$")
YOUTUBE_PATH_PREFIXES = ("embed", "shorts", "live", "v")


class VideoLinkError(ValueError):
    """A link that is not a YouTube or Vimeo video; the message is safe to show."""


@dataclass(frozen=True)
class VideoLink:
    provider: str
    video_id: str


def parse_video_url(url: str) -> VideoLink:
    """(provider, id) of a YouTube or Vimeo link; VideoLinkError for anything else."""
    url = (url or "").strip()
    if url.startswith("//"):
        url = f"https:{url}"
    elif "://" not in url:
        url = f"https://{url}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise VideoLinkError(_("That is not a web address.")) from error
    host = (parts.hostname or "").lower()
    if (
        parts.scheme.lower() not in ("http", "https")
        or parts.username
        or port
        not in (
            None,
            80,
            443,
        )
    ):
        raise VideoLinkError(_("Paste the video's address as it shows in the browser."))
    segments = [s for s in parts.path.split("/") if s]
    if host in YOUTUBE_HOSTS or host in YOUTU_BE_HOSTS:
        return VideoLink(YOUTUBE, _youtube_id(host, segments, parts.query))
    if host in VIMEO_HOSTS:
        return VideoLink(VIMEO, _vimeo_id(host, segments, parts.query))
    raise VideoLinkError(_("Only YouTube and Vimeo videos can be linked."))


def _youtube_id(host: str, segments: list[str], query: str) -> str:
    if host in YOUTU_BE_HOSTS:
        candidate = segments[0] if segments else ""
    elif segments[:1] == ["watch"]:
        candidate = (parse_qs(query).get("v") or [""])[0]
    elif len(segments) >= 2 and segments[0] in YOUTUBE_PATH_PREFIXES:
        candidate = segments[1]
    else:
        candidate = ""
    if not YOUTUBE_ID.match(candidate):
        raise VideoLinkError(_("That YouTube address does not name a video."))
    return candidate


def _vimeo_id(host: str, segments: list[str], query: str) -> str:
    if host == "player.vimeo.com":
        numbers = segments[1:2] if segments[:1] == ["video"] else []
        hashes = parse_qs(query).get("h") or []
    else:
        # vimeo.com/<id>[/<hash>], vimeo.com/channels/<name>/<id>, .../groups/<g>/videos/<id>
        index = next((i for i, s in enumerate(segments) if VIMEO_ID.match(s)), None)
        numbers = [] if index is None else [segments[index]]
        hashes = segments[index + 1 : index + 2] if index is not None else []
    if not numbers or not VIMEO_ID.match(numbers[0]):
        raise VideoLinkError(_("That Vimeo address does not name a video."))
    video_hash = hashes[0] if hashes and VIMEO_HASH.match(hashes[0]) else ""
    return f"{numbers[0]}:{video_hash}" if video_hash else numbers[0]


def embed_url(provider: str, video_id: str) -> str:
    """The privacy-enhanced player's address (load it only once the family presses play)."""
    if provider == YOUTUBE:
        return f"https://www.youtube-nocookie.com/embed/{video_id}"
    if provider == VIMEO:
        number, _sep, video_hash = video_id.partition(":")
        extra = f"&h={video_hash}" if video_hash else ""
        return f"https://player.vimeo.com/video/{number}?dnt=1{extra}"
    raise ValueError(provider)


def watch_url(provider: str, video_id: str) -> str:
    """The video's page at the provider (for staff checking what they linked)."""
    if provider == YOUTUBE:
        return f"https://www.youtube.com/watch?v={video_id}"
    if provider == VIMEO:
        number, _sep, video_hash = video_id.partition(":")
        return (
            f"https://vimeo.com/{number}/{video_hash}"
            if video_hash
            else f"https://vimeo.com/{number}"
        )
    raise ValueError(provider)
