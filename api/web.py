"""The web page at `/` (static HTML/CSS/JS shipped in api/static: no framework, no build step, nothing
fetched from outside) and the one endpoint it needs beyond the job API: a job's difference heat map.
The page itself only calls the public HTTP API."""

import asyncio
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

from api.deps import Owner, RedisDep, SettingsDep
from api.jobs import job_svg
from api.submission import load_job
from shared.diffmap import heat_map_png
from shared.images import decode_image
from workers.jobstore import image_key

STATIC_DIR = Path(__file__).with_name("static")
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
# The assets, by name: a request can only ever name one of these files (no path handling at all).
ASSETS = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file() and p.suffix in MEDIA_TYPES}
DIFF_LIMIT = 2  # heat maps computed at once (each in a thread; the rest are asked to retry)

router = APIRouter()
_diff_in_flight = 0


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    """The web page."""
    return FileResponse(ASSETS["index.html"], media_type=MEDIA_TYPES[".html"],
                        headers={"Cache-Control": "no-cache"})


@router.get("/static/{name}", include_in_schema=False)
async def asset(name: str) -> FileResponse:
    """One of the page's files (CSS, JS)."""
    path = ASSETS.get(name)
    if path is None:
        raise HTTPException(404, f"no file {name}")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})


def upload_heat_map(data: bytes, svg: str) -> bytes:
    """The heat map PNG of an uploaded image's bytes against its SVG (shared.diffmap)."""
    return heat_map_png(decode_image(data).rgba, svg)


@router.get(
    "/v1/jobs/{job_id}/diff.png", response_class=Response,
    summary="Heat map of the per-pixel difference between the input and the rendered SVG",
    description="A PNG the input's size. Each pixel shows the largest RGB channel difference between the "
    "uploaded image and the SVG rendered with the same renderer as the figures, composited over white and "
    "over black like the SSIM: black = identical (a faint grey copy of the input), red → yellow → white = "
    "larger (white from a quarter of full scale, 64 grey levels, up).",
    responses={200: {"content": {"image/png": {}}, "description": "the heat map"},
               404: {"description": "no such job, or its SVG or original upload has expired"},
               409: {"description": "the job has not succeeded (yet)"},
               503: {"description": "busy computing other heat maps, or Redis is unavailable"}})
async def get_job_difference(job_id: str, owner: Owner, redis: RedisDep, settings: SettingsDep) -> Response:
    global _diff_in_flight
    job = await load_job(redis, job_id, owner)
    svg = await job_svg(redis, job)  # 409 unless succeeded, 404 once the SVG expired
    data = await redis.get(image_key(settings.key_prefix, job.image_sha256))
    if data is None:
        raise HTTPException(404, "the original image has expired from the cache; submit it again")
    if _diff_in_flight >= DIFF_LIMIT:
        raise HTTPException(503, "busy computing other heat maps; try again shortly",
                            headers={"Retry-After": "1"})
    _diff_in_flight += 1
    try:  # NumPy and resvg do the work; measured: the event loop stalls < 10 ms while a 2048² map runs
        png = await asyncio.to_thread(upload_heat_map, data, svg)
    finally:
        _diff_in_flight -= 1
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
