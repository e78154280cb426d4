/**
 * The browser decoders in a real browser: src/image/browser-decode.ts bundled with esbuild (tsx's own bundler) into a
 * blank page of Debian's Chromium, compared pixel for pixel with the Node (sharp) decoder. Skips without
 * /usr/bin/chromium, like test/web/e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import type { RawImage } from '../../src/image/types.js';
import { readImageFile } from '../../src/node/image-file.js';

import { CHROMIUM, CHROMIUM_ARGS as ARGS, requireChromium } from '../helpers/chromium.js';
const CHELSEA = fileURLToPath(new URL('../../conformance/inputs/chelsea64.png', import.meta.url));
const FMNIST = fileURLToPath(new URL('../../conformance/inputs/fmnist_test0000.png', import.meta.url));

interface PageImage {
  width: number;
  height: number;
  channels: number;
  data: number[];
}
interface PageError {
  code: string;
  message: string;
}
type PageApi = {
  decodeImageBlob(blob: Blob, options?: { keepAlpha?: boolean }): Promise<RawImage>;
  imageFromElement(el: HTMLImageElement | HTMLCanvasElement): RawImage;
};

test('browser decoders in Chromium: same pixels as the Node decoder, specific errors', async () => {
  requireChromium();
  const { build } = await import('esbuild');
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('../../src/image/browser-decode.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    globalName: 'lumenImage',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });

    const decode = (bytes: Uint8Array, type: string, keepAlpha = false): Promise<PageImage | PageError> =>
      page.evaluate(
        async ({ b64, type, keepAlpha }) => {
          const api = (window as unknown as { lumenImage: PageApi }).lumenImage;
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          try {
            const img = await api.decodeImageBlob(new File([bytes], 'input', { type }), { keepAlpha });
            return { width: img.width, height: img.height, channels: img.channels, data: Array.from(img.data) };
          } catch (e) {
            return { code: String((e as { code?: string }).code), message: (e as Error).message };
          }
        },
        { b64: Buffer.from(bytes).toString('base64'), type, keepAlpha },
      );

    const png = readFileSync(CHELSEA);
    const reference = await readImageFile(CHELSEA);
    const fromPng = (await decode(png, 'image/png')) as PageImage;
    assert.deepEqual([fromPng.width, fromPng.height, fromPng.channels], [64, 64, 3]);
    assert.deepEqual(fromPng.data, [...reference.data]);

    // Lossless WebP: the same pixels again.
    const webp = (await decode(await sharp(png).webp({ lossless: true }).toBuffer(), 'image/webp')) as PageImage;
    assert.deepEqual(webp.data, [...reference.data]);

    // A grayscale PNG comes out as RGB with three equal channels.
    const gray = await readImageFile(FMNIST);
    const fromGray = (await decode(readFileSync(FMNIST), 'image/png')) as PageImage;
    assert.equal(fromGray.channels, 3);
    assert.deepEqual(fromGray.data.filter((_, i) => i % 3 === 0), [...gray.data]);

    // Alpha is kept when asked for. Canvas 2D stores premultiplied colour, so a half-transparent pixel's colour comes
    // back within ±1 (200·128/255 → 100 → 100·255/128 = 199); opaque pixels are exact.
    const rgba = await sharp(Buffer.from([200, 100, 50, 128, 10, 20, 30, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const kept = ((await decode(rgba, 'image/png', true)) as PageImage).data;
    assert.deepEqual(kept.slice(3), [128, 10, 20, 30, 255]);
    [200, 100, 50].forEach((v, i) => assert.ok(Math.abs(kept[i]! - v) <= 1, `channel ${i}: ${kept[i]} vs ${v}`));
    const dropped = ((await decode(rgba, 'image/png')) as PageImage).data;
    assert.deepEqual([dropped.length, ...dropped.slice(3)], [6, 10, 20, 30]);

    // Stored values of an ICC-tagged file (no colour management), as the Node decoder and PIL.
    const p3 = (await decode(readFileSync(new URL('../fixtures/image/display-p3-tagged.png', import.meta.url)), 'image/png')) as PageImage;
    assert.deepEqual(p3.data, [234, 51, 34, 117, 251, 76, 0, 0, 245, 192, 152, 107]);

    const truncated = (await decode(png.subarray(0, png.length >> 1), 'image/png')) as PageError;
    assert.equal(truncated.code, 'BAD_IMAGE');
    assert.match(truncated.message, /PNG image is truncated, corrupt or not decodable/);
    const text = (await decode(new TextEncoder().encode('not an image at all\n'), 'image/png')) as PageError;
    assert.equal(text.code, 'BAD_IMAGE');
    assert.match(text.message, /text file/);

    // <img> from a data URL, at its natural size.
    const fromImg = await page.evaluate(async (src) => {
      const api = (window as unknown as { lumenImage: PageApi }).lumenImage;
      const img = new Image();
      img.src = src;
      await img.decode();
      const raw = api.imageFromElement(img);
      return { width: raw.width, height: raw.height, channels: raw.channels, data: Array.from(raw.data) };
    }, `data:image/png;base64,${png.toString('base64')}`);
    assert.deepEqual(fromImg.data, [...reference.data]);
  } finally {
    await browser.close();
  }
});
