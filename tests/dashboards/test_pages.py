"""The dashboard pages: who sees what, exports, the printable report, and a fixed number of
queries whatever the size of the place."""

import csv
import io

import pytest

pytestmark = pytest.mark.django_db


def test_district_admin_sees_the_district_with_charts_and_tables(dash, client, login):
    login(dash.world.dana)
    assert client.get("/dashboards/")["Location"] == "/dashboards/district/"
    page = client.get("/dashboards/district/").content.decode()
    assert "Family engagement: Lakeside Unified" in page
    assert page.count('<svg class="chart" role="img"') == 4  # trend, grade, language, disadvantage
    assert '<desc id="chart-trend-desc">' in page
    assert f'href="/dashboards/schools/{dash.world.a1.id}/?period=Y2026"' in page
    assert "https://" not in page.split("<main", 1)[1]  # nothing from another origin


def test_viewer_reads_aggregates_only(dash, client, login):
    login(dash.world.vera)
    assert client.get("/")["Location"] == "/overview/"
    assert 'href="/dashboards/"' in client.get("/overview/").content.decode()
    assert client.get("/dashboards/")["Location"] == "/dashboards/district/"
    page = client.get("/dashboards/district/").content.decode()
    assert "Family engagement: Lakeside Unified" in page
    # No names, no way to message or invite, and no classroom family lists.
    assert "C1 Family" not in page and "Send these families a message" not in page
    assert client.get(f"/dashboards/classrooms/{dash.world.room1.id}/").status_code == 403
    assert client.post("/dashboards/district/").status_code == 405


def test_school_admin_is_kept_to_their_school(dash, client, login):
    login(dash.world.priya)
    assert client.get("/dashboards/")["Location"] == f"/dashboards/schools/{dash.world.a1.id}/"
    assert client.get("/dashboards/district/").status_code == 404
    assert client.get(f"/dashboards/schools/{dash.world.a2.id}/").status_code == 404
    assert client.get(f"/dashboards/schools/{dash.world.b1.id}/").status_code == 404
    assert client.get(f"/dashboards/schools/{dash.world.a1.id}/").status_code == 200


def test_another_districts_ids_are_404(dash, client, login):
    login(dash.world.hank)
    for url in (
        f"/dashboards/schools/{dash.world.a1.id}/",
        f"/dashboards/schools/{dash.world.a1.id}/places.csv",
        f"/dashboards/classrooms/{dash.world.room1.id}/",
    ):
        assert client.get(url).status_code == 404, url


def test_teacher_sees_the_families_not_reached_with_one_click_to_message(dash, client, login):
    login(dash.world.tom)
    assert (
        client.get("/dashboards/")["Location"] == f"/dashboards/classrooms/{dash.world.room1.id}/"
    )
    page = client.get(f"/dashboards/classrooms/{dash.world.room1.id}/").content.decode()
    # Joined but nothing this year: nobody in Room 1 (c1..c6 completed); c7 and c8 not joined.
    assert "Invited, not joined yet (2)" in page
    assert "Completed something this period (6)" in page
    assert "Not invited yet (2)" in page  # Mia and Noah's families were never invited
    assert client.get(f"/dashboards/classrooms/{dash.world.room2.id}/").status_code == 404


def test_message_link_preselects_the_families(dash, client, login, frozen):
    from dashboards.queries import get_classroom_dashboard
    from tests.activities.helpers import scope_of

    # Ben (Noah) joins without completing anything: he is "joined, nothing completed".
    dash.world.ben.last_login = frozen
    dash.world.ben.save(update_fields=["last_login"])
    from dashboards.rebuild import refresh_school_snapshot

    refresh_school_snapshot(dash.world.a1)
    scope = scope_of(dash.world.tom)
    _board, families = get_classroom_dashboard(scope, dash.world.room1)
    waiting = [f for f in families if f.status == "not_engaged"]
    assert [f.child_name for f in waiting] == ["Noah Brooks"]
    login(dash.world.tom)
    page = client.get(f"/dashboards/classrooms/{dash.world.room1.id}/").content.decode()
    link = f"/messages/new/?audience_type=guardians&amp;guardian_ids={dash.world.ben.id}"
    assert link in page
    compose = client.get(link.replace("&amp;", "&")).content.decode()
    assert (
        f'value="{dash.world.ben.id}" checked' in compose
        or f'value="{dash.world.ben.id}" selected' in compose
    )


