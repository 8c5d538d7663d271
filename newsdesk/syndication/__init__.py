"""Syndication: partners and their keys, the change log partners pull and are
pushed, and the formats they take (IPTC ninjs, NewsML-G2)."""
