import { existsSync } from 'node:fs';

/** Debian's Chromium (CI installs it with apt; see DEVELOPERS.md, "Browser tests"). */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep headless Chromium off the (closed) network and working as root. */
export const CHROMIUM_ARGS = [
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
