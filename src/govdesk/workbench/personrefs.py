"""Opaque references to a person for workbench URLs, so that no ID number is ever in a URL
(URLs end up in access logs, browser history and Referer headers).

The ID box posts the number; the workbench gives back ``/staff/people/<ref>/``, where ``ref``
is 128 random bits, URL-safe. The number it stands for is held in the signed-in user's
session, nowhere else: the reference says nothing about the person, cannot be decoded, and
resolves only in the session that made it, until it expires (or the user signs out, which
ends the session). A reference found in a log is worth nothing to anyone, its maker included
once it has expired.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Final

from django.contrib.sessions.backends.base import SessionBase

SESSION_KEY: Final = "govdesk.person_refs"
#: How long a reference resolves after it was last issued (a working day at the window).
MAX_AGE_SECONDS: Final = 8 * 60 * 60
#: At most this many people are remembered per session; the oldest is forgotten first.
MAX_REFS: Final = 50


def _now() -> float:
    return time.time()


def _live(session: SessionBase, now: float) -> dict[str, list[Any]]:
    refs = session.get(SESSION_KEY)
    if not isinstance(refs, dict):
        return {}
    return {
        ref: entry
        for ref, entry in refs.items()
        if isinstance(entry, list) and len(entry) == 2 and float(entry[1]) > now
    }


def issue(session: SessionBase, id_number: str) -> str:
    """A reference to ``id_number`` for this session: the same one while it lives (a clerk
    who finds the same resident twice gets the same URL), its life renewed."""
    now = _now()
    refs = _live(session, now)
    ref = next((r for r, (number, _) in refs.items() if number == id_number), None)
    if ref is None:
        ref = secrets.token_urlsafe(16)
    refs.pop(ref, None)
    refs[ref] = [id_number, now + MAX_AGE_SECONDS]
    session[SESSION_KEY] = dict(list(refs.items())[-MAX_REFS:])
    return ref


def resolve(session: SessionBase, ref: str) -> str | None:
    """The ID number ``ref`` stands for in this session, or None (unknown, another session's,
    or expired)."""
    entry = _live(session, _now()).get(ref)
    return str(entry[0]) if entry is not None else None
