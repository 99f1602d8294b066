// What the browser tests need around the page: a tiny Forge-layout models folder from the test
// fixtures, a `fluxgen serve --port 0` on it, the browser, and small helpers.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// A LoRA for the flux_e2e fixture (hidden 64) in kohya naming on two of its weights, as
// tests/server_test_support.h writes it (values from a fixed-seed generator).
function writeE2eLora(file) {
  let state = 42;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648 - 0.5) * 1.0;
  };
  const tensors = [];
  for (const [name, out, inp] of [["lora_unet_double_blocks_0_img_attn_qkv", 192, 64], ["lora_unet_single_blocks_0_linear1", 448, 64]]) {
    tensors.push([`${name}.lora_down.weight`, [4, inp], Array.from({ length: 4 * inp }, next)]);
    tensors.push([`${name}.lora_up.weight`, [out, 4], Array.from({ length: out * 4 }, next)]);
    tensors.push([`${name}.alpha`, [], [4]]);
  }
  const header = { __metadata__: { ss_output_name: "e2e_detail" } };
  const blobs = [];
  let offset = 0;
  for (const [name, shape, values] of tensors) {
    const blob = Buffer.from(new Float32Array(values).buffer);
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + blob.length] };
    offset += blob.length;
    blobs.push(blob);
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  fs.writeFileSync(file, Buffer.concat([length, Buffer.from(json), ...blobs]));
}

// Stable-diffusion/flux_e2e, VAE/ae, text_encoder/clip_l + t5xxl, Lora/e2e_lora, ESRGAN/esrgan,
// adetailer/face_tiny.pt.
export function makeModelsDir(fixtures) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fluxgen-ui-"));
  const link = (fixture, to) => {
    const src = path.resolve(fixtures, fixture);
    if (!fs.existsSync(src)) throw new Error(`fixture ${src} is missing`);
    fs.mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
    fs.symlinkSync(src, path.join(dir, to));
  };
  link("flux_e2e.safetensors", "Stable-diffusion/flux_e2e.safetensors");
  link("ae.safetensors", "VAE/ae.safetensors");
  link("clip_l.safetensors", "text_encoder/clip_l.safetensors");
  link("t5xxl.safetensors", "text_encoder/t5xxl.safetensors");
  link("esrgan.safetensors", "ESRGAN/esrgan.safetensors");
  link("yolo/yolov8n_tiny.pt", "adetailer/face_tiny.pt");
  fs.mkdirSync(path.join(dir, "Lora"));
  writeE2eLora(path.join(dir, "Lora/e2e_lora.safetensors"));
  return dir;
}

// `fluxgen serve --port 0`; resolves to {url, stop(), log()} once it prints where it listens.
export function startServer(binary, modelsDir) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "fluxgen-ui-cache-"));
  const child = spawn(binary, ["serve", "--port", "0", "--models-dir", modelsDir], {
    env: { ...process.env, FLUXGEN_CACHE_DIR: cache },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (d) => { log += d; });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`fluxgen serve did not start in 60 s: ${out}${log}`)), 60000);
    child.on("exit", (code) => reject(new Error(`fluxgen serve exited (${code}): ${out}${log}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${m[1]}`,
        log: () => log,
        stop: () => new Promise((done) => {
          if (child.exitCode !== null) return done(child.exitCode);
          child.removeAllListeners("exit");
          child.on("exit", (code) => done(code));
          child.kill("SIGTERM");
        }),
      });
    });
  });
}

export async function api(url, pathName, body) {
  const res = await fetch(url + pathName, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${pathName}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// Waits until fn() (run in the page) returns something truthy; fails naming `what`.
export async function waitFor(page, what, fn, arg, timeout = 30000) {
  try {
    const handle = await page.waitForFunction(fn, { timeout, polling: 50 }, arg);
    return await handle.jsonValue();
  } catch (e) {
    const status = await page.evaluate(() => ({
      progress: document.getElementById("progress-text")?.textContent,
      banner: document.getElementById("banner")?.hidden ? "" : document.getElementById("banner")?.textContent,
    })).catch(() => ({}));
    throw new Error(`timed out waiting for ${what} (progress: "${status.progress}", banner: "${status.banner}"): ${e.message}`);
  }
}

// Sets an input's value as typing would (input and change events).
export async function setField(page, id, value) {
  await page.$eval(`#${id}`, (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }, value);
}

export const value = (page, id) => page.$eval(`#${id}`, (el) => (el.type === "checkbox" ? el.checked : el.value));
export const text = (page, id) => page.$eval(`#${id}`, (el) => el.textContent);
