"""A guardian's pages on a slow phone network (issue 5, item 2): at most 60 KB transferred for a
feed page, photos aside, and nothing from another origin.

What the browser fetches: the HTML (counted as sent, uncompressed) and the stylesheet and scripts
it links, which whitenoise serves pre-compressed (counted gzipped, as every browser accepts gzip).
"""

import gzip
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.activities.helpers import quiz_for, task_for

pytestmark = pytest.mark.django_db
BUDGET = 60 * 1024


def transferred(html: str) -> tuple[int, list[str]]:
    """Bytes the page costs, and the assets it links."""
    assets = re.findall(r'<(?:link[^>]+href|script[^>]+src)="([^"]+)"', html)
    total = len(html.encode())
    for url in assets:
        path = finders.find(re.sub(r"^/static/", "", url))
        assert path, f"{url} is not one of our static files"
        with open(path, "rb") as handle:
            total += len(gzip.compress(handle.read(), compresslevel=9))
    return total, assets


@pytest.mark.parametrize("page", ["home", "feed", "activity"])
def test_C5_a_family_page_stays_under_60_kb_and_on_our_origin(world, client, login, page):
    for _ in range(8):
        quiz_for(world)
    task = task_for(world)
    login(world.ben)
    url = {
        "home": "/family/",
        "feed": reverse("family_activities:feed", args=[world.noah.id]),
        "activity": reverse("family_activities:activity", args=[world.noah.id, task.id]),
    }[page]
    html = client.get(url).content.decode()
    total, assets = transferred(html)
    assert total <= BUDGET, f"{url}: {total} bytes"
    assert not re.search(r'(?:src|href|action)="(?:https?:)?//', html), "another origin"
    assert all(asset.startswith("/static/") for asset in assets)
