"""The web page at `/` (static HTML/CSS/JS shipped in api/static, no build step, nothing fetched from
outside) and the one endpoint it needs beyond the job API: the difference heat map of a job."""

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from api.jobs import Owner, job_svg
from api.submission import load_job
from api.tier1_pool import difference_png
from shared.config import get_settings
from workers.jobstore import image_key

STATIC_DIR = Path(__file__).with_name("static")
router = APIRouter()


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


@router.get("/v1/jobs/{job_id}/diff.png", summary="Heat map of the per-pixel difference between the input "
            "and the rendered SVG (same rendering and compositing as the figures)", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
async def get_job_difference(request: Request, job_id: str, owner: Owner) -> Response:
    job = await load_job(request, job_id, owner)
    svg = await job_svg(request, job)
    data = await request.app.state.redis.get(image_key(get_settings().key_prefix, job.image_sha256))
    if data is None:
        raise HTTPException(404, "the original image has expired; submit it again")
    png = await request.app.state.pool.call(difference_png, data, svg)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
