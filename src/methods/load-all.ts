/**
 * Registers every method family that is present. Families live in their own folders and register themselves on
 * import; a family that is not part of this build (e.g. trimmed from a bundle) is simply absent.
 */
const FAMILIES = ['cam', 'gradient', 'perturbation', 'attention'] as const;

let loaded: Promise<void> | undefined;

export function loadAllMethods(): Promise<void> {
  loaded ??= (async () => {
    for (const family of FAMILIES) {
      try {
        await import(`./${family}/index.js`);
      } catch (e) {
        const code = (e as { code?: string }).code;
        const missing = code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(`/${family}/index`);
        if (!missing) throw e;
      }
    }
  })();
  return loaded;
}
