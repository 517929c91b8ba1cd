// One result: the verdict (similarity, target, size, why this speed), Download/Copy, the compare views
// (side by side, overlay dragged on the image, difference map; one zoom) and the technical figures.
import { SPEED, api, percent, plainReason, targetText } from "./api.js";

const $ = (id) => document.getElementById(id);
const view = { svgText: "", urls: [] };

export function objectUrl(blob) {
  const url = URL.createObjectURL(blob);
  view.urls.push(url);
  return url;
}

export function bytesText(n) {
  if (n == null) return "";
  if (n < 1024) return `${n} B`;
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;
}

/** 0-1 similarity as the plain label people read first. */
export function similarityLabel(ssim) {
  if (ssim >= 0.995) return "Excellent: hard to tell apart";
  if (ssim >= 0.98) return "Very close: small differences along edges";
  if (ssim >= 0.95) return "Close: some differences you can see";
  if (ssim >= 0.9) return "Rough: clear differences";
  return "Loose: a simplified version of your image";
}

export const reachedTarget = (job) => job.result && job.result.ssim >= (job.target_ssim ?? 0);

function missedAdvice(job) {
  const tier = Number(job.tier);
  const lower = "or lower the quality target";
  if (tier < 3) return `Try Speed: best, which searches longer, ${lower}.`;
  return "Speed: best already searched. A larger time budget (Advanced options) may help, "
    + `${lower}. Photos and soft gradients rarely trace into a small, exact SVG.`;
}

/** A file name that may wrap only after _ - . (a narrow screen never splits it inside a word). */
function breakable(element, text) {
  element.replaceChildren();
  for (const part of text.split(/(?<=[_.-])/)) element.append(part, document.createElement("wbr"));
}

function figureRow(label, text, raw, field) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = label;
  const td = document.createElement("td");
  td.dataset.field = field;
  td.dataset.value = JSON.stringify(raw ?? null);
  if (field === "params") {
    const code = document.createElement("code");
    code.textContent = text;
    td.append(code);
  } else td.textContent = text;
  tr.append(th, td);
  return tr;
}

function showFigures(job) {
  const r = job.result;
  const num = (v, digits) => (typeof v === "number" ? v.toFixed(digits) : "—");
  const count = (v) => (typeof v === "number" ? v.toLocaleString("en") : "—");
  const params = Object.entries(r.params || {}).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n");
  const rows = [
    ["SSIM (similarity, 0-1)", num(r.ssim, 4), r.ssim, "ssim"],
    ["Target SSIM", num(job.target_ssim, 3), job.target_ssim, "target_ssim"],
    ["PSNR", `${num(r.psnr, 1)} dB`, r.psnr, "psnr"],
    ["Bytes", count(r.bytes), r.bytes, "bytes"],
    ["Bytes, gzip", count(r.gzip_bytes), r.gzip_bytes, "gzip_bytes"],
    ["Paths", count(r.paths), r.paths, "paths"],
    ["Tier (requested)", `${job.tier ?? "—"} (${job.requested_tier ?? "—"})`, job.tier, "tier"],
    ["Router's reason", job.reason || "—", job.reason, "reason"],
    ["Image type", r.logo_type || "—", r.logo_type, "logo_type"],
    ["Seconds", num(r.seconds, 2), r.seconds, "seconds"],
    ["Job id", job.id, job.id, "id"],
    ["Configuration", params, r.params, "params"],
  ];
  $("figures").tBodies[0].replaceChildren(...rows.map((row) => figureRow(...row)));
}

function showVerdict(job, originalBytes, hasOriginal) {
  const r = job.result;
  $("similarity").textContent = percent(r.ssim);
  $("similarity-label").textContent = similarityLabel(r.ssim);
  const badge = $("target-badge");
  const reached = reachedTarget(job);
  badge.className = `badge ${reached ? "ok" : "miss"}`;
  badge.textContent = `${reached ? "✓ Reached" : "⚠ Missed"} your quality target of ${targetText(job.target_ssim)}`;
  $("target-advice").textContent = reached ? "" : missedAdvice(job);
  $("target-advice").hidden = reached;
  $("retry-best").hidden = reached || Number(job.tier) >= 3 || !hasOriginal;
  const gzip = r.gzip_bytes ? ` (${bytesText(r.gzip_bytes)} gzipped)` : "";
  $("size").textContent = originalBytes
    ? `${bytesText(originalBytes)} image → ${bytesText(r.bytes)} SVG${gzip}`
    : `${bytesText(r.bytes)} SVG${gzip}`;
  const requested = job.requested_tier ?? (/was requested/.test(job.reason || "") ? String(job.tier) : "auto");
  const auto = requested === "auto";
  $("speed").textContent = `${SPEED[job.tier] || job.tier}${auto ? ", chosen automatically" : ", as you chose"}`;
  // an auto job queued by a gateway that did not keep the router's reason reads "Tier N was requested"
  const kept = job.reason && !(auto && /was requested/.test(job.reason));
  $("why").textContent = kept ? plainReason(job.reason) : `Auto picked ${SPEED[job.tier] || "this speed"} for this image.`;
  for (const id of ["why", "why-label"]) $(id).hidden = !auto;  // only auto has a reason worth reading
}

