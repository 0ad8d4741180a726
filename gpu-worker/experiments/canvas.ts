/** An RGB raster with the few drawing operations the plots and overlays need. */
import { encodePng } from "./png.ts";
import { GLYPH_WIDTH, glyphPixels } from "./font5x7.ts";

export type Rgb = readonly [number, number, number];

export class Canvas {
  readonly rgb: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: Rgb = [255, 255, 255]) {
    this.rgb = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel; coordinates outside the canvas are ignored. */
  set(x: number, y: number, color: Rgb): void {
    x = Math.round(x), y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.rgb.set(color, (y * this.width + x) * 3);
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) this.set(i, j, color);
  }

  /** A straight line `width` pixels thick (Bresenham, with a square brush). */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, width = 1): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    const offset = Math.floor((width - 1) / 2);
    for (let s = 0; s <= steps; s++) {
      const x = Math.round(x0 + ((x1 - x0) * s) / steps) - offset;
      const y = Math.round(y0 + ((y1 - y0) * s) / steps) - offset;
      this.fillRect(x, y, width, width, color);
    }
  }

  /** Draws `text` with its top-left corner at (x, y), each font pixel `scale` pixels wide. */
  text(x: number, y: number, text: string, color: Rgb, scale = 1): void {
    [...text].forEach((char, n) => {
      const left = x + n * (GLYPH_WIDTH + 1) * scale;
      for (const [gx, gy] of glyphPixels(char)) {
        this.fillRect(left + gx * scale, y + gy * scale, scale, scale, color);
      }
    });
  }

  /** Pixel width of `text` at `scale`. */
  static textWidth(text: string, scale = 1): number {
    return [...text].length * (GLYPH_WIDTH + 1) * scale;
  }

  toPng(): Uint8Array {
    return encodePng(this.width, this.height, this.rgb);
  }
}
