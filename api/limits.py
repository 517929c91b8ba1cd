"""A limit on the size of a request body, checked before the multipart parser spools it to disk: an
upload can only be refused after it has been read whole otherwise, so a 10 GB POST would fill the
disk to be told "larger than 20 MB". The limit follows the settings: one upload
(`max_upload_bytes`) for most requests, `max_batch_files` of them for a batch, plus FORM_OVERHEAD_BYTES
for the other form fields and the multipart framing. Over it: 413 with a JSON `detail`, from the
Content-Length header when there is one, else as soon as the streamed body passes the limit."""

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.config import Settings, get_settings

FORM_OVERHEAD_BYTES = 1024 * 1024  # other form fields (overrides, webhook_url, ...) and part headers
BATCH_PATH = "/v1/batches"


def body_limit(path: str, settings: Settings) -> int:
    """The largest request body accepted on `path`, bytes."""
    files = settings.max_batch_files if path == BATCH_PATH else 1
    return files * settings.max_upload_bytes + FORM_OVERHEAD_BYTES


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"], get_settings())
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(limit, send)
            return
        received, over, refused = 0, False, False

        async def counting_receive() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # end the body here; the app's answer is replaced by the 413
                    over = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def replacing_send(message: Message) -> None:
            nonlocal refused
            if not over:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(limit, send)

        await self.app(scope, counting_receive, replacing_send)
        if over and not refused:
            await self._refuse(limit, send)

    @staticmethod
    async def _refuse(limit: int, send: Send) -> None:
        detail = f"the request body is larger than the {limit / 1_048_576:g} MB limit for this endpoint"
        await JSONResponse({"detail": detail}, status_code=413)({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
