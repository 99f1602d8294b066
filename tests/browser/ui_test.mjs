// fluxgen serve's browser UI in a real headless Chromium (Debian's /usr/bin/chromium through
// puppeteer-core), against `fluxgen serve --port 0` on the tiny fixture models. Each test saves a
// screenshot into FLUXGEN_SCREENSHOTS.
//
//   FLUXGEN_BINARY=build/fluxgen FLUXGEN_FIXTURES=tests/fixtures FLUXGEN_SCREENSHOTS=build/browser \
//     node --test tests/browser/ui_test.mjs
// Exits 77 (ctest's skip) when no Chromium is installed.
import { after, before, beforeEach, afterEach, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { api, makeModelsDir, setField, startServer, text, value, waitFor } from "./support.mjs";

const browserPath = process.env.CHROMIUM ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));
if (!browserPath || !fs.existsSync(browserPath)) {
  console.log("SKIP: no Chromium (apt-get install chromium, or set CHROMIUM=/path/to/chrome)");
  process.exit(77);
}
for (const v of ["FLUXGEN_BINARY", "FLUXGEN_FIXTURES", "FLUXGEN_SCREENSHOTS"])
  if (!process.env[v]) throw new Error(`${v} is not set (see the comment at the top of ui_test.mjs)`);
let puppeteer;
try {
  puppeteer = (await import("puppeteer-core")).default;
} catch (e) {
  throw new Error(`puppeteer-core is not installed in tests/browser (tools/install_deps.sh runs npm ci there): ${e.message}`);
}

const shots = process.env.FLUXGEN_SCREENSHOTS;
fs.mkdirSync(shots, { recursive: true });
let server;
let browser;
let page;
let problems;  // errors the page reported itself

before(async () => {
  server = await startServer(process.env.FLUXGEN_BINARY, makeModelsDir(process.env.FLUXGEN_FIXTURES));
  // A preview at every step, so even short jobs show one.
  await api(server.url, "/sdapi/v1/options", { show_progress_every_n_steps: 1, show_progress_type: "Approx cheap" });
  browser = await puppeteer.launch({
    executablePath: browserPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  const code = await server?.stop();
  assert.equal(code, 0, `fluxgen serve exited with ${code}:\n${server?.log()}`);
});

beforeEach(async () => {
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // Chromium logs every 4xx answer; those the tests provoke are checked where they happen.
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()))
      problems.push(`console: ${m.text()}`);
  });
  await page.goto(server.url + "/", { waitUntil: "load" });
  await waitFor(page, "the catalogs to load", () => document.body.dataset.ready === "true");
});

afterEach(async (t) => {
  const name = t.name.replace(/[^a-z0-9]+/gi, "_").toLowerCase();
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
  await page.close();
  assert.deepEqual(problems, [], "the page reported errors");
});

// A quick job: 64x64, few steps, fixed seed.
async function smallJob(steps = 2, seed = 42) {
  await setField(page, "prompt", "a red fox in the snow");
  await setField(page, "steps", steps);
  await setField(page, "width", 64);
  await setField(page, "height", 64);
  await setField(page, "seed", seed);
}

async function generateAndWait(what) {
  const before = await page.$$eval("#gallery img", (l) => l.length);
  await page.click("#generate");
  await waitFor(page, what, (n) => document.querySelectorAll("#gallery img").length > n, before, 60000);
  return text(page, "infotext");
}

test("txt2img shows the image and its infotext", async () => {
  await smallJob(3, 42);
  // Ctrl+Enter generates as the button does.
  await page.focus("#prompt");
  await page.keyboard.down("Control");
  await page.keyboard.press("Enter");
  await page.keyboard.up("Control");
  await waitFor(page, "the result image", () => !document.getElementById("result").hidden, undefined, 60000);
  const info = await text(page, "infotext");
  assert.match(info, /^a red fox in the snow\n/);
  assert.match(info, /Steps: 3, Sampler: \[Forge\] Flux Realistic, Schedule type: Simple/);
  assert.match(info, /Seed: 42, Size: 64x64/);
  assert.match(info, /Model: flux_e2e/);
  const size = await page.$eval("#result", (img) => [img.naturalWidth, img.naturalHeight, img.src.slice(0, 22)]);
  assert.deepEqual(size, [64, 64, "data:image/png;base64,"]);
  assert.equal(await page.$$eval("#gallery img", (l) => l.length), 1);
  assert.match(await text(page, "progress-text"), /Done: 1 image\(s\), seed 42/);
  // The seed can be reused after a random one.
  await setField(page, "seed", -1);
  await page.click("#seed-reuse");
  assert.equal(await value(page, "seed"), "42");
});

