"""The one error type of exporting: a run or an output path that cannot be exported as asked."""

from zoo.errors import UserError


class ExportError(UserError):
    """Raised with a message that names the run or path and what to do instead."""
