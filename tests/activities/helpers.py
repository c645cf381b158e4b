"""Activities for the named test world, made through the product's actions."""

import io

from PIL import Image

from activities.actions.authoring import (
    QuestionSpec,
    TargetSpec,
    do_create_activity,
    do_publish_activity,
)
from activities.models import Activity, Question
from privacy.audit import Actor
from tenants.models import Role
from tenants.scope import list_scopes_for_user


def scope_of(user, role=None):
    return next(s for s in list_scopes_for_user(user) if role is None or s.role == role)


def family_scope(user):
    return scope_of(user, Role.GUARDIAN)


def quiz_for(world, classroom=None, *, publish=True, **extra) -> Activity:
    """Tom's two-question quiz for Room 1 (the first question is multiple choice)."""
    activity = do_create_activity(
        scope_of(world.tom),
        kind=Activity.Kind.QUIZ,
        title="Counting to ten",
        instructions="Count with your child.",
        targets=[TargetSpec(classroom=classroom or world.room1)],
        questions=[
            QuestionSpec(prompt="2 + 3?", choices=("4", "5", "6"), correct_choice=1),
            QuestionSpec(prompt="Your favourite number?", kind=Question.Kind.SHORT),
        ],
        actor=Actor(user=world.tom),
        **extra,
    )
    return do_publish_activity(activity, actor=Actor(user=world.tom)) if publish else activity


def task_for(world, *, response=Activity.Response.PHOTO, publish=True, **extra) -> Activity:
    """Priya's at-home task for the whole of Lakeside Elementary."""
    activity = do_create_activity(
        scope_of(world.priya),
        kind=Activity.Kind.TASK,
        title="Cook something together",
        instructions="Send a photo of what you made.",
        targets=[TargetSpec(school=world.a1)],
        response=response,
        actor=Actor(user=world.priya),
        **extra,
    )
    return do_publish_activity(activity, actor=Actor(user=world.priya)) if publish else activity


def jpeg_upload(name="photo.jpg", size=(64, 48), color=(200, 40, 40), exif=None):
    data = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        image.save(data, format="JPEG", exif=exif)
    else:
        image.save(data, format="JPEG")
    data.seek(0)
    data.name = name
    data.size = len(data.getvalue())
    return data
