"""What the agency's own mail server found about a message's sender: SPF, DKIM, DMARC.

The front mail server (the MX that receives the agency's mail) checks each message
and records what it found in an ``Authentication-Results`` header (RFC 8601), naming
itself first: ``Authentication-Results: mx.news.example; spf=pass ...; dkim=pass
...; dmarc=pass ...``. It adds exactly one, at the top, so only the topmost header
is believed, and only when it carries that name (``NEWSDESK_TRUSTED_AUTHSERV_ID``):
a sender can write any header into a message, even one naming our server, but not
above the one the receiving server adds on arrival.

Pure functions over header values; the service decides what a failure means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

METHODS = ("spf", "dkim", "dmarc")
# A result the sender's domain says is a forgery, or a check that could not be done
# because the domain's own records are broken.
FAILED = frozenset({"fail", "permerror"})

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z][a-z0-9_.-]*)\s*=\s*([a-z]+)", re.I)


@dataclass(frozen=True)
class AuthenticationResults:
    """The results the trusted server recorded, by method (each result it gave)."""

    checked: bool
    results: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def passed(self, method: str) -> bool:
        return "pass" in self.results.get(method, ())

    def failed(self, method: str) -> bool:
        return any(result in FAILED for result in self.results.get(method, ()))

    def as_json(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            **{m: list(r) for m, r in self.results.items()},
        }


def authentication_read(
    headers: Iterable[str], *, authserv_id: str
) -> AuthenticationResults:
    """Read the topmost Authentication-Results header, if the trusted server added it.

    ``headers`` are given top first. Nothing is believed (``checked`` False) with no
    ``authserv_id`` configured, or when the topmost header names another server.
    """
    if not authserv_id:
        return AuthenticationResults(checked=False)
    topmost = next(iter(headers), None)
    if topmost is None:
        return AuthenticationResults(checked=False)
    text = _COMMENT.sub(" ", " ".join(str(topmost).split()))
    server, _, rest = text.partition(";")
    name = server.strip().split(" ")[0].lower() if server.strip() else ""
    # Our front server adds one header, at the top; every other one came with the
    # message, and one naming our server that our server did not add is a forgery
    # (RFC 8601, section 5).
    if name != authserv_id.strip().lower():
        return AuthenticationResults(checked=False)
    found: dict[str, list[str]] = {}
    for clause in rest.split(";"):
        match = _RESULT.match(clause)
        if match is None:
            continue
        method = match.group(1).lower()
        if method in METHODS:
            found.setdefault(method, []).append(match.group(2).lower())
    return AuthenticationResults(
        checked=True, results={m: tuple(r) for m, r in found.items()}
    )


def authentication_failure(results: AuthenticationResults) -> str:
    """Return why a message's sender looks forged, or "" when it does not.

    DMARC failing is the domain's own word that the mail is not theirs. Without a
    DMARC result, a message neither SPF nor DKIM vouches for, and that one of them
    rejects, is treated the same way.
    """
    if not results.checked:
        return ""
    if results.failed("dmarc"):
        return (
            "The sender's domain says this message is not from it (DMARC failed): "
            "it may be forged."
        )
    if "dmarc" not in results.results or not results.passed("dmarc"):
        vouched = results.passed("spf") or results.passed("dkim")
        rejected = results.failed("spf") or results.failed("dkim")
        if rejected and not vouched:
            which = " and ".join(
                m.upper() for m in ("spf", "dkim") if results.failed(m)
            )
            return (
                f"The sender's address did not check out ({which} failed): "
                "it may be forged."
            )
    return ""