def _csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_exports_hide_what_the_page_hides(dash, client, login):
    login(dash.world.priya)
    base = f"/dashboards/schools/{dash.world.a1.id}"
    rows = _csv(client.get(f"{base}/places.csv"))
    assert rows[0][:3] == ["Classroom", "Families", "Invited"]
    assert rows[1] == ["Room 1", "10", "8", "fewer than 5", "fewer than 5", "7", "6", "8", "60%"]
    language = _csv(client.get(f"{base}/language.csv"))
    assert [row[:2] for row in language[1:]] == [
        ["English", "fewer than 5"],
        ["Español", "fewer than 5"],
    ]
    headline = dict(_csv(client.get(f"{base}/headline.csv"))[1:])
    assert headline["Families"] == "17" and headline["Participation rate"] == "65%"
    assert len(_csv(client.get(f"{base}/trend.csv"))) == 13
    assert client.get(f"{base}/nope.csv").status_code == 404


def test_csv_cells_cannot_run_as_formulas(dash, client, login):
    room = dash.world.room1
    room.name = '=HYPERLINK("http://evil")'
    room.save(update_fields=["name"])
    login(dash.world.priya)
    rows = _csv(client.get(f"/dashboards/schools/{dash.world.a1.id}/places.csv"))
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'


def test_printable_report(dash, client, login):
    login(dash.world.dana)
    page = client.get("/dashboards/district/?period=M2026-11&print=1").content.decode()
    assert "Family engagement report: Lakeside Unified" in page
    assert "This month: 1 November 2026 to 18 November 2026." in page
    assert "<details>" not in page  # every table is printed open
    assert page.count('<svg class="chart"') == 4


@pytest.mark.parametrize(
    "user, url, queries",
    [
        ("dana", "/dashboards/district/", 7),
        ("priya", "/dashboards/schools/{a1}/", 10),
        ("tom", "/dashboards/classrooms/{room1}/", 14),
    ],
)
def test_query_counts_do_not_grow_with_the_place(
    dash, client, login, django_assert_num_queries, user, url, queries
):
    person = getattr(dash.world, user)
    login(person)
    url = url.format(a1=dash.world.a1.id, room1=dash.world.room1.id)
    client.get(url)  # warm the session and the nav cache
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    # Ten more families in Room 1 change no query count.
    from tests.dashboards.conftest import _family

    for n in range(10):
        _family(dash.world, f"x{n}", dash.world.room1, "03")
    client.get(url)  # the new people invalidate the cached session and scopes: warm them again
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_demo_district_dashboard_shows_its_families(client, login):
    """The demo (make demo) fills its classes so that the dashboard has figures to show (its
    messages go out when its transaction commits, as in `make demo`)."""
    from django.core.management import call_command

    from dashboards.queries import get_district_dashboard
    from tenants.models import User
    from tests.activities.helpers import scope_of

    call_command("seed_demo", stdout=io.StringIO())
    diane = User.objects.get(email="diane.okafor@riverbend.example")
    board = get_district_dashboard(scope_of(diane))
    assert board.headline["families"].text == "64"
    assert board.headline["activities_published"].text == "26"  # 22 weekly tasks and Room 1's 4
    assert [row["name"] for row in board.rows] == ["Riverbend Elementary", "Riverbend Middle"]
    assert not any(row["participation"].hidden for row in board.rows)
    assert sum(1 for week in board.trend if not week["families_completed"].hidden) >= 10
    reach = {row["channel"]: row for row in board.reach}
    assert reach["email"]["delivered"].value > 0.9
    login(diane)
    page = client.get("/dashboards/district/").content.decode()
    assert page.count('<svg class="chart"') == 4
    assert client.get("/dashboards/district/places.csv").status_code == 200
    assert client.get("/dashboards/district/?print=1").status_code == 200
