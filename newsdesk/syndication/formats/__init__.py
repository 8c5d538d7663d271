"""Partner items in the IPTC formats partners' tools read: ninjs 3.1 and 2.2 (JSON)
and NewsML-G2 2.35 (XML).

Pure functions of :class:`~newsdesk.syndication.items.Item`: no database, no clock
(a NewsML-G2 message is dated by its items), so the same item always gives the
same bytes and a partner's ``If-None-Match`` keeps working. Every output validates
against the schemas IPTC publishes (the tests check it with the copies in
``shared/standards``).
"""

from ._common import JsonObject, JsonValue
from .newsml import newsml_g2, newsml_g2_item
from .ninjs import ninjs2, ninjs3

__all__ = ["JsonObject", "JsonValue", "newsml_g2", "newsml_g2_item", "ninjs2", "ninjs3"]