test("progress advances and the live preview appears", async () => {
  await smallJob(40, 7);
  await setField(page, "n_iter", 2);
  await page.click("#generate");
  const stepOf = () => {
    const m = /Step (\d+)\/40/.exec(document.getElementById("progress-text").textContent);
    return m ? Number(m[1]) : 0;
  };
  const first = await waitFor(page, "a first step", stepOf);
  const later = await waitFor(page, "a later step", (f) => {
    const m = /Step (\d+)\/40/.exec(document.getElementById("progress-text").textContent);
    return m && Number(m[1]) > f ? Number(m[1]) : 0;
  }, first);
  assert.ok(later > first);
  await waitFor(page, "the live preview", () => {
    const p = document.getElementById("preview");
    return !p.hidden && p.src.startsWith("data:image/png;base64,") && p.naturalWidth > 0;
  });
  const bar = await page.$eval("#progress-bar", (b) => parseFloat(b.style.width));
  assert.ok(bar > 0 && bar < 100, `progress bar at ${bar}%`);
  assert.match(await text(page, "progress-text"), /image \d\/2/);
  assert.match(await text(page, "queue-text"), /Server: running/);
  await page.screenshot({ path: path.join(shots, "progress_mid_run.png") });
  await waitFor(page, "the end of the job", () => document.querySelectorAll("#gallery img").length === 2, undefined, 60000);
});

test("Interrupt stops a long job", async () => {
  await smallJob(150, 9);
  await setField(page, "n_iter", 50);
  const started = Date.now();
  await page.click("#generate");
  await waitFor(page, "the job to start", () => /Step [1-9]/.test(document.getElementById("progress-text").textContent));
  await page.click("#interrupt");
  await waitFor(page, "the interrupted answer", () => /Interrupted/.test(document.getElementById("progress-text").textContent), undefined, 30000);
  assert.ok(Date.now() - started < 30000, "the interrupt did not stop the job promptly");
  const q = await api(server.url, "/fluxgen/v1/queue");
  assert.equal(q.running, false);
  assert.equal(await page.$eval("#interrupt", (b) => b.disabled), true);
});

test("a preset fills the fields", async () => {
  await page.click('#presets button[data-preset="quality"]');
  assert.equal(await value(page, "steps"), "12");
  assert.equal(await value(page, "sampler"), "[Forge] Flux Realistic");
  assert.equal(await value(page, "scheduler"), "Simple");
  assert.equal(await value(page, "storage"), "bnb-nf4 (fp16 LoRA)");
  assert.equal(await value(page, "enable_hr"), true);
  assert.equal(await value(page, "hr_second_pass_steps"), "8");
  assert.equal(await value(page, "hr_upscaler"), "4x-UltraSharp");
  assert.equal(await value(page, "ad_enable"), true);
  assert.equal(await value(page, "ad_steps"), "18");
  assert.equal(await value(page, "ad_model"), "face_yolov8s.pt");
  await page.click('#presets button[data-preset="max"]');
  assert.equal(await value(page, "steps"), "16");
  assert.equal(await value(page, "sampler"), "[Forge] Flux Realistic (1.25x Slow)");
  assert.equal(await value(page, "storage"), "float8-e4m3fn (fp16 LoRA)");
  // What the preset names but is not installed is marked so, and the server says so at the field.
  assert.match(await page.$eval("#hr_upscaler", (s) => s.selectedOptions[0].text), /not installed/);
  await smallJob(2);
  await page.click("#generate");
  await waitFor(page, "the upscaler error", () => document.getElementById("error-hr_upscaler").textContent.length > 0);
  assert.match(await text(page, "error-hr_upscaler"), /4x-UltraSharp/);
  await page.$eval("#hires-panel", (d) => { d.open = true; });
  await page.$eval("#adetailer-panel", (d) => { d.open = true; });
});

