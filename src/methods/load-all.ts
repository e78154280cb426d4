/**
 * Every method family, registered by importing it: the one list (src/api.ts imports this module, so both entries
 * register the same families). A family that fails to load fails the import; nothing is skipped silently.
 */
import './cam/index.js';
import './gradient/index.js';
import './perturbation/index.js';
import './attention/index.js';

/** The families are registered by this module's imports; kept so callers can await registration explicitly. */
export function loadAllMethods(): Promise<void> {
  return Promise.resolve();
}
