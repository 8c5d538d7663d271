"""Signals the stories app sends; other apps listen, stories never imports them."""

from django.dispatch import Signal

# Sent after commit when a draft story was created from outside copy.
# Arguments: story (StoryPage), actor (User)
story_drafted = Signal()

# Sent after commit when a published story was killed (withdrawn), for partners to
# be told. Arguments: story (StoryPage), path (its former reader path), reason (str)
story_killed = Signal()
