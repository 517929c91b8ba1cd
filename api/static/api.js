// The public HTTP API, and its answers in plain words (what went wrong, and what to try).
const KEY = "svgai-key";
const RETRIES = 5; // polls that meet 429/503/no connection wait and try again this many times
export const SPEED = { 1: "fast", 2: "balanced", 3: "best" };

export class ApiError extends Error {
  constructor(message, status, retryAfter, detail) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
    this.detail = detail;
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const hooks = { unauthorised: () => {} };

export function apiKey() { return sessionStorage.getItem(KEY) || ""; }
export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
}

const FIELDS = { target_ssim: "Quality target", budget_s: "Time budget", tier: "Speed",
  overrides: "Tracing parameters", file: "File", files: "Files" };

/** Percent for a 0-1 similarity: floored, so a figure shown never overstates the measurement. */
export function percent(value) {
  return `${(Math.floor(value * 1000 + 1e-9) / 10).toFixed(1)} %`;
}

/** A quality target (0-1) as people set it: 98 %, 99.5 %. */
export const targetText = (value) => `${Number((Number(value) * 100).toFixed(2))} %`;

// Server wording made friendlier: 16,777,216 pixels reads 4096 × 4096 pixels, field names in words.
export function friendlyDetail(detail) {
  return String(detail)
    .replace(/(\d{1,3}(?:,\d{3})+) pixels/g, (match, n) => {
      const value = Number(n.replace(/,/g, ""));
      const side = Math.round(Math.sqrt(value));
      return side * side === value ? `${side} × ${side} pixels` : match;
    })
    .replace(/(\d+)x(\d+) pixels/g, "$1 × $2 pixels")
    .replace(/\b(target_ssim|budget_s|overrides)\b/g, (m) => FIELDS[m].toLowerCase());
}

function fieldError(error) {
  const field = (error.loc || []).slice(-1)[0];
  let message = String(error.msg || "is not valid").replace(/^Input should be /, "should be ")
    .replace("less than or equal to", "at most").replace("greater than or equal to", "at least");
  if (field === "target_ssim") {  // the page asks in percent; the API counts 0-1
    message = message.replace(/\d*\.?\d+/g, (n) => `${Number((Number(n) * 100).toFixed(2))} %`);
  }
  return `${FIELDS[field] || field || "A field"} ${message}`;
}

function plainWords(status, detail, retryAfter) {
  switch (status) {
    case 401: return `An API key is needed: enter it below and convert again (${detail}).`;
    case 404: return `Not found: ${detail}. It may have expired, or belong to another API key.`;
    case 409: return `Not ready: ${detail}.`;
    case 413: return `Too large: ${detail}. Try a smaller or scaled-down image.`;
    case 415: return `Not an image svgai accepts: ${detail}. Use a PNG, JPEG, WebP, AVIF, GIF or ICO file.`;
    case 422: return `svgai cannot use this: ${detail}.`;
    case 429: return `Too many requests with this key; try again in ${retryAfter || "a few"} s.`;
    case 503: return `The service is busy or restarting: ${detail}. Try again shortly.`;
    default: return `The service answered ${status}: ${detail}.`;
  }
}

export async function api(path, options = {}) {
  let response;
  const key = apiKey();
  const headers = { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(options.headers || {}) };
  try {
    response = await fetch(path, { ...options, headers });
  } catch (_) {
    throw new ApiError("The svgai service cannot be reached; check that it is running, then try again.", 0);
  }
  if (response.ok) return response;
  let detail = response.statusText || "no details";
  try {
    const body = await response.json();
    if (typeof body.detail === "string") detail = friendlyDetail(body.detail);
    else if (Array.isArray(body.detail)) detail = body.detail.map(fieldError).join("; ");
  } catch (_) { /* not JSON: keep the status text */ }
  const retryAfter = response.headers.get("Retry-After");
  if (response.status === 401) hooks.unauthorised();
  throw new ApiError(plainWords(response.status, detail, retryAfter), response.status, retryAfter, detail);
}

/** GET JSON, riding out short outages while polling: rate limits, a busy or restarting service. */
export async function poll(path) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await (await api(path)).json();
    } catch (error) {
      if (![0, 429, 503].includes(error.status) || attempt > RETRIES) throw error;
      await sleep(1000 * (Number(error.retryAfter) || attempt));
    }
  }
}

/** A failed job's reason in plain words, with what to try next. */
export function failureText(job) {
  const error = String(job.error || "");
  if (/time limit|timelimit|timeout/i.test(error)) {
    return "This image took longer than the time allowed. Try a smaller image, Speed: fast, "
      + "or a lower quality target.";
  }
  if (/expired/i.test(error)) return "The upload expired before it was converted. Convert it again.";
  if (/internal error/i.test(error)) {
    return "Something went wrong on the server (it was logged). Try again, or try Speed: fast.";
  }
  const reason = error ? `${friendlyDetail(error).replace(/\.$/, "")}. ` : "";
  return `Could not convert: ${reason}Try a smaller image, Speed: fast, or a lower quality target.`;
}

/** The router's reason in words: tiers by their speed names, SSIM and targets as percentages. */
export function plainReason(reason) {
  if (!reason) return "";
  const text = String(reason)
    .replace(/Tier ([123]) was requested/, (m, t) => `you chose Speed: ${SPEED[t]}`)
    .replace(/Tier ([123])/g, (m, t) => `Speed: ${SPEED[t]}`)
    .replace(/\(p = (\d*\.?\d+)\)/, (m, p) => `(${Math.round(Number(p) * 100)} % sure)`)
    .replace(/(SSIM|target) (0?\.\d+|1)\b/g, (m, what, v) =>
      `${what === "SSIM" ? "similarity" : "target"} ${Number((Number(v) * 100).toFixed(1))} %`)
    .replace(/the router model/g, "the model")
    .replace(/\bone pass\b/g, "one pass (fast)")
    .replace(/a few measured candidates/g, "a few measured tries (balanced)")
    .replace(/the measured search/g, "the longer search (best)")
    .replace(/\ba search\b/g, "the longer search");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
