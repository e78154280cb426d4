import { existsSync } from 'node:fs';

/** Debian's Chromium, driven by playwright-core in tests and the benchmark (CI installs it with apt). */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep headless Chromium off the (closed) network and working as root; see DEVELOPERS.md. */
export const CHROMIUM_ARGS: string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const hasChromium = (): boolean => existsSync(CHROMIUM);
