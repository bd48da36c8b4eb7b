"""The error type every layer raises for a person's mistake (config, input, store location).

It lives below the command line, the jobs queue and the pages so that each can raise and catch it
without importing the others; ``pipeline.cli`` prints it as one line with exit code 2.
"""


class UserError(Exception):
    """A mistake in what the user asked for; shown as one line, never as a traceback."""
