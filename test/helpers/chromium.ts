export { CHROMIUM, CHROMIUM_ARGS, hasChromium } from '../../src/node/chromium.js';
