"""Two people editing one story: nothing is silently overwritten."""
