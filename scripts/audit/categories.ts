/** Every audit category, in the order `npm run audit` runs them. A new category is one file and one line here. */
import type { Category } from './common.js';
import { models, files } from './models.js';
import { batch } from './batch.js';
import { options } from './options.js';
import { library } from './library.js';
import { server } from './server.js';

export const CATEGORIES: Category[] = [models, files, batch, options, library, server] as Category[];
