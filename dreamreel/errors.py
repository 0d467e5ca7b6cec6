"""User-facing errors: raised at the boundary, caught by the CLI and printed as one line."""


class DreamreelError(Exception):
    """A mistake in what the user asked for (bad file, unknown name, bad value); the message says how to fix it."""
