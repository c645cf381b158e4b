"""English and Spanish from the start: every string is translated, pages follow the person."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"


def po_entries(text: str):
    for block in text.split("\n\n"):
        if "msgid" not in block or block.lstrip().startswith("#~"):
            continue
        msgid = "".join(
            re.findall(r'^(?:msgid|msgid_plural)? ?"(.*)"$', block.split("msgstr")[0], re.M)
        )
        msgstrs = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', block, re.M)
        yield (
            block,
            unescape(msgid),
            [unescape("".join([first, *re.findall(r'"(.*)"', rest)])) for first, rest in msgstrs],
        )


def unescape(text: str) -> str:
    """A .po string as gettext reads it: C escapes (\\", \\n, \\t, \\\\) resolved."""
    escapes = {'"': '"', "n": "\n", "t": "\t", "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), text)


def test_every_string_has_a_spanish_translation():
    untranslated = [
        msgid
        for block, msgid, strs in po_entries(PO.read_text())
        if msgid and (not all(strs) or "#, fuzzy" in block)
    ]
    assert untranslated == []


def test_compiled_catalogue_matches_the_sources():
    """The committed .mo says what the .po says (run compilemessages after editing it)."""
    stale = []
    with translation.override("es"):
        for block, msgid, strs in po_entries(PO.read_text()):
            if not msgid or "msgid_plural" in block:
                continue
            context = re.search(r'^msgctxt "(.*)"$', block, re.M)
            if context:
                compiled = translation.pgettext(context.group(1), msgid)
            else:
                compiled = translation.gettext(msgid)
            if compiled != strs[0]:
                stale.append(msgid)
    assert stale == []


def test_spanish_speaker_reads_spanish_pages(world, client, login):
    login(world.ana)
    content = client.get("/family/").content.decode()
    assert "Hola, Ana" in content and "Mi familia" in content and "Cerrar sesión" in content


def test_language_switch_for_anonymous_visitors(db, client):
    client.post("/i18n/setlang/", {"language": "es", "next": "/accounts/login/"})
    content = client.get("/accounts/login/").content.decode()
    assert '<html lang="es">' in content and "Iniciar sesión en Engage" in content
