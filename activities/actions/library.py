"""The district library: district admins keep activity templates; schools copy them.

A template is an Activity with `is_template=True` and no school (written with
`authoring.do_create_activity(..., is_template=True)` and edited like any activity). Copying one
makes a new draft of the copier's school with `template` naming the original, the same content,
translations and questions, and the targets the copier chose (checked in their scope like any
other). The copy is the school's own from then on: editing the template later does not change it.

An attached file is re-saved as a file of the copy's own through the media pipeline
(`activities.attachments.do_set_activity_attachment`: checked again, private name under the district),
not shared by reference, so replacing or deleting either activity's attachment (the media code
deletes a replaced file) never touches the other's. A template's file that can no longer be read
leaves the copy without it (AttachmentRejected), rather than refusing the copy.
"""

import logging
import os

from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from activities.actions.authoring import (
    AuthoringError,
    QuestionSpec,
    TargetSpec,
    do_create_activity,
)
from activities.attachments import do_set_activity_attachment
from activities.media import AttachmentRejected
from activities.models import Activity
from activities.video import watch_url
from privacy.audit import Actor
from tenants.scope import Scope

logger = logging.getLogger(__name__)


@transaction.atomic
def do_copy_template(
    scope: Scope, template: Activity, *, targets: list[TargetSpec] = (), actor: Actor
) -> Activity:
    """A draft copy of `template` (from access_template) in the scope's school."""
    if not template.is_template:
        raise AuthoringError(_("Only library templates can be copied."))
    if scope.school is None:
        raise AuthoringError(_("Copy a template from a school's account."))
    copy = do_create_activity(
        scope,
        kind=template.kind,
        title=template.title,
        instructions=template.instructions,
        translations=template.translations,
        targets=targets,
        questions=[
            QuestionSpec(
                prompt=q.prompt,
                kind=q.kind,
                choices=tuple(q.choices),
                correct_choice=q.correct_choice,
                translations=q.translations,
            )
            for q in template.questions.all()
        ],
        points=template.points,
        response=template.response,
        is_answer_revealed=template.is_answer_revealed,
        video_url=watch_url(template.video_provider, template.video_id)
        if template.video_id
        else "",
        body_html=template.body_html,
        template=template,
        actor=actor,
    )
    if template.attachment:
        _copy_attachment(template, copy)
    return copy


def _copy_attachment(template: Activity, copy: Activity) -> None:
    try:
        with template.attachment.open("rb") as source:
            name = os.path.basename(template.attachment.name)
            do_set_activity_attachment(copy, File(source, name=name))
    except (AttachmentRejected, OSError):
        logger.warning(
            "activities.library.attachment_not_copied", extra={"template_id": template.id}
        )
