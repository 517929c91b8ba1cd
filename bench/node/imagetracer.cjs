// Traces raw RGBA files with ImageTracer.js defaults. Reads a JSON job list on stdin:
// [{"rgba": path, "width": w, "height": h, "svg": out_path}, ...]; writes each SVG and prints ms per job.
const fs = require("fs");
const ImageTracer = require("imagetracerjs");

const jobs = JSON.parse(fs.readFileSync(0, "utf8"));
const times = [];
for (const job of jobs) {
  const data = new Uint8ClampedArray(fs.readFileSync(job.rgba));
  const t0 = process.hrtime.bigint();
  const svg = ImageTracer.imagedataToSVG({ width: job.width, height: job.height, data }, "default");
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  fs.writeFileSync(job.svg, svg);
}
process.stdout.write(JSON.stringify(times));