async function showDiff(jobId) {
  const img = $("diff");
  const note = $("diff-note");
  note.hidden = true;
  img.hidden = false;
  img.removeAttribute("src");
  try {
    img.src = objectUrl(await (await api(`/v1/jobs/${jobId}/diff.png`)).blob());
  } catch (error) {
    img.hidden = true;
    note.textContent = `No difference map: ${error.message}`;
    note.hidden = false;
  }
}

/** Shows a succeeded job; `original` is the uploaded Blob when this browser still has it. */
export async function showResult(job, original, originalBytes) {
  for (const url of view.urls) URL.revokeObjectURL(url);
  view.urls = [];
  view.svgText = await (await api(`/v1/jobs/${job.id}/svg`)).text();
  const svgUrl = objectUrl(new Blob([view.svgText], { type: "image/svg+xml" }));
  const originalUrl = original ? objectUrl(original) : "";
  for (const id of ["original", "overlay-original"]) {
    if (originalUrl) $(id).src = originalUrl; else $(id).removeAttribute("src");
  }
  for (const id of ["preview", "svg-view", "overlay-svg"]) $(id).src = svgUrl;
  $("original-note").hidden = Boolean(originalUrl);
  for (const id of ["view-side-radio", "view-overlay-radio"]) $(id).disabled = !originalUrl;
  if (!originalUrl) $("view-diff-radio").checked = true;
  showViews();
  const download = $("download");
  download.href = svgUrl;
  download.download = `${(job.filename || job.id).replace(/\.[^.]+$/, "")}.svg`;
  breakable($("result-name"), job.filename || `Job ${job.id.slice(0, 8)}`);
  $("copied").textContent = "";
  $("result").dataset.jobId = job.id;
  showVerdict(job, originalBytes || (original && original.size), Boolean(original));
  showFigures(job);
  $("result").hidden = false;
  await showDiff(job.id);
}

async function copySvg() {
  try {
    await navigator.clipboard.writeText(view.svgText);
    $("copied").textContent = "Copied.";
  } catch (_) {
    $("copied").textContent = "This browser does not allow copying here; use Download SVG.";
  }
}

function setOverlay(value) {
  const slider = $("overlay-slider");
  slider.value = String(Math.round(Math.min(100, Math.max(0, value)) * 10) / 10);
  $("overlay-svg").style.clipPath = `inset(0 0 0 ${slider.value}%)`;
  document.querySelector(".overlay .split").style.left = `${slider.value}%`;
  slider.setAttribute("aria-valuetext", `${Math.round(slider.value)} % your image`);
}

// The overlay follows a pointer pressed on the image: the split goes where the pointer is.
function dragOverlay() {
  const overlay = document.querySelector(".overlay");
  const follow = (event) => {
    const box = overlay.getBoundingClientRect();
    setOverlay(((event.clientX - box.left) / box.width) * 100);
  };
  overlay.addEventListener("pointerdown", (event) => {
    overlay.setPointerCapture(event.pointerId);
    overlay.classList.add("dragging");
    follow(event);
    event.preventDefault();
  });
  overlay.addEventListener("pointermove", (event) => {
    if (overlay.hasPointerCapture(event.pointerId)) follow(event);
  });
  const stop = (event) => {
    if (overlay.hasPointerCapture(event.pointerId)) overlay.releasePointerCapture(event.pointerId);
    overlay.classList.remove("dragging");
  };
  overlay.addEventListener("pointerup", stop);
  overlay.addEventListener("pointercancel", stop);
}

// Every view shows the image at the same zoom: the original's pixel size times the factor.
function applyZoom() {
  const zoom = $("zoom").value;
  const width = $("original").naturalWidth || $("diff").naturalWidth || $("svg-view").naturalWidth;
  for (const pane of document.querySelectorAll("#result .pane")) pane.classList.toggle("zoomed", zoom !== "fit");
  const size = zoom === "fit" || !width ? "" : `${width * Number(zoom)}px`;
  for (const id of ["original", "svg-view", "diff"]) $(id).style.width = size;
  document.querySelector(".overlay").style.width = size;
}

function showViews() {
  const chosen = document.querySelector("input[name=view]:checked").value;
  for (const name of ["side", "overlay", "diff"]) $(`view-${name}`).hidden = name !== chosen;
}

function syncScroll(panes) {
  for (const pane of panes) {
    pane.addEventListener("scroll", () => {
      for (const other of panes) {
        if (other === pane) continue;
        if (other.scrollLeft !== pane.scrollLeft) other.scrollLeft = pane.scrollLeft;
        if (other.scrollTop !== pane.scrollTop) other.scrollTop = pane.scrollTop;
      }
    });
  }
}

export function setupResult() {
  $("copy").addEventListener("click", copySvg);
  $("overlay-slider").addEventListener("input", (e) => setOverlay(Number(e.target.value)));
  $("zoom").addEventListener("change", applyZoom);
  for (const id of ["original", "diff", "svg-view"]) $(id).addEventListener("load", applyZoom);
  for (const radio of document.querySelectorAll("input[name=view]")) radio.addEventListener("change", showViews);
  syncScroll(Array.from(document.querySelectorAll("#view-side .pane")));
  dragOverlay();
  setOverlay(50);
}
