/**
 * Headless Chromium for the web tests: Debian's `/usr/bin/chromium` driven by playwright-core
 * (no browser download), software WebGL (SwiftShader) so NiiVue renders without a GPU.
 */
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's Chromium (deploy/setup.sh installs it); override with `CHROMIUM_PATH`. */
const chromiumPath: string = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Whether the browser is installed, for `Deno.test({ ignore })`. */
export function haveChromium(): boolean {
  try {
    return Deno.statSync(chromiumPath).isFile;
  } catch {
    return false;
  }
}

/** Launches headless Chromium; playwright gives it a fresh temporary profile (user-data-dir). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
    ],
  });
}

/** RGBA predicate evaluated in the page, as source text (it runs in the browser, not in Deno). */
export type PixelTest = string;

/** Red-dominant: the opaque mask (NiiVue "red" colormap), also under a translucent green label. */
export const maskRed: PixelTest = "r > 120 && r > g + 60 && r > b + 60";

/**
 * Counts the pixels of a PNG screenshot that pass `test` (a JS expression over r, g, b, a), by
 * decoding it in the page with a 2D canvas: no PNG decoder needed in the test process.
 */
export async function countPixels(page: Page, png: Uint8Array, test: PixelTest): Promise<number> {
  const base64 = btoa(Array.from(png, (b) => String.fromCharCode(b)).join(""));
  // Page-side source text: this file is type-checked without the DOM library.
  const script = `(async () => {
    const image = new Image();
    image.src = "data:image/png;base64,${base64}";
    await image.decode();
    const canvas = new OffscreenCanvas(image.width, image.height);
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, image.width, image.height).data;
    let count = 0;
    for (let p = 0; p < pixels.length; p += 4) {
      const r = pixels[p], g = pixels[p + 1], b = pixels[p + 2], a = pixels[p + 3];
      if (${test}) count++;
    }
    return count;
  })()`;
  return await page.evaluate<number>(script);
}
