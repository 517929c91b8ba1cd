"""The exception types that carry a message meant for the user (CLI text or HTTP `detail`)."""


class SvgaiError(Exception):
    """Base class: every expected failure of the core is one of these, with a readable message."""


class InputImageError(SvgaiError):
    """The uploaded bytes are not an image we accept (empty, corrupt, wrong format, too large, a bomb)."""

    def __init__(self, message: str, *, too_large: bool = False, unsupported: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large
        self.unsupported = unsupported

    def __reduce__(self) -> tuple:  # keep the flags when raised in a pool process and re-raised here
        return (_rebuild_input_error, (str(self), self.too_large, self.unsupported))


def _rebuild_input_error(message: str, too_large: bool, unsupported: bool) -> InputImageError:
    return InputImageError(message, too_large=too_large, unsupported=unsupported)


class ParameterError(SvgaiError):
    """A conversion parameter is unknown or outside its allowed range."""