test("a LoRA insert lands in the prompt and is used", async () => {
  await smallJob(2);
  await page.select("#lora", "e2e_lora");
  await setField(page, "lora-weight", 0.6);
  assert.equal(await text(page, "lora-weight-value"), "0.6");
  await page.click("#lora-insert");
  assert.equal(await value(page, "prompt"), "a red fox in the snow <lora:e2e_lora:0.6>");
  // A second insert changes the weight instead of adding a tag.
  await setField(page, "lora-weight", 0.8);
  await page.click("#lora-insert");
  assert.equal(await value(page, "prompt"), "a red fox in the snow <lora:e2e_lora:0.8>");
  // A snippet is one click.
  await page.click('#snippets button[data-snippet="lighting"]');
  assert.match(await value(page, "prompt"), /<lora:e2e_lora:0\.8>, natural daylight, soft lighting/);
  await page.click('#snippets button[data-snippet="negative"]');
  assert.match(await value(page, "negative_prompt"), /^artificial, plastic skin/);
  const info = await generateAndWait("the LoRA image");
  assert.match(info, /<lora:e2e_lora:0\.8>/);
  assert.match(info, /Lora hashes: "e2e_lora: [0-9a-f]+"/);
});

test("a bad value shows the server's message at that field", async () => {
  await smallJob(2);
  await page.click("#steps", { clickCount: 3 });
  await page.keyboard.type("1000");
  await page.click("#generate");
  await waitFor(page, "the steps error", () => document.getElementById("error-steps").textContent.length > 0);
  assert.equal(await text(page, "error-steps"), "must be between 1 and 150, got 1000");
  assert.equal(await page.$eval("#steps", (el) => el.classList.contains("invalid")), true);
  assert.match(await text(page, "banner"), /steps: must be between 1 and 150/);
  assert.equal(await page.$$eval("#gallery img", (l) => l.length), 0);
  // A 404 naming a nested field lands at that field too.
  await page.screenshot({ path: path.join(shots, "bad_value_steps.png") });
  await setField(page, "steps", 2);
  await setField(page, "prompt", "a fox <lora:no_such_lora:1>");
  await page.click("#generate");
  await waitFor(page, "the prompt error", () => document.getElementById("error-prompt").textContent.length > 0);
  assert.match(await text(page, "error-prompt"), /LoRA "no_such_lora" .* not found/);
  assert.equal(await text(page, "error-steps"), "");
});

test("PNG Info on a dropped file fills the settings", async () => {
  const answer = await api(server.url, "/sdapi/v1/txt2img", {
    prompt: "png info prompt", negative_prompt: "nothing blurry", seed: 777, steps: 3, width: 48, height: 64,
    sampler_name: "Euler", scheduler: "Beta", cfg_scale: 1.5, distilled_cfg_scale: 2.5,
    override_settings: { forge_unet_storage_dtype: "bnb-fp4 (fp16 LoRA)" },
  });
  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
    document.getElementById("settings").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, answer.images[0]);
  await waitFor(page, "the loaded settings", () => document.getElementById("prompt").value === "png info prompt");
  assert.equal(await value(page, "negative_prompt"), "nothing blurry");
  assert.equal(await value(page, "seed"), "777");
  assert.equal(await value(page, "steps"), "3");
  assert.equal(await value(page, "width"), "48");
  assert.equal(await value(page, "height"), "64");
  assert.equal(await value(page, "sampler"), "Euler");
  assert.equal(await value(page, "scheduler"), "Beta");
  assert.equal(await value(page, "cfg_scale"), "1.5");
  assert.equal(await value(page, "distilled_cfg_scale"), "2.5");
  assert.equal(await value(page, "storage"), "bnb-fp4 (fp16 LoRA)");
  assert.match(await text(page, "banner"), /Loaded the settings of dropped.png/);
  await page.click("#tab-pnginfo");
  assert.match(await text(page, "png-text"), /Seed: 777/);
  // The loaded settings make the same image again.
  await page.click("#tab-txt2img");
  await generateAndWait("the image from the loaded settings");
  const again = await page.$eval("#result", (img) => img.src.slice("data:image/png;base64,".length));
  assert.equal(again, answer.images[0]);
});

