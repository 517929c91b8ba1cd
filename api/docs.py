"""The interactive API docs, served entirely by the gateway: Swagger UI at /docs and ReDoc at /redoc,
their JavaScript and CSS as bundled by the `fastapi-offline` package from PyPI (MIT; Swagger UI itself is
Apache-2.0, ReDoc MIT) instead of FastAPI's default CDN links, so the docs work with no internet access
and nothing is vendored here."""

from importlib.resources import files

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

ASSETS_DIR = files("fastapi_offline") / "static"
ASSET_TYPES = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
               "swagger-ui.css": "text/css; charset=utf-8",
               "redoc.standalone.js": "text/javascript; charset=utf-8",
               "favicon.png": "image/png"}
ASSETS_PATH = "/docs-assets"
CACHE = {"Cache-Control": "public, max-age=86400"}


def install(app: FastAPI) -> None:
    """Routes for /docs, /redoc and their assets; the app must be made with docs_url=None and
    redoc_url=None (FastAPI's own routes would link the CDN)."""
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=title,
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url or "/openapi.json", title=title,
                              redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
                              redoc_favicon_url=f"{ASSETS_PATH}/favicon.png", with_google_fonts=False)

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        media_type = ASSET_TYPES.get(name)  # only these names: no path is ever built from the request
        if media_type is None:
            raise HTTPException(404, f"no file {name}")
        return FileResponse(str(ASSETS_DIR / name), media_type=media_type, headers=CACHE)
