// PNG Info in the browser: the "parameters" text chunk of a PNG (what A1111, Forge and fluxgen
// write) and A1111's infotext format parsed into request fields.

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

// The text of the PNG's "parameters" chunk (tEXt Latin-1, or uncompressed iTXt UTF-8); null when
// the file is not a PNG or has none. Throws on a PNG whose chunks run past its end.
export function pngParameters(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(buffer);
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const start = at + 8;
    const end = start + length;
    if (end + 4 > bytes.length) throw new Error(`the PNG's ${type} chunk runs past the end of the file`);
    const data = bytes.subarray(start, end);
    if (type === "tEXt" || type === "iTXt") {
      const zero = data.indexOf(0);
      const keyword = zero < 0 ? "" : new TextDecoder("latin1").decode(data.subarray(0, zero));
      if (keyword === "parameters") {
        if (type === "tEXt") return new TextDecoder("latin1").decode(data.subarray(zero + 1));
        // iTXt: keyword \0 compression-flag compression-method language \0 translated \0 text
        if (data[zero + 1] !== 0) throw new Error("the PNG's parameters chunk is compressed (not supported here)");
        let p = zero + 3;
        p = data.indexOf(0, p) + 1;  // after the language tag
        p = data.indexOf(0, p) + 1;  // after the translated keyword
        return new TextDecoder("utf-8").decode(data.subarray(p));
      }
    }
    if (type === "IEND") break;
    at = end + 4;
  }
  return null;
}

// Splits "Steps: 12, Sampler: Euler, Lora hashes: "a: 1, b: 2"" into pairs, honouring quotes.
function parseParameterLine(line) {
  const out = {};
  const re = /\s*([\w ()./+-]+?):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)/g;
  let m;
  while ((m = re.exec(line)) !== null) {
    if (m[0] === "") break;
    let value = m[2].trim();
    if (value.startsWith('"') && value.endsWith('"')) {
      try { value = JSON.parse(value); } catch { value = value.slice(1, -1); }
    }
    out[m[1].trim()] = value;
  }
  return out;
}

// A1111's infotext: the prompt, "Negative prompt: ...", then the "Key: value, ..." line.
export function parseInfotext(text) {
  const lines = text.replace(/\r\n/g, "\n").trim().split("\n");
  let paramsLine = "";
  if (lines.length && /^\s*(Steps|Size|Seed|Sampler):/.test(lines[lines.length - 1])) paramsLine = lines.pop();
  const prompt = [];
  const negative = [];
  let inNegative = false;
  for (const line of lines) {
    if (line.startsWith("Negative prompt:")) {
      inNegative = true;
      negative.push(line.slice("Negative prompt:".length).trim());
    } else (inNegative ? negative : prompt).push(line);
  }
  return { prompt: prompt.join("\n"), negative_prompt: negative.join("\n"), params: parseParameterLine(paramsLine) };
}
