/** The page's element with this id; a missing one is a bug in the page (its HTML and script disagree), named here. */
export const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};
