/**
 * Identify a file from its first bytes, so that "this is not an image" can say what it is instead
 * (a renamed text file, a .npy array, a PDF, an HTML error page saved as .jpg, …). Browser-safe.
 */

/** Raster formats the decoders accept. PNG, JPEG and WebP everywhere; GIF/TIFF/AVIF where the decoder has them. */
export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'avif';

export interface SniffResult {
  /** The image format when the bytes start like one of the accepted formats. */
  image?: ImageFormat;
  /** Human-readable name of what the bytes look like, e.g. "PNG image", "text file", "unknown format". */
  label: string;
}

export const SUPPORTED_IMAGE_FORMATS = 'PNG, JPEG or WebP (GIF, TIFF and AVIF also work in Node)';

const IMAGE_LABELS: Record<ImageFormat, string> = {
  png: 'PNG image',
  jpeg: 'JPEG image',
  webp: 'WebP image',
  gif: 'GIF image',
  tiff: 'TIFF image',
  avif: 'AVIF image',
};

export function sniffFileType(bytes: Uint8Array): SniffResult {
  const image = sniffImage(bytes);
  if (image) return { image, label: IMAGE_LABELS[image] };
  return { label: sniffOther(bytes) };
}

function startsWith(bytes: Uint8Array, prefix: readonly number[] | string, at = 0): boolean {
  const p = typeof prefix === 'string' ? Array.from(prefix, (c) => c.charCodeAt(0)) : prefix;
  if (bytes.length < at + p.length) return false;
  return p.every((b, i) => bytes[at + i] === b);
}

function sniffImage(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return 'webp';
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return 'gif';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(bytes, 'ftyp', 4) && (startsWith(bytes, 'avif', 8) || startsWith(bytes, 'avis', 8))) return 'avif';
  return undefined;
}

function sniffOther(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'empty file';
  if (startsWith(bytes, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return 'NumPy .npy array';
  if (startsWith(bytes, 'BM') && bytes.length >= 26) return 'BMP image (not supported)';
  if (startsWith(bytes, 'ftyp', 4) && (startsWith(bytes, 'heic', 8) || startsWith(bytes, 'heix', 8) || startsWith(bytes, 'mif1', 8))) {
    return 'HEIC image (not supported)';
  }
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ICO icon (not supported)';
  if (startsWith(bytes, '8BPS')) return 'Photoshop PSD (not supported)';
  if (startsWith(bytes, '%PDF')) return 'PDF document';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'ZIP archive';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'gzip archive';
  if (startsWith(bytes, [0x7f, 0x45, 0x4c, 0x46])) return 'ELF executable';
  const text = asText(bytes.subarray(0, 512));
  if (text !== undefined) {
    const head = text.trimStart().slice(0, 100).toLowerCase();
    if (head.startsWith('<svg') || (head.startsWith('<?xml') && text.includes('<svg'))) return 'SVG drawing (not supported: export it as PNG)';
    if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'HTML page';
    if (head.startsWith('<?xml')) return 'XML file';
    if (head.startsWith('{') || head.startsWith('[')) return 'JSON/text file';
    return 'text file';
  }
  return 'unknown format';
}

/** The bytes as text when they look like UTF-8 text without control characters (other than whitespace). */
function asText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    // Cutting at 512 bytes can split a multi-byte character: decode leniently, then look for control bytes.
    text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  } catch {
    return undefined;
  }
  let replacements = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd) replacements++;
    else if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) return undefined;
  }
  return replacements <= 1 ? text : undefined;
}