test("img2img and an inpaint mask round trip", async () => {
  // The input: a txt2img image, chosen with the file picker.
  const answer = await api(server.url, "/sdapi/v1/txt2img", { prompt: "a house", seed: 3, steps: 2, width: 64, height: 64 });
  const input = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fluxgen-ui-in-")), "input.png");
  fs.writeFileSync(input, Buffer.from(answer.images[0], "base64"));
  await page.click("#tab-img2img");
  await smallJob(4, 5);
  await setField(page, "width", 96);
  const picker = await page.$("#init-file");
  await picker.uploadFile(input);
  await waitFor(page, "the input image", () => !document.getElementById("init-image").hidden);
  assert.equal(await value(page, "width"), "64", "the size follows the input image");
  await setField(page, "denoising_strength", 0.5);
  let info = await generateAndWait("the img2img result");
  assert.match(info, /Denoising strength: 0\.5/);
  assert.doesNotMatch(info, /Mask blur/);
  await page.screenshot({ path: path.join(shots, "img2img_result.png") });

  // Inpaint without a mask says what is missing.
  await page.click("#send-inpaint");
  await waitFor(page, "the inpaint canvas", () => !document.getElementById("mask-canvas").hidden);
  await page.click("#generate");
  assert.match(await text(page, "error-mask"), /paint the area/);
  // Paint a stroke across the middle of the image, erase part of it, and generate.
  const box = await (await page.$("#mask-canvas")).boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 8 });
  await page.mouse.up();
  await page.click("#eraser");
  await page.mouse.click(box.x + box.width * 0.68, box.y + box.height * 0.5);
  await page.click("#eraser");
  const painted = await page.evaluate(() => {
    const c = document.getElementById("mask-canvas");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const at = (x, y) => d[(y * c.width + x) * 4 + 3] > 0;
    return { size: [c.width, c.height], middle: at(32, 32), corner: at(2, 2), erased: at(Math.round(c.width * 0.68), 32) };
  });
  assert.deepEqual(painted, { size: [64, 64], middle: true, corner: false, erased: false });
  await setField(page, "mask_blur", 2);
  await page.screenshot({ path: path.join(shots, "inpaint_mask.png") });
  info = await generateAndWait("the inpaint result");
  assert.match(info, /Mask blur: 2/);
  // Outside the mask the picture is the input's (A1111 pastes the repainted area back).
  const kept = await page.evaluate(async () => {
    const pixels = async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const c = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
      const ctx = c.getContext("2d");
      ctx.drawImage(img, 0, 0);
      return ctx.getImageData(0, 0, c.width, c.height).data;
    };
    const a = await pixels(document.getElementById("init-image").src);
    const b = await pixels(document.getElementById("result").src);
    const diff = (x, y) => [0, 1, 2].reduce((s, k) => s + Math.abs(a[(y * 64 + x) * 4 + k] - b[(y * 64 + x) * 4 + k]), 0);
    return { corner: diff(1, 1), middle: [28, 30, 32, 34, 36].reduce((s, x) => s + diff(x, 32), 0) };
  });
  assert.ok(kept.corner <= 6, `the unmasked corner changed by ${kept.corner}`);
  assert.ok(kept.middle > 0, "the masked middle did not change");
  // Clear empties the mask.
  await page.click("#mask-clear");
  await page.click("#generate");
  assert.match(await text(page, "error-mask"), /paint the area/);
});

test("usable on a phone-width window", async () => {
  await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  await smallJob(2);
  const info = await generateAndWait("the phone result");
  assert.match(info, /Size: 64x64/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
  const generate = await (await page.$("#generate")).boundingBox();
  assert.ok(generate.x >= 0 && generate.x + generate.width <= 390, "the Generate button is off screen");
});
