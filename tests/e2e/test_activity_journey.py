"""The activity loop of the demo in a real browser (issue 5's acceptance): a teacher creates and
publishes a quiz and an at-home task; a guardian on a 360 px phone completes both, with a photo;
the teacher returns one with feedback; the leaderboard moves; another guardian of the same
classroom reaches the first family's photo by no URL."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from PIL import Image

from activities.models import Submission, SubmissionPhoto
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 09:00 in Riverbend (Chicago) on a Monday: families hear of a new activity at once.
MORNING = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)
PASSWORD = "riverbend-demo-2026"


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    with time_machine.travel(MORNING - datetime.timedelta(days=3), tick=True):
        call_command("seed_demo", verbosity=0, stdout=io.StringIO())


def sign_in(page, email, *, shot: bool = False):
    page.go("/accounts/login/")
    if shot:
        page.shot("sign-in")
    page.page.fill("#id_login", email)
    page.page.fill("#id_password", PASSWORD)
    page.page.get_by_role("button", name="Sign in", exact=True).click()
    page.page.wait_for_url(lambda url: "/accounts/login/" not in url)


def photo_file(tmp_path):
    path = tmp_path / "shapes.jpg"
    Image.new("RGB", (1200, 900), (30, 120, 200)).save(path, format="JPEG")
    return path


def test_teacher_family_teacher_and_the_leaderboard(demo, open_page, tmp_path):
    with time_machine.travel(MORNING, tick=True):
        teacher = open_page(DESKTOP)
        sign_in(teacher, "tara.brooks@riverbend.example", shot=True)
        teacher.shot("teacher-home")
        # A quiz with one multiple-choice question, for Room 1.
        teacher.go("/activities/new/?kind=quiz")
        teacher.shot("new-quiz")
        teacher.page.fill("#id_title", "Shapes quiz")
        teacher.page.fill("#id_q-0-prompt", "How many sides has a triangle?")
        teacher.page.fill("#id_q-0-choices", "2\n3\n4")
        teacher.page.select_option("#id_q-0-correct_choice", "2")
        teacher.page.check("input[name=targets][value^=classroom]")
        teacher.page.get_by_role("button", name="Save as draft").click()
        teacher.page.get_by_role("button", name="Publish now").wait_for()
        teacher.shot("quiz-draft")
        teacher.page.get_by_role("button", name="Publish now").click()
        teacher.page.wait_for_selector("text=Published: the families are being told.")
        teacher.shot("quiz-published")
        # An at-home task asking for a photo.
        teacher.go("/activities/new/?kind=task")
        teacher.page.fill("#id_title", "Build a tower")
        teacher.page.fill("#id_instructions", "Build a tower with your child and send a photo.")
        teacher.page.select_option("#id_response", "photo")
        teacher.page.check("input[name=targets][value^=classroom]")
        teacher.shot("new-task")
        teacher.page.get_by_role("button", name="Save as draft").click()
        teacher.page.get_by_role("button", name="Publish now").click()
        teacher.page.wait_for_selector("text=Published: the families are being told.")
        teacher.shot("task-published")

        # James (Ava's father, Room 1) on his phone.
        phone = open_page(PHONE)
        sign_in(phone, "james.carter@riverbend.example", shot=True)
        phone.go("/family/")
        all_activities = phone.page.get_by_role(
            "link", name=re.compile(r"All activities \(\d+ to do\)")
        )
        all_activities.first.wait_for()
        assert phone.fits_width()
        phone.shot("home-with-activities")
        all_activities.first.click()
        phone.shot("feed")
        phone.page.get_by_role("link", name="Shapes quiz").click()
        phone.page.get_by_label("3", exact=True).check()
        phone.shot("quiz")
        phone.page.get_by_role("button", name="Send").click()
        phone.page.wait_for_selector("text=Sent! The teacher will have a look.")
        assert phone.fits_width()
        phone.shot("quiz-sent")
        phone.page.get_by_role("link", name="Ava's activities").click()
        phone.page.get_by_role("link", name="Build a tower").click()
        phone.page.set_input_files("input[name=photos]", str(photo_file(tmp_path)))
        phone.shot("task")
        phone.page.get_by_role("button", name="Send").click()
        phone.page.wait_for_selector("text=Sent! The teacher will have a look.")
        phone.page.wait_for_selector("img[alt='A photo you sent']")
        assert phone.fits_width()
        phone.shot("task-sent")
        ava_board = phone.page.url.split("/activities/")[0] + "/leaderboard/"
        phone.go(ava_board)
        phone.shot("leaderboard")
        before = phone.page.locator("li.mine").inner_text()
        assert re.search(r"Ava C\..*3 activities", before)  # the earlier quiz and these two

        # The teacher returns the photo with feedback.
        teacher.go("/review/")
        teacher.shot("review")
        # The demo's queue is long (oldest first): the teacher opens this submission itself.
        tower = Submission.objects.get(activity__title="Build a tower")
        teacher.go(f"/review/submissions/{tower.id}/")
        teacher.shot("submission")
        feedback = teacher.page.get_by_label("Feedback for the family")
        feedback.fill("Lovely tower! Can you make it taller?")
        teacher.page.get_by_role("button", name=re.compile("Return with feedback")).click()
        teacher.page.wait_for_selector("text=Returned with your feedback.")
        teacher.shot("returned")

        phone.go("/family/")
        phone.page.get_by_role("link", name=re.compile("Portfolio")).first.click()
        phone.page.wait_for_selector("text=Lovely tower! Can you make it taller?")
        phone.shot("portfolio-feedback")

        # Lucía (Mateo, Room 1) completes the quiz: the leaderboard moves.
        other = open_page(PHONE)
        sign_in(other, "lucia.hernandez@riverbend.example")
        other.go("/family/")
        other.page.get_by_role("link", name=re.compile("Todas las actividades")).first.click()
        other.page.get_by_role("link", name="Shapes quiz").click()
        other.page.get_by_label("3", exact=True).check()
        other.page.get_by_role("button", name="Enviar").click()
        other.page.wait_for_selector("text=¡Enviado!")
        mateo_board = other.page.url.split("/activities/")[0] + "/leaderboard/"
        other.go(mateo_board)
        other.shot("leaderboard-es")
        assert re.search(r"Mateo H\..*2 actividades", other.page.locator("li.mine").inner_text())

        # Lucía reaches James's photo by no URL.
        photo = SubmissionPhoto.objects.get()
        for path in (
            f"/files/family/photos/{photo.id}/image/",
            f"/files/family/photos/{photo.id}/thumbnail/",
            f"/files/review/photos/{photo.id}/image/",
            f"/files/district/photos/{photo.id}/image/",
        ):
            response = other.page.request.get(other.base_url + path, max_redirects=0)
            assert response.status in (403, 404), (path, response.status)
        response = phone.page.request.get(
            phone.base_url + f"/files/family/photos/{photo.id}/image/"
        )
        assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    assert phone.origins == {phone.base_url} and other.origins == {other.base_url}
