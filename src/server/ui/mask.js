// The inpainting mask: a canvas of the input image's size laid over it, painted with the pointer
// (brush size, eraser, clear) and sent as A1111's mask (white = repaint, black = keep).

export class MaskPainter {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.brush = 24;
    this.erasing = false;
    this.painted = false;
    this.last = null;
    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    for (const type of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(type, () => { this.last = null; });
  }

  // A fresh, empty mask for an image of width x height pixels.
  reset(width, height) {
    this.canvas.width = width;
    this.canvas.height = height;
    this.clear();
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.painted = false;
  }

  // The mask as a PNG data URL (black background, painted strokes white); null when nothing is painted.
  toDataUrl() {
    if (!this.painted) return null;
    const out = document.createElement("canvas");
    out.width = this.canvas.width;
    out.height = this.canvas.height;
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, out.width, out.height);
    // The strokes are drawn half-transparent for display; the mask takes every touched pixel as white.
    const strokes = this.ctx.getImageData(0, 0, out.width, out.height);
    const img = ctx.getImageData(0, 0, out.width, out.height);
    let any = false;
    for (let i = 3; i < strokes.data.length; i += 4)
      if (strokes.data[i] > 0) {
        img.data[i - 3] = img.data[i - 2] = img.data[i - 1] = 255;
        any = true;
      }
    if (!any) return null;
    ctx.putImageData(img, 0, 0);
    return out.toDataURL("image/png");
  }

  #point(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) * (this.canvas.width / r.width), y: (e.clientY - r.top) * (this.canvas.height / r.height) };
  }

  // The brush in image pixels: its size is given in screen pixels, as the user sees it.
  #radius() {
    const r = this.canvas.getBoundingClientRect();
    return Math.max(0.5, (this.brush / 2) * (this.canvas.width / Math.max(1, r.width)));
  }

  #stroke(from, to) {
    const ctx = this.ctx;
    ctx.save();
    ctx.globalCompositeOperation = this.erasing ? "destination-out" : "source-over";
    ctx.strokeStyle = ctx.fillStyle = "rgba(255, 255, 255, 1)";
    ctx.lineWidth = this.#radius() * 2;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x + 0.01, to.y);
    ctx.stroke();
    ctx.restore();
    if (!this.erasing) this.painted = true;
  }

  #down(e) {
    e.preventDefault();
    this.canvas.setPointerCapture?.(e.pointerId);
    this.last = this.#point(e);
    this.#stroke(this.last, this.last);
  }

  #move(e) {
    if (!this.last || !(e.buttons & 1)) return;
    const p = this.#point(e);
    this.#stroke(this.last, p);
    this.last = p;
  }
}
